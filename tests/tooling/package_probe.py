"""Run from an unzipped deployment package with `python -I -S -B package_probe.py PKGDIR SERVICES` (not a test module).

Imports `app` from PKGDIR alone (no site-packages, no environment paths, no
bytecode written), then every module of `chalicelib`, renders every PDF (a
certificate with its key notice, a paper certificate, a 予約証書 with its key
notice, a 保証料計算書) and every mail (each version kind on each form, the
account link mail), creates a boto3 client for each service of SERVICES (a
comma-separated list: devstack/package.py BOTOCORE_SERVICES, the only services
whose botocore data the zip keeps), and prints JSON: timings, sizes, failures,
and any module that came from outside PKGDIR and the standard library (there
must be none).
"""

import json
import pkgutil
import sys
import sysconfig
import time
import traceback

pkg = sys.argv[1]
services = [s for s in sys.argv[2].split(",") if s] if len(sys.argv) > 2 else []
sys.path.insert(0, pkg)  # Lambda puts /var/task first on sys.path

t0 = time.perf_counter()
import app  # noqa: E402,F401

import_ms = (time.perf_counter() - t0) * 1000

import chalicelib  # noqa: E402

failures: list[str] = []
modules = 0
for info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
    if ".assets." in info.name:
        continue  # the compiled templates: Jinja2's ModuleLoader imports them, not `import`
    try:
        __import__(info.name)
        modules += 1
    except Exception:  # noqa: BLE001 - every failure is reported
        failures.append(f"import {info.name}: {traceback.format_exc(limit=2)}")

from chalicelib.domain import certificate, reservation  # noqa: E402
from chalicelib.render import mail, pdf, pdf_reservation, templates  # noqa: E402

details = {
    "contractor_name": "〇〇建設 株式会社",
    "jv_name": None,
    "project_name": "5市単(笠建)第〇-〇号道路改良工事",
    "orderer_name": "笠間市長",
    "contract_amount": 50000000,
    "guarantee_amount": 20000000,
    "period_start": "2026-12-01",
    "period_end": "2027-11-15",
    "location": "茨城県笠間市〇〇",
    "deposit_bank": "〇〇銀行 ××支店",
}
issuer = {
    "name": "東日本建設業保証株式会社",
    "branch": "茨城支店",
    "address": "東京都中央区八丁堀2丁目27番10号",
    "phone": "029-221-3800",
}


def content(form: str = "electronic") -> dict:
    return certificate.build_content(
        number="30026-000001M",
        kind="advance_payment",
        form=form,
        version=1,
        version_kind="new",
        orderer_id="08216",
        deadline="2027-11-15",
        details=details,
        issued_on="2026-11-01",
        issuer=issuer,
    )


pdfs: dict[str, bytes] = {}
t1 = time.perf_counter()
docs = pdf.render_documents(content(), certificate.sha256(content()), "Z28YUE4J3Bux")
render_ms = (time.perf_counter() - t1) * 1000


def rendered(name: str, make) -> None:  # noqa: ANN001
    try:
        pdfs[name] = make()
    except Exception:  # noqa: BLE001
        failures.append(f"pdf {name}: {traceback.format_exc(limit=3)}")


pdfs["certificate"], pdfs["key_notice"] = docs.certificate, docs.key_notice or b""
paper = content("paper")
rendered("paper_certificate", lambda: pdf.render_documents(paper, certificate.sha256(paper), None).certificate)
project = {
    "name": "笠間市立〇〇小学校改築工事",
    "orderer_id": "08216",
    "contract_type": sorted(reservation.CONTRACT_TYPES)[0],
    "bid_date": "2026-12-10",
    "location": "茨城県笠間市〇〇",
}
reserved = reservation.build_content(
    number="30026-000002R",
    form="electronic",
    reservation={"project": project, "bid_amount": 80000000},
    contractor_name="〇〇建設 株式会社",
    orderer_name="笠間市長",
    issued_on="2026-11-01",
    issuer=issuer,
)
reserved_docs: list = []
rendered(
    "reservation",
    lambda: (
        reserved_docs.append(pdf_reservation.render_reservation(reserved, "0" * 64, "Z28YUE4J3Bux"))
        or reserved_docs[0].certificate
    ),
)
if reserved_docs:
    pdfs["reservation_key_notice"] = reserved_docs[0].key_notice or b""
