"""The certificate content dict of docs/CONTRACTS.md, its hash, and the amount limits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from chalicelib.domain import certificate, limits
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


TODAY = dt.date(2026, 11, 1)


def check(kind, amount, contract=50_000_000, **kw):
    args = dict(
        guarantee_amount=amount,
        contract_amount=contract,
        period_start="2026-12-01",
        period_end="2027-11-15",
        today=TODAY,
    )
    args.update(kw)
    return limits.check_guarantee(kind, **args)


def test_advance_limit_four_tenths_and_orderer_rate():
    assert check("advance_payment", 20_000_000) == []
    errs = check("advance_payment", 20_000_001)
    assert [e.field for e in errs] == ["guarantee_amount"] and "4/10" in errs[0].message
    assert check("advance_payment", 15_000_001, contract_type="design_survey")[0].field == "guarantee_amount"
    assert check("advance_payment", 15_000_000, contract_type="design_survey") == []
    assert check("advance_payment", 25_000_000, advance_tenths=5) == []


def test_contract_guarantee_minimums():
    assert check("contract_guarantee", 5_000_000) == []
    assert check("contract_guarantee", 4_999_999)[0].field == "guarantee_amount"
    assert check("contract_guarantee", 5_000_000, low_bid=True)[0].field == "guarantee_amount"
    assert check("contract_guarantee", 15_000_000, low_bid=True) == []


def test_period_rules_and_field_names():
    errs = check(
        "advance_payment",
        1,
        period_start="2026-01-01",
        period_end="2026-10-31",
        fields={"period_end": "changes.period_end"},
    )
    assert [e.field for e in errs] == ["changes.period_end"] and "過去" in errs[0].message
    assert check("advance_payment", 1, period_start="2026-01-01", period_end="2026-10-31", today=None) == []
    assert check("advance_payment", 1, period_start="2028-01-01")[0].message.startswith("工期末は工期始")


def test_kinsoku_keeps_punctuation_off_line_starts():
    from chalicelib.render.pdf import kinsoku_lines

    def measure(s: str) -> float:
        return float(len(s))

    lines = kinsoku_lines("あいうえお。かきくけこ、さしすせそ」", 5, measure)
    assert lines == ["あいうえお。", "かきくけこ、", "さしすせそ」"]
    assert kinsoku_lines("あいうえおかき\nく", 5, measure) == ["あいうえお", "かき", "く"]
    assert all(not line or line[0] not in "、。」" for line in kinsoku_lines("。" * 3 + "あ" * 12, 5, measure)[1:])
