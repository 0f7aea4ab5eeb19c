"""The demo data of API.md, seeded into the local stage (and into tests)."""

from __future__ import annotations

import functools

from chalicelib.services.auth import hash_password
from chalicelib.store.models import AccountModel, OrdererModel

DEMO_ACCOUNTS = [
    # login, password, role, org id, org name, e-mail
    ("demo-contractor", "demo-pass-1", "contractor", "c-0001", "〇〇建設 株式会社", "soumu@example.co.jp"),
    ("other-contractor", "demo-pass-2", "contractor", "c-0002", "△△工業 株式会社", "info@example.com"),
    ("ibaraki-staff", "demo-pass-3", "staff", "ibaraki", "茨城支店", None),
    ("kasama", "demo-pass-4", "orderer", "08216", "笠間市長", None),
    ("mito", "demo-pass-5", "orderer", "08201", "水戸市長", None),
]

DEMO_ORDERERS = [
    ("08216", "笠間市長", True),
    ("08201", "水戸市長", True),
    ("08999", "〇〇村長", False),
]


@functools.cache
def _hash(password: str) -> str:
    """argon2id is slow on purpose; tests re-seed often, so hash each demo password once."""
    return hash_password(password)


def seed_demo() -> None:
    """The demo logins and their published passwords exist in the local stage only."""
    from chalicelib import settings

    if not settings.current().is_local:
        raise RuntimeError(f"demo data is for the local stage only, not {settings.current().stage!r}")
    for orderer_id, name, e_surety in DEMO_ORDERERS:
        OrdererModel(orderer_id, name=name, e_surety=e_surety).save()
    for login, password, role, org_id, org_name, mail in DEMO_ACCOUNTS:
        AccountModel(
            login,
            role=role,
            org_id=org_id,
            org_name=org_name,
            email=mail,
            password_hash=_hash(password),
        ).save()
