"""Issue 3: every application rule of DESIGN.md §1 at its boundary, and the normalisers' properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.application import (
    APPLICATION_SCHEMA,
    amount_rule_errors,
    half_width_leftovers,
    normalise_date,
    normalise_postal_code,
    parse_amount,
    review_application,
    to_full_width,
)
from chalicelib.domain.fonts import drawable_in, undrawable_chars
from chalicelib.domain.orderers import Orderer
from tests.factories import application_body

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
KASAMA = Orderer("08216", "笠間市長", True)
VILLAGE = Orderer("08999", "〇〇村長", False)


def review(body, orderer=KASAMA, charset=None):
    return review_application(body, orderer=orderer, today=TODAY, now=NOW, charset=charset)


def fields(body, **kw) -> dict[str, str]:
    _form, errors = review(body, **kw)
    return {e.field: e.message for e in errors}


def test_the_example_body_of_api_md_is_valid_and_normalised():
    form, errors = review(application_body())
    assert errors == []
    assert form["bid"]["award_date"] == "2026-10-30"
    assert form["advance_payment"]["deposit_bank"] == "〇〇銀行\u3000××支店"
    assert set(form) == {"project", "advance_payment", "contract_guarantee", "bid", "delivery"}


# ---- 前払金: 4/10 construction, 3/10 design_survey, orderer's own rates


def test_advance_exactly_40_percent_passes_one_yen_more_fails():
    assert fields(application_body(advance_payment__amount=20_000_000)) == {}
    errs = fields(application_body(advance_payment__amount=20_000_001))
    assert list(errs) == ["advance_payment.amount"]
    assert "4/10" in errs["advance_payment.amount"] and "20,000,000円" in errs["advance_payment.amount"]


def test_design_survey_is_30_percent():
    body = application_body(project__contract_type="design_survey", advance_payment__amount=15_000_000)
    assert fields(body) == {}
    body["advance_payment"]["amount"] = 15_000_001
    assert "3/10" in fields(body)["advance_payment.amount"]


def test_odd_contract_amount_uses_exact_integer_arithmetic():
    # 4/10 of 33,333,333 is 13,333,333.2: 13,333,333 passes, 13,333,334 fails.
    body = application_body(
        project__contract_amount=33_333_333, advance_payment__amount=13_333_333, contract_guarantee__amount=3_333_334
    )
    assert fields(body) == {}
    body["advance_payment"]["amount"] = 13_333_334
    assert "advance_payment.amount" in fields(body)


def test_the_orderers_record_may_set_another_rate():
    generous = Orderer("08216", "笠間市長", True, advance_rate_construction=5)
    body = application_body(advance_payment__amount=25_000_000)
    assert fields(body, orderer=generous) == {}
    assert "advance_payment.amount" in fields(body)


def test_intermediate_20_percent_and_total_60_percent():
    ok = application_body(advance_payment__intermediate=True, advance_payment__intermediate_amount=10_000_000)
    assert fields(ok) == {}  # 20,000,000 + 10,000,000 = 60 %
    over20 = application_body(advance_payment__intermediate=True, advance_payment__intermediate_amount=10_000_001)
    assert "2/10" in fields(over20)["advance_payment.intermediate_amount"]
    # 20 % intermediate is fine alone, but with a 4/10 advance from an orderer allowing 5/10 the total breaks 6/10.
    generous = Orderer("08216", "笠間市長", True, advance_rate_construction=5)
    total = application_body(
        advance_payment__amount=21_000_000,
        advance_payment__intermediate=True,
        advance_payment__intermediate_amount=10_000_000,
    )
    assert "6/10" in fields(total, orderer=generous)["advance_payment.intermediate_amount"]
    total["advance_payment"]["amount"] = 20_000_000
    assert fields(total, orderer=generous) == {}


def test_intermediate_amount_needs_intermediate_yes():
    body = application_body(advance_payment__intermediate_amount=5_000_000)
    assert "中間前払金あり" in fields(body)["advance_payment.intermediate_amount"]


# ---- 契約保証: ≥ 1/10, ≥ 3/10 low bid


def test_contract_guarantee_exactly_10_percent_passes_one_yen_less_fails():
    assert fields(application_body(contract_guarantee__amount=5_000_000)) == {}
    errs = fields(application_body(contract_guarantee__amount=4_999_999))
    assert list(errs) == ["contract_guarantee.amount"] and "1/10" in errs["contract_guarantee.amount"]


def test_low_bid_contract_guarantee_is_30_percent():
    body = application_body(contract_guarantee__low_bid=True, contract_guarantee__amount=15_000_000)
    assert fields(body) == {}
    body["contract_guarantee"]["amount"] = 14_999_999
    assert "3/10" in fields(body)["contract_guarantee.amount"]


def test_amount_rule_errors_is_reusable_for_a_change():
    errs = amount_rule_errors(
        contract_amount=60_000_000,
        contract_type="construction",
        terms=KASAMA,
        advance_amount=24_000_001,
        contract_guarantee_amount=5_999_999,
    )
    assert {e.field for e in errs} == {"advance_payment.amount", "contract_guarantee.amount"}
    assert (
        amount_rule_errors(
            contract_amount=60_000_000,
            contract_type="construction",
            terms=KASAMA,
            advance_amount=24_000_000,
            contract_guarantee_amount=6_000_000,
        )
        == []
    )


# ---- dates


def test_period_order():
    same_day = application_body(project__period_start="2027-11-15", project__period_end="2027-11-15")
    assert fields(same_day) == {}
    reversed_ = application_body(project__period_start="2027-11-16", project__period_end="2027-11-15")
    assert list(fields(reversed_)) == ["project.period_end"]


def test_period_end_and_receipt_date_not_in_the_past():
    assert fields(application_body(project__period_start="2026-01-01", project__period_end=TODAY.isoformat())) == {}
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    errs = fields(
        application_body(
            project__period_start="2026-01-01", project__period_end=yesterday, delivery__receipt_date=yesterday
        )
    )
    assert set(errs) == {"project.period_end", "delivery.receipt_date"}
    assert "過去" in errs["project.period_end"]


@pytest.mark.parametrize("text", ["20231030", "2023/10/30", "2023-10-30", "２０２３/１０/３０", " 2023/10/30 "])
def test_award_date_formats(text):
    form, errors = review(application_body(bid__award_date=text))
    assert errors == [] and form["bid"]["award_date"] == "2023-10-30"


@pytest.mark.parametrize("text", ["2023.10.30", "20231330", "2023-02-30", "令和5年10月30日", "", "1030"])
def test_bad_award_dates_are_refused(text):
    assert "bid.award_date" in fields(application_body(bid__award_date=text))


def test_counter_visit_needs_a_future_datetime():
    base = {"receipt": "counter", "receipt_date": None}
    body = application_body(**{f"delivery__{k}": v for k, v in base.items()}, delivery__visit_at="2026-12-01T10:00")
    form, errors = review(body)
    assert errors == [] and form["delivery"]["visit_at"] == "2026-12-01T10:00:00+09:00"
    assert "delivery.visit_at" in fields(application_body(delivery__receipt="counter"))
    assert (
        "過去"
        in fields(application_body(delivery__receipt="counter", delivery__visit_at="2026-11-25T08:59"))[
            "delivery.visit_at"
        ]
    )


# ---- full width, e-mail, postal code, products, electronic


def test_half_width_bank_is_normalised_to_full_width():
    form, errors = review(application_body(advance_payment__deposit_bank="ﾐｽﾞﾎ銀行 ABC支店 123"))
    assert errors == []
    assert form["advance_payment"]["deposit_bank"] == "ミズホ銀行\u3000ＡＢＣ支店\u3000１２３"


def test_only_narrow_leftovers_are_refused_ambiguous_are_fine():
    assert half_width_leftovers(to_full_width("〇〇銀行 ××支店")) == []  # × is East Asian Width A
    # jaconv leaves the half-width won sign ₩ (Na?) / ¢ narrow: whatever is still H or Na is refused.
    leftover = "\u20a9"  # ₩ is H
    errs = fields(application_body(advance_payment__deposit_bank=f"〇〇銀行{leftover}"))
    assert "全角" in errs["advance_payment.deposit_bank"]


@pytest.mark.parametrize("addr", ["soumu@example.co.jp", "a.b+c@sub.example.com"])
def test_email_syntax_only_no_dns(addr):
    assert fields(application_body(delivery__email=addr)) == {}


@pytest.mark.parametrize("addr", ["soumu", "soumu@", "@example.co.jp", "a b@example.com", "soumu@example..jp"])
def test_bad_email_refused(addr):
    assert "delivery.email" in fields(application_body(delivery__email=addr))


def test_the_notice_address_must_be_a_registered_one_case_insensitively():
    registered = frozenset({"soumu@example.co.jp"})
    form, errors = review_application(
        application_body(delivery__email="Soumu@Example.co.jp"),
        orderer=KASAMA,
        today=TODAY,
        registered_emails=registered,
    )
    assert errors == [] and form["delivery"]["email"] == "Soumu@example.co.jp"
    _form, errors = review_application(
        application_body(delivery__email="x@example.net"), orderer=KASAMA, today=TODAY, registered_emails=registered
    )
    assert [(e.field, "登録されたメールアドレス" in e.message) for e in errors] == [("delivery.email", True)]
    # No address (no notice asked for) needs no registration.
    _form, errors = review_application(
        application_body(delivery__email=None, delivery__notify=False),
        orderer=KASAMA,
        today=TODAY,
        registered_emails=frozenset(),
    )
    assert errors == []


def test_email_required_only_when_notify():
    assert "delivery.email" in fields(application_body(delivery__email=None))
    assert fields(application_body(delivery__email=None, delivery__notify=False)) == {}


@pytest.mark.parametrize(
    "code,ok",
    [
        ("309-1792", True),
        ("３０９－１７９２", True),
        ("3091792", True),
        ("309-179", False),
        ("30-91792", False),
        ("abc-defg", False),
    ],
)
def test_postal_code(code, ok):
    errs = fields(application_body(delivery__mail_to__postal_code=code))
    assert ("delivery.mail_to.postal_code" not in errs) is ok


def test_at_least_one_product():
    body = application_body(advance_payment=None, contract_guarantee=None)
    assert list(fields(body)) == ["advance_payment"]
    assert fields(application_body(advance_payment=None)) == {}
    assert fields(application_body(contract_guarantee=None)) == {}


def test_electronic_only_when_orderer_is_e_surety():
    errs = fields(application_body(project__orderer_id="08999"), orderer=VILLAGE)
    assert set(errs) == {"advance_payment.form", "contract_guarantee.form"}
    paper = application_body(
        project__orderer_id="08999", advance_payment__form="paper", contract_guarantee__form="paper"
    )
    assert fields(paper, orderer=VILLAGE) == {}


def test_unknown_orderer_and_branch():
    errs = fields(application_body(project__orderer_id="99999", delivery__branch_id="nowhere"), orderer=None)
    assert {"project.orderer_id", "delivery.branch_id"} <= set(errs)


def test_every_error_is_reported_at_once():
    body = application_body(
        advance_payment__amount=30_000_000,
        contract_guarantee__amount=1,
        bid__award_date="x",
        delivery__email="bad",
        delivery__mail_to__postal_code="1",
    )
    assert set(fields(body)) == {
        "advance_payment.amount",
        "contract_guarantee.amount",
        "bid.award_date",
        "delivery.email",
        "delivery.mail_to.postal_code",
    }


def test_characters_the_font_cannot_draw_are_refused():
    charset = {
        ord(c) for c in "5市単(笠建)第〇-〇号道路改良工事茨城県笠間市〇〇銀行\u3000××支店△工業□設株式会社0123456789"
    }
    body = application_body(project__name="𠮷野家改良工事")
    errs = fields(body, charset=frozenset(charset))
    assert "𠮷" in errs["project.name"]
    assert undrawable_chars("𠮷𠮷a", charset) == ["𠮷", "a"]
    assert drawable_in(charset)("〇") and not drawable_in(charset)("𠮷")


def test_schema_refuses_unknown_fields():
    from chalicelib.domain.validation import validate

    body = application_body()
    body["project"]["colour"] = "red"
    assert [e.field for e in validate(body, APPLICATION_SCHEMA)] == ["project.colour"]
    assert validate(application_body(), APPLICATION_SCHEMA) == []


# ---- property-based: the normalisers never raise and are idempotent

anything = st.one_of(st.text(), st.integers(), st.none(), st.booleans(), st.floats(allow_nan=True))


@given(anything)
def test_normalise_date_total_and_idempotent(value):
    out = normalise_date(value)
    assert out is None or normalise_date(out) == out


@given(st.text())
def test_to_full_width_total_and_idempotent(text):
    once = to_full_width(text)
    assert to_full_width(once) == once


@given(anything)
def test_postal_code_total_and_idempotent(value):
    once = normalise_postal_code(value)
    assert normalise_postal_code(once) == once


@given(anything)
def test_parse_amount_total_and_idempotent(value):
    once = parse_amount(value)
    assert parse_amount(once) == once or (once != once)  # NaN is never equal to itself


@given(st.recursive(anything, lambda kids: st.dictionaries(st.text(max_size=20), kids, max_size=5), max_leaves=30))
def test_review_never_raises_on_any_shape(body):
    form, errors = review(body)
    assert errors  # nothing of that shape is a valid application


def test_an_award_date_after_today_is_refused_and_today_is_accepted():
    assert "未来" in fields(application_body(bid__award_date="2026-11-26"))["bid.award_date"]
    assert "bid.award_date" not in fields(application_body(bid__award_date="2026-11-25"))


def test_no_orderer_chosen_is_one_error_not_also_a_refused_electronic_form():
    found = fields(application_body(project__orderer_id=""), orderer=None)
    assert "project.orderer_id" in found
    assert not any("電子保証に対応していない" in m for m in found.values())
    assert "電子保証に対応していない" in fields(application_body(), orderer=VILLAGE)["advance_payment.form"]
