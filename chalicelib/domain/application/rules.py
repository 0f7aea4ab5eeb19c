"""The rules of DESIGN.md §1, one function per section of the 保証申込 form.

Each section rule reads its part of the body, reports through the shared
`Review` and returns the section normalised. They never raise on any input
shape: wrong types are the JSON Schema's to report, and a rule skips a value it
cannot read. The cross-section rules (at least one product; the amount limits)
follow the sections they need. `review.review_application` runs them in the
form's order, which is also the order the errors come back in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection
from typing import Any

from chalicelib.domain import dates, labels
from chalicelib.domain.application.amounts import amount_rule_errors
from chalicelib.domain.application.collect import Review
from chalicelib.domain.application.normalise import (
    as_int,
    half_width_leftovers,
    normalise_datetime,
    normalise_email,
    normalise_postal_code,
    normalise_text,
    to_full_width,
)
from chalicelib.domain.application.schema import CONTRACT_TYPES, FEE_PAYMENTS, FORMS, ORDER_TYPES
from chalicelib.domain.branches import BRANCHES
from chalicelib.domain.numbers import normalise_number
from chalicelib.domain.orderers import Orderer

_POSTAL = re.compile(r"^\d{3}-\d{4}$")


# ---------------------------------------------------------------- 請負工事の情報


def review_project(r: Review, p: dict, *, orderer: Orderer | None, today: dt.date) -> dict[str, Any]:
    """工事名, 発注者, 契約の種類, 請負金額, 工期 (終期 not in the past), 工事場所."""
    project: dict[str, Any] = {
        "name": r.text(p, "name", "project.name", required=True, label="工事名"),
        "orderer_id": p.get("orderer_id"),
        "contract_type": p.get("contract_type"),
        "jv_name": r.text(p, "jv_name", "project.jv_name", required=False, label="JV名"),
        "contract_amount": as_int(p.get("contract_amount")),
        "period_start": r.date(p, "period_start", "project.period_start", label="工期(始期)", today=None),
        "period_end": r.date(p, "period_end", "project.period_end", label="工期(終期)", today=today),
        "location": r.text(p, "location", "project.location", required=True, label="工事場所"),
    }
    if project["orderer_id"] in (None, ""):
        r.error("project.orderer_id", "発注者を選択してください。")
    elif orderer is None:
        r.error("project.orderer_id", "発注者が見つかりません。一覧から選択してください。")
    if project["contract_type"] not in CONTRACT_TYPES:
        r.error("project.contract_type", "契約の種類 (工事 / 設計・測量等の業務) を選択してください。")
    if project["contract_amount"] is None or project["contract_amount"] <= 0:
        r.error("project.contract_amount", "請負金額を1円以上の整数(円)で入力してください。")
    if project["period_start"] and project["period_end"] and project["period_start"] > project["period_end"]:
        r.error("project.period_end", "工期の終期は始期と同じ日以降にしてください。")
    elif project["period_start"] and project["period_end"]:
        start, end = dt.date.fromisoformat(project["period_start"]), dt.date.fromisoformat(project["period_end"])
        if dates.period_too_long(start, end):
            r.error("project.period_end", dates.PERIOD_TOO_LONG)
    return project


# ---------------------------------------------------------------- 前払金保証


def review_advance_payment(
    r: Review, section: Any, *, contract_amount: int | None, e_surety: bool
) -> dict[str, Any] | None:
    """前払金保証, when requested: amounts, 預託金融機関 (全角, printable), 支払方法, 形式."""
    if section is None:
        return None
    if not isinstance(section, dict):
        r.error("advance_payment", "前払金保証の内容が正しくありません。")
        return None
    advance: dict[str, Any] = {
        "amount": as_int(section.get("amount")),
        "this_year_amount": as_int(section.get("this_year_amount")),
        "intermediate_amount": as_int(section.get("intermediate_amount")),
        "deposit_bank": None,
        "redeposit": bool(section.get("redeposit")),
        "fee_payment": section.get("fee_payment"),
        "intermediate": bool(section.get("intermediate")),
        "intermediate_planned": bool(section.get("intermediate_planned")),
        "form": section.get("form"),
    }
    _advance_amounts(r, advance, contract_amount)
    advance["deposit_bank"] = _deposit_bank(r, section.get("deposit_bank"))
    if advance["fee_payment"] not in FEE_PAYMENTS:
        r.error("advance_payment.fee_payment", "前払金保証料支払方法を選択してください。")
    check_form(r, "advance_payment.form", advance["form"], e_surety)
    return advance


def _advance_amounts(r: Review, advance: dict[str, Any], contract_amount: int | None) -> None:
    """前払金保証金額, 今年度対象額 and the 中間前払金 fields agree with each other."""
    if advance["amount"] is None or advance["amount"] <= 0:
        r.error("advance_payment.amount", "前払金保証金額を1円以上の整数(円)で入力してください。")
    ty = advance["this_year_amount"]
    if ty is not None and (ty <= 0 or (contract_amount and ty > contract_amount)):
        r.error("advance_payment.this_year_amount", "今年度対象額は1円以上、請負金額以下で入力してください。")
    ia = advance["intermediate_amount"]
    if ia is not None:
        if ia <= 0:
            r.error("advance_payment.intermediate_amount", "中間前払金の額は1円以上で入力してください。")
        elif not advance["intermediate"]:
            r.error(
                "advance_payment.intermediate_amount",
                "中間前払金の額を入力する場合は「中間前払金あり」を選択してください。",
            )
    if advance["intermediate_planned"] and not advance["intermediate"]:
        r.error(
            "advance_payment.intermediate_planned",
            "中間前払金の請求を予定する場合は「中間前払金あり」を選択してください。",
        )


def _deposit_bank(r: Review, raw: Any) -> str | None:
    """預託金融機関 normalised to 全角; what stays narrow or cannot be printed is refused."""
    field = "advance_payment.deposit_bank"
    bank = to_full_width(raw)
    if not bank:
        r.error(field, "預託金融機関を入力してください。")
        return None
    narrow = half_width_leftovers(bank)
    if narrow:
        shown = "」「".join(dict.fromkeys(narrow))
        r.error(field, f"預託金融機関は全角で入力してください (「{shown}」は使えません)。")
    else:
        r.printable(field, bank)
    return bank


# ---------------------------------------------------------------- 契約保証


def review_contract_guarantee(r: Review, section: Any, *, e_surety: bool) -> dict[str, Any] | None:
    """契約保証, when requested: 金額, 支払方法, 形式, 低入札."""
    if section is None:
        return None
    if not isinstance(section, dict):
        r.error("contract_guarantee", "契約保証の内容が正しくありません。")
        return None
    contract: dict[str, Any] = {
        "amount": as_int(section.get("amount")),
        "fee_payment": section.get("fee_payment"),
        "form": section.get("form"),
        "low_bid": bool(section.get("low_bid")),
    }
    if contract["amount"] is None or contract["amount"] <= 0:
        r.error("contract_guarantee.amount", "契約保証金額を1円以上の整数(円)で入力してください。")
    if contract["fee_payment"] not in FEE_PAYMENTS:
        r.error("contract_guarantee.fee_payment", "契約保証料支払方法を選択してください。")
    check_form(r, "contract_guarantee.form", contract["form"], e_surety)
    cited = section.get("reservation_number")
    if isinstance(cited, str) and normalise_number(cited):
        # issue 17: converting a 契約保証予約; checked against the store by the service
        contract["reservation_number"] = normalise_number(cited)
    return contract


def check_form(r: Review, field: str, value: Any, e_surety: bool) -> None:
    """形式: electronic only for an orderer on the list of 電子保証対応の発注者.

    The message names the product (`field` is `advance_payment.form` or
    `contract_guarantee.form`): both sections have a 形式, and the error summary
    must say which one is wrong. A 契約保証予約 (issue 17) checks its bare `form`."""
    product = labels.KIND.get(field.partition(".")[0], "契約保証予約")
    if value not in FORMS:
        r.error(field, f"{product}の保証証書の形式 (証書(紙) / 電子保証) を選択してください。")
    elif value == "electronic" and not e_surety:
        r.error(
            field,
            f"この発注者は電子保証に対応していないため、{product}を電子保証で申し込むことはできません。"
            "証書(紙)を選択するか、電子保証対応の発注者をご確認ください。",
        )


# ---------------------------------------------------------------- across the products


def check_requested(r: Review, advance_in: Any, contract_in: Any) -> None:
    """At least one of 前払金保証 / 契約保証 is asked for."""
    if advance_in is None and contract_in is None:
        r.error("advance_payment", "前払金保証と契約保証の少なくとも一方を申し込んでください。")


def check_amounts(
    r: Review,
    project: dict[str, Any],
    advance: dict[str, Any] | None,
    contract: dict[str, Any] | None,
    terms: Orderer,
) -> None:
    """The ratio limits against 請負金額, once it reads; a 中間前払金 already refused is not summed."""
    if not r.ok("project.contract_amount"):
        return
    contract_type = project["contract_type"] if project["contract_type"] in CONTRACT_TYPES else "construction"
    intermediate_ok = advance is not None and r.ok("advance_payment.intermediate_amount")
    for e in amount_rule_errors(
        contract_amount=project["contract_amount"],
        contract_type=contract_type,
        terms=terms,
        advance_amount=advance["amount"] if advance else None,
        intermediate_amount=advance["intermediate_amount"] if advance and intermediate_ok else None,
        contract_guarantee_amount=contract["amount"] if contract else None,
        low_bid=bool(contract and contract["low_bid"]),
    ):
        r.error(e.field, e.message)


# ---------------------------------------------------------------- 入札の状況

_BID_COUNTS = (
    ("rounds", "入札回数"),
    ("bidders", "入札参加者数"),
    ("disqualified", "失格者数"),
    ("second_amount_k", "二番札入札金額"),
    ("highest_amount_k", "最高札入札金額"),
)


def review_bid(r: Review, bid_in: dict, today: dt.date | None = None) -> dict[str, Any]:
    """受注区分, 落札日 (any accepted form, not after `today`), counts and amounts that are whole and consistent."""
    bid: dict[str, Any] = {
        "order_type": bid_in.get("order_type"),
        "award_date": r.date(bid_in, "award_date", "bid.award_date", label="落札日", today=None),
        "rounds": as_int(bid_in.get("rounds")),
        "bidders": as_int(bid_in.get("bidders")),
        "disqualified": as_int(bid_in.get("disqualified")),
        "second_bidder": r.text(bid_in, "second_bidder", "bid.second_bidder", required=False, label="二番札入札者"),
        "second_amount_k": as_int(bid_in.get("second_amount_k")),
        "highest_bidder": r.text(bid_in, "highest_bidder", "bid.highest_bidder", required=False, label="最高札入札者"),
        "highest_amount_k": as_int(bid_in.get("highest_amount_k")),
    }
    if today is not None and bid["award_date"] and bid["award_date"] > today.isoformat():
        r.error("bid.award_date", "落札日に未来の日付は指定できません。")
    if bid["order_type"] not in ORDER_TYPES:
        r.error("bid.order_type", "受注区分を選択してください。")
    for name, label in _BID_COUNTS:
        if bid[name] is not None and bid[name] < 0:
            r.error(f"bid.{name}", f"{label}は0以上の整数で入力してください。")
    if bid["rounds"] == 0:
        r.error("bid.rounds", "入札回数は1以上で入力してください。")
    if bid["bidders"] is not None and bid["disqualified"] is not None and bid["disqualified"] > bid["bidders"]:
        r.error("bid.disqualified", "失格者数は入札参加者数以下にしてください。")
    return bid


# ---------------------------------------------------------------- 申込送信先・受取方法


def review_delivery(
    r: Review, d_in: dict, today: dt.date, now: dt.datetime | None, registered: Collection[str] | None = None
) -> dict[str, Any]:
    """申込送信先, 受取方法 (送付 with a date / 当社窓口 with a visit), the mail address, 送付先.

    `registered`: the contractor's own users' addresses (lower-case); the notices go only to one of
    them, so a contractor cannot have the system mail its text (工事名, 発注者) to anyone it types.
    None skips that check (the caller has no organisation, e.g. a unit test of the other rules)."""
    delivery: dict[str, Any] = {
        "branch_id": d_in.get("branch_id"),
        "receipt": d_in.get("receipt"),
        "notify": bool(d_in.get("notify")),
        "receipt_date": None,
        "visit_at": None,
        "email": None,
        "mail_to": None,
    }
    if delivery["branch_id"] not in BRANCHES:
        r.error("delivery.branch_id", "申込送信先を選択してください。")
    _receipt(r, d_in, delivery, today, now)
    delivery["email"] = _email(r, d_in.get("email"), notify=delivery["notify"], registered=registered)
    delivery["mail_to"] = _mail_to(r, d_in.get("mail_to"), by_mail=delivery["receipt"] == "mail")
    return delivery


def _receipt(r: Review, d_in: dict, delivery: dict[str, Any], today: dt.date, now: dt.datetime | None) -> None:
    """送付: a 受取希望日 not in the past; 当社窓口: a 来店予定日時 not in the past."""
    if delivery["receipt"] == "mail":
        delivery["receipt_date"] = r.date(
            d_in, "receipt_date", "delivery.receipt_date", label="受取希望日", today=today
        )
    elif delivery["receipt"] == "counter":
        raw = d_in.get("visit_at")
        visit = normalise_datetime(raw)
        if raw in (None, ""):
            r.error("delivery.visit_at", "来店予定日時を入力してください。")
        elif visit is None:
            r.error("delivery.visit_at", "来店予定日時は 2026-12-10T10:00 の形式で入力してください。")
        elif now is not None and dt.datetime.fromisoformat(visit) < now:
            r.error("delivery.visit_at", "来店予定日時に過去の日時は指定できません。")
        delivery["visit_at"] = visit
    else:
        r.error("delivery.receipt", "受取方法 (送付 / 当社窓口) を選択してください。")


def _email(r: Review, raw: Any, *, notify: bool, registered: Collection[str] | None) -> str | None:
    """The address for 発行完了のお知らせ: its syntax checked, required when notify is asked for, and
    one of the contractor's registered users' addresses."""
    email = normalise_text(raw)
    if email is None:
        if notify:
            r.error("delivery.email", "発行完了のお知らせを希望する場合はメールアドレスを入力してください。")
        return None
    email = unicodedata.normalize("NFKC", email)
    valid = normalise_email(email)
    if valid is None:
        r.error("delivery.email", "メールアドレスの形式が正しくありません。")
        return email
    if registered is not None and valid.lower() not in registered:
        r.error(
            "delivery.email",
            "お知らせの送信先には、貴社の利用者として登録されたメールアドレスを入力してください。",
        )
    return valid


def _mail_to(r: Review, raw: Any, *, by_mail: bool) -> dict[str, Any] | None:
    """保証証書送付先: 宛名, 郵便番号 (NNN-NNNN), 住所 — required when the certificate is mailed."""
    if not (isinstance(raw, dict) and any(normalise_text(raw.get(k)) for k in ("name", "postal_code", "address"))):
        if by_mail:
            r.error("delivery.mail_to.name", "送付の場合は保証証書送付先 (宛名・郵便番号・住所) を入力してください。")
        return None
    mail_to = {
        "name": r.text(raw, "name", "delivery.mail_to.name", required=True, label="送付先の宛名"),
        "postal_code": normalise_postal_code(raw.get("postal_code")),
        "address": r.text(raw, "address", "delivery.mail_to.address", required=True, label="送付先の住所"),
    }
    if not _POSTAL.match(mail_to["postal_code"]):
        r.error("delivery.mail_to.postal_code", "郵便番号は 309-1792 のように NNN-NNNN で入力してください。")
    return mail_to
