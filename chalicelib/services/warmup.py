"""The warm-up: every first-use cost of a request, paid before the first request.

On Lambda with SnapStart (python3.13), `warm_up` is the before-snapshot hook
(app.py registers it with the runtime's `snapshot_restore_py`): the imports of
Jinja2, fpdf2, segno, HarfBuzz, jsonschema, argon2, pyotp, email-validator,
the IPAex font parsed, the templates loaded, the request validators loaded,
the signing material, signer and timestamper built, the AWS clients made —
all of it is in the snapshot, so a restored instance answers its first
request as a warm one does. `after_restore` is the
after-restore hook: per AWS's SnapStart uniqueness guidance, what must differ
between instances restored from one snapshot is made again there (the
`random` module's state, the verifier's dummy key, pooled connections).
Locally, `bin/local` runs the same warm-up before it serves.
"""

from __future__ import annotations

import random
import time
from typing import Any

from chalicelib import logs
from chalicelib.domain import certificate, validation
from chalicelib.render import pdf, templates
from chalicelib.store import warm

_SAMPLE_DETAILS = {
    "contractor_name": "〇〇建設 株式会社", "jv_name": None, "project_name": "〇〇道路改良工事",
    "orderer_name": "笠間市長", "contract_amount": 50000000, "guarantee_amount": 20000000,
    "period_start": "2026-12-01", "period_end": "2027-11-15", "location": "茨城県笠間市〇〇",
    "deposit_bank": "〇〇銀行 ××支店",
}  # fmt: skip
_SAMPLE_ISSUER = {
    "name": "東日本建設業保証株式会社",
    "branch": "茨城支店",
    "address": "東京都",
    "phone": "029-000-0000",
}


def _libraries() -> None:
    import argon2  # noqa: F401 - login
    import email_validator  # noqa: F401 - account forms
    import jaconv  # noqa: F401 - verification input
    import jsonschema  # noqa: F401 - the full validator, for refused bodies
    import pyotp  # noqa: F401 - staff login

    try:
        import pyhanko.sign  # noqa: F401 - the signed PDFs, where that work is installed
    except ImportError:
        pass


def _documents() -> bytes:
    """One certificate and key notice drawn: fpdf2, segno, the font prototype, HarfBuzz. Returns
    the certificate (the signing rehearsal's sample)."""
    content = certificate.build_content(
        number="30026-000001M", kind="advance_payment", form="electronic", version=1, version_kind="new",
        orderer_id="08216", deadline="2027-11-15", details=_SAMPLE_DETAILS, issued_on="2026-11-01",
        issuer=_SAMPLE_ISSUER,
    )  # fmt: skip
    return pdf.render_documents(content, certificate.sha256(content), "Z28YUE4J3Bux").certificate


def _signing(sample: bytes) -> None:
    """A rehearsal signature of `sample` with a throwaway key (pyHanko's first-use work), then the
    stage's signing context built (services/signing.py), so the first signed PDF after a restore
    costs what a warm one does. Each is best effort: a build with no chain, bucket or network goes
    on without it (the first signature then pays for it), and says so."""
    from chalicelib.services import signing

    for name, step in (("rehearsal", lambda: signing.rehearse(sample)), ("context", signing.prepare)):
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - the warm-up never stops the function from starting
            logs.warning("warm_up_signing_skipped", step=name, error=type(exc).__name__)


def _pages(schemas: list[dict[str, Any]]) -> None:
    templates.load_all()
    for schema in schemas:
        validation.fast_validator(schema)


def warm_up(schemas: list[dict[str, Any]] | None = None) -> float:
    """Pay every first-use cost now; returns the CPU seconds it took. `schemas`: the request
    bodies' (app.py passes the endpoint declarations')."""
    started = time.process_time()
    _libraries()
    sample = _documents()
    _pages(schemas or [])
    _signing(sample)
    warm.clients()
    warm.prime()
    took = time.process_time() - started
    logs.info("warm_up", cpu_ms=round(took * 1000, 1))
    return took


def after_restore() -> None:
    """Per-instance state after a SnapStart restore (AWS's uniqueness guidance). `secrets` reads the
    OS's entropy on every call and needs nothing; the credentials resolved before the snapshot are
    the SDK's refreshable container credentials on a SnapStart function, renewed by the SDK when
    they near expiry (store/objects.py presigns with a frozen copy read per URL, which refreshes)."""
    from chalicelib.services import verify

    random.seed()
    verify.renew_dummy_key()
    warm.reopen()
