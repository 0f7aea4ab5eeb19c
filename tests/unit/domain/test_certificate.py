"""domain/certificate.py: the certificate content dict of docs/CONTRACTS.md and its hash."""

from __future__ import annotations

import hashlib
import json

import pytest

from chalicelib.domain import certificate
from tests import pdfs
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
DETAILS = {  # the form's other sections ride along: build_content takes only what it prints
    **pdfs.DETAILS,
    "branch_id": "ibaraki",
    "notify": True,
    "email": "soumu@example.co.jp",
}


def build(kind="advance_payment", **kw):
    return pdfs.certificate_content(
        **{"number": "30026-000001M", "kind": kind, "details": DETAILS, "issued_on": "2026-11-01", **kw}
    )


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
