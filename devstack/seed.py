"""The demo data of API.md, seeded into the local stage (and into tests)."""

from __future__ import annotations

import functools

from chalicelib.domain.records import Account, Department, Organisation
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
    # Issue 29: 笠間市's departments' users (`kasama` sees every department)
    ("kasama-keiyaku", "demo-pass-8", "orderer", "08216", "笠間市長", None),
    ("kasama-doboku", "demo-pass-9", "orderer", "08216", "笠間市長", None),
]

#: Issue 29 (API.md "提出 and 受領"): 笠間市's departments, its routing by kind, its users' departments.
DEMO_DEPARTMENTS = [
    ("08216", "keiyaku", "契約検査課", "keiyaku@city.example.jp"),
    ("08216", "doboku", "土木課", "doboku@city.example.jp"),
]
DEMO_ROUTING = {
    "08216": {"advance_payment": "doboku", "contract_guarantee": "keiyaku", "contract_reservation": "keiyaku"}
}
DEMO_USER_DEPARTMENTS = {"kasama-keiyaku": "keiyaku", "kasama-doboku": "doboku"}
#: The demo machine client of 08216: a fixed id, its secret new each run (printed by the local stack).
DEMO_CLIENT_ID = "demo-08216"

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

    from chalicelib.store.fees import load_rate_table

    load_rate_table()  # issue 17: the (illustrative) 保証料 rates, as a deploy loads them
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
                department_id=DEMO_USER_DEPARTMENTS.get(login),
            )
        )
    _seed_departments()


def _seed_departments() -> None:
    from chalicelib.store import departments

    for orderer_id, department_id, name, email in DEMO_DEPARTMENTS:
        departments.create(Department(orderer_id, department_id, name, email), None)
    for orderer_id, routing in DEMO_ROUTING.items():
        departments.set_routing(orderer_id, routing, None)


def seed_demo_client() -> str:
    """The demo machine client of 08216 (`demo-08216`) with a new secret, which is returned to print."""
    import secrets

    from chalicelib.domain import clock
    from chalicelib.domain.audit import ADMIN_SCOPE, AuditEntry
    from chalicelib.domain.records import MachineClient
    from chalicelib.store import clients

    secret = secrets.token_urlsafe(32)
    client = MachineClient(
        DEMO_CLIENT_ID, "08216", "笠間市 契約管理システム (デモ)", clock.iso_now(), hash_password(secret)
    )
    entry = AuditEntry(actor="seed", action="client_created", target=f"client:{DEMO_CLIENT_ID}", scope=ADMIN_SCOPE)
    clients.create(client, entry)
    return secret
