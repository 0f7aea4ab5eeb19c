"""The demo data of API.md, seeded into the local stage (and into tests)."""

from __future__ import annotations

import functools

from chalicelib.domain.records import Account, Organisation
from chalicelib.services.auth import hash_password
from chalicelib.store import accounts, organisations
from chalicelib.store.models import OrdererModel

DEMO_ACCOUNTS = [
    # login, password, role, org id, org name, e-mail
    ("demo-contractor", "demo-pass-1", "contractor", "c-0001", "〇〇建設 株式会社", "soumu@example.co.jp"),
    ("other-contractor", "demo-pass-2", "contractor", "c-0002", "△△工業 株式会社", "info@example.com"),
    ("ibaraki-staff", "demo-pass-3", "staff", "ibaraki", "茨城支店", None),
    ("kasama", "demo-pass-4", "orderer", "08216", "笠間市長", None),
    ("mito", "demo-pass-5", "orderer", "08201", "水戸市長", None),
    # Issue 13: the second pair of eyes, and the surety company's administrator.
    ("ibaraki-chief", "demo-pass-6", "staff", "ibaraki", "茨城支店", None),
    ("admin", "demo-pass-7", "admin", "hq", "東日本建設業保証株式会社", None),
]

#: The demo staff and admin TOTP secrets of API.md (base32). Seeded only in the local stage
#: (`seed_demo` refuses any other) and printed by the local stack.
DEMO_TOTP_SECRETS = {
    "ibaraki-staff": "JBSWY3DPEHPK3PXP",
    "ibaraki-chief": "KRSXG5CTMVRXEZLU",
    "admin": "MFRGGZDFMZTWQ2LK",
}

DEMO_ORDERERS = [
    ("08216", "笠間市長", True),
    ("08201", "水戸市長", True),
    ("08999", "〇〇村長", False),
]

#: Every organisation of the demo: org id, kind, name.
DEMO_ORGANISATIONS = [
    ("c-0001", "contractor", "〇〇建設 株式会社"),
    ("c-0002", "contractor", "△△工業 株式会社"),
    ("ibaraki", "branch", "茨城支店"),
    ("hq", "hq", "東日本建設業保証株式会社"),
    ("08216", "orderer", "笠間市長"),
    ("08201", "orderer", "水戸市長"),
    ("08999", "orderer", "〇〇村長"),
]


@functools.cache
def _hash(password: str) -> str:
    """argon2id is slow on purpose; tests re-seed often, so hash each demo password once."""
    return hash_password(password)


def seed_demo() -> None:
    """The demo logins, their published passwords and TOTP secrets exist in the local stage only."""
    from chalicelib import settings

    s = settings.current()
    if not s.is_local:
        raise RuntimeError(
            f"the demo data (fixed passwords and TOTP secrets) is for the local stage only, not {s.stage!r}"
        )
    for orderer_id, name, e_surety in DEMO_ORDERERS:
        OrdererModel(orderer_id, name=name, e_surety=e_surety).save()
    for org_id, kind, name in DEMO_ORGANISATIONS:
        organisations.put(Organisation(org_id, kind, name))
    for login, password, role, org_id, org_name, mail in DEMO_ACCOUNTS:
        accounts.put(
            Account(
                login,
                role,
                org_id,
                org_name,
                password_hash=_hash(password),
                email=mail,
                name=org_name,
                status="active",
                totp_secret=DEMO_TOTP_SECRETS.get(login),
                totp_confirmed=login in DEMO_TOTP_SECRETS,
            )
        )