line = {
    "label": "前払金保証",
    "basis_label": "保証金額",
    "basis": 20000000,
    "days": 350,
    "slices": [{"lower": 0, "upper": 20000000, "portion": 20000000, "rate": __import__("decimal").Decimal("0.0012")}],
    "amount": 24000,
    "computed": 24000,
    "minimum_fee": 10000,
}
rendered(
    "fee_statement",
    lambda: pdf_reservation.render_fee_statement(
        issued_on="2026-11-01",
        contractor_name="〇〇建設 株式会社",
        project_name=details["project_name"],
        subject_label="保証申込 A-1",
        lines=[line],
        total=24000,
        paid_on="2026-11-02",
        waived=None,
        bank={"bank": "〇〇銀行", "branch": "本店営業部", "account": "普通 1234567", "holder": "東日本建設業保証"},
        issuer=issuer,
    ),
)

# Issue 31: pyHanko from the zip signs a PDF (the local key, made under the probe's folder) and its
# validator, in the bounded child /verify/pdf uses, finds the signature valid.
signed = ""
try:
    from chalicelib.services import pdf_verify, signing

    data = signing.sign(docs.certificate, signing.DocumentRef("certificate", "30026-000001M", 1))
    signed = (pdf_verify.bounded(pdf_verify.inspect, data) or {}).get("signature", "")
except Exception:  # noqa: BLE001
    failures.append(f"sign: {traceback.format_exc(limit=3)}")

mails: dict[str, str] = {}
url = "https://e-surety.example.jp/x"
for kind in mail.VERSION_KINDS:
    for form in ("electronic", "paper"):
        try:
            composed = mail.compose(content(form), version_kind=kind, form=form, guarantee_url=url, previous=details)
            mails[f"{kind}/{form}"] = composed.subject if url in composed.text and composed.html else ""
        except Exception:  # noqa: BLE001
            failures.append(f"mail {kind}/{form}: {traceback.format_exc(limit=3)}")
try:
    account = {"subject": "件名", "lead": "本文", "person": "山田", "login": "yamada", "url": url, "hours": 24}
    text = templates.render("email/account/link.txt", issuer=issuer, fax="0120-027-306", **account)
    html = templates.render("email/account/link.html", issuer=issuer, fax="0120-027-306", **account)
    mails["account/link"] = "link" if url in text and url in html else ""
except Exception:  # noqa: BLE001
    failures.append(f"mail account/link: {traceback.format_exc(limit=3)}")
for notice in mail.NOTICE_KINDS:  # the event notices (templates/email/notice/): staff events, deliveries
    try:
        body = mail.compose_notice(
            notice, addressee="〇〇建設", number="30026-000001M", application_id="a" * 20,
            project_name="工事", reason="理由", url=url, version=2, event="change", department_name="土木課",
        )  # fmt: skip
        mails[f"notice/{notice}"] = notice if url in body else ""
    except Exception:  # noqa: BLE001
        failures.append(f"mail notice/{notice}: {traceback.format_exc(limit=3)}")

# Which loader the packaged container's Jinja2 environment uses: the precompiled templates (issue 11)
# must be found in the package, so it is Jinja2's ModuleLoader, never the FileSystemLoader of a checkout.
# Each template the mail used came from a compiled module in the package (its __file__ is the module's).
environment = templates.environment()
template_loader = type(environment.loader).__name__
compiled_dir = pkg.rstrip("/") + "/chalicelib/assets/templates_compiled/"
template_modules = sorted(t.name for t in environment.cache.values() if (t.filename or "").startswith(compiled_dir))

# Issue 17: the 保証料 rate table travels in the package, where store/fees reads it from.
from chalicelib.domain.fees import parse_table  # noqa: E402
from chalicelib.store.fees import RATES_FILE  # noqa: E402

fee_products = sorted(parse_table(json.loads(RATES_FILE.read_text(encoding="utf-8"))).products)

# A client for each service the zip keeps botocore's data for (no call is made).
import boto3  # noqa: E402

clients = []
for service in services:
    try:
        boto3.client(service, region_name="ap-northeast-1")
        clients.append(service)
    except Exception:  # noqa: BLE001
        failures.append(f"client {service}: {traceback.format_exc(limit=2)}")

stdlib = {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
outside = sorted(
    name
    for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and name not in ("__main__", "__mp_main__")  # this probe
    and not module.__file__.startswith(pkg)
    and not any(module.__file__.startswith(p) for p in stdlib)
)
print(
    json.dumps(
        {
            "import_ms": round(import_ms, 1),
            "render_ms": round(render_ms, 1),
            "modules": modules,
            "pdfs": {name: [len(data), data[:5].decode("latin-1")] for name, data in pdfs.items()},
            "mails": mails,
            "clients": clients,
            "failures": failures,
            "outside": outside,
            "app_cached": getattr(app, "__cached__", None),
            "template_loader": template_loader,
            "template_modules": len(template_modules),
            "fee_products": fee_products,
            "signed": signed,
        },
        ensure_ascii=False,
    )
)
