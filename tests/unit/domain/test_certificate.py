"""domain/certificate.py: the certificate content dict of docs/CONTRACTS.md and its hash."""

from __future__ import annotations

import hashlib
import json

import pytest

from chalicelib.domain import certificate
from tests.factories import canonical_sha256

CONTRACT_KEYS = {
    "number",
    "kind",
    "product_name",
    "form",
    "version",
    "version_kind",
    "contractor_name",
    "jv_name",
    "orderer_id",
    "orderer_name",
    "project_name",
    "contract_amount",
    "guarantee_amount",
    "deadline",
    "period_start",
    "period_end",
    "location",
    "deposit_bank",
    "issued_on",
    "issuer",
    "binding_sentence",
    "reason",
}
DETAILS = {
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
    "branch_id": "ibaraki",
    "notify": True,
    "email": "soumu@example.co.jp",
}
ISSUER = {
    "name": "東日本建設業保証株式会社",
    "branch": "茨城支店",
    "address": "東京都中央区八丁堀2丁目27番10号",
    "phone": "029-221-3800",
}


def build(kind="advance_payment", **kw):
    args = dict(
        number="30026-000001M",
        kind=kind,
        form="electronic",
        version=1,
        version_kind="new",
        orderer_id="08216",
        deadline="2027-11-15",
        details=DETAILS,
        issued_on="2026-11-01",
        issuer=ISSUER,
    )
    args.update(kw)
    return certificate.build_content(**args)


def test_content_has_exactly_the_contract_keys():
    c = build()
    assert set(c) == CONTRACT_KEYS
    assert set(c["issuer"]) == {"name", "branch", "address", "phone"}
    assert c["product_name"] == "前払金保証"
    assert c["binding_sentence"] == "当社は、前払金保証約款に基づき上記のとおり保証契約を締結し、その責に任じます。"
    assert c["deposit_bank"] == "〇〇銀行 ××支店"
    assert "branch_id" not in c and "email" not in c


def test_contract_guarantee_sentence_and_no_deposit_bank():
    c = build("contract_guarantee", number="30026-000002K")
    assert c["product_name"] == "契約保証"
    assert c["binding_sentence"] == "当社は、契約保証約款に基づき上記のとおり保証契約を締結し、その責に任じます。"
    assert c["deposit_bank"] is None


def test_sha256_is_canonical_and_matches_the_factory():
    c = build()
    expected = hashlib.sha256(
        json.dumps(c, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    assert certificate.sha256(c) == expected == canonical_sha256(c)
    reordered = dict(reversed(list(c.items())))
    assert certificate.sha256(reordered) == expected
    assert certificate.sha256(build(reason="x")) != expected


def test_unknown_kinds_refused():
    with pytest.raises(ValueError):
        build("bond")
    with pytest.raises(ValueError):
        build(version_kind="reissue")
