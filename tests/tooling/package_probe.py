"""Run from an unzipped deployment package with `python -I -S -B package_probe.py PKGDIR` (not a test module).

Imports `app` from PKGDIR alone (no site-packages, no environment paths, no
bytecode written), renders a certificate PDF and a completion mail, and prints
JSON: timings, sizes, and any module that came from outside PKGDIR and the
standard library (there must be none).
"""

import json
import sys
import sysconfig
import time

pkg = sys.argv[1]
sys.path.insert(0, pkg)  # Lambda puts /var/task first on sys.path

t0 = time.perf_counter()
import app  # noqa: E402,F401

import_ms = (time.perf_counter() - t0) * 1000

from chalicelib.domain import certificate  # noqa: E402
from chalicelib.render import mail, pdf, templates  # noqa: E402

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
content = certificate.build_content(
    number="30026-000001M",
    kind="advance_payment",
    form="electronic",
    version=1,
    version_kind="new",
    orderer_id="08216",
    deadline="2027-11-15",
    details=details,
    issued_on="2026-11-01",
    issuer=issuer,
)
t1 = time.perf_counter()
docs = pdf.render_documents(content, certificate.sha256(content), "Z28YUE4J3Bux")
render_ms = (time.perf_counter() - t1) * 1000
composed = mail.compose(content, version_kind="new", form="electronic", guarantee_url="https://e-surety.example.jp/x")

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
            "pdf_bytes": len(docs.certificate),
            "pdf_magic": docs.certificate[:5].decode("latin-1"),
            "key_notice_bytes": len(docs.key_notice or b""),
            "mail_subject": composed.subject,
            "mail_has_url": "https://e-surety.example.jp/x" in composed.text,
            "outside": outside,
            "app_cached": getattr(app, "__cached__", None),
            "template_loader": template_loader,
            "template_modules": len(template_modules),
            "fee_products": fee_products,
        },
        ensure_ascii=False,
    )
)
