"""契約保証予約 (入札ボンド): the request's rules, its status, its certificate content, and conversion.

A 契約保証予約 is the surety company's promise, made before the bid, to issue the
契約保証 if the contractor wins; its 予約証書 is handed to the orderer as the
入札ボンド. Pure Python: the service hands in the orderer's terms, today and the
font's charset, exactly as for an application (domain/application.py, whose
field helpers and delivery rules are reused so both forms say the same things).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.application import rules as app_rules
from chalicelib.domain.application.collect import Review
from chalicelib.domain.application.normalise import as_dict, as_int
from chalicelib.domain.application.schema import APPLICATION_SCHEMA, CONTRACT_TYPES, FORMS
from chalicelib.domain.application.schema import enum_schema as _enum
from chalicelib.domain.application.schema import integer_schema as _i
from chalicelib.domain.application.schema import object_schema as _obj
from chalicelib.domain.application.schema import string_schema as _s
from chalicelib.domain.dates import RESERVATION_VALID_DAYS
from chalicelib.domain.errors import FieldError
from chalicelib.domain.orderers import Orderer, offers_e_surety

KIND = "contract_reservation"
PRODUCT_NAME = "契約保証予約"
BINDING_SENTENCE = (
    "当社は、上記の入札に係る工事を保証契約者が落札し請負契約を締結するときは、契約保証約款に基づき"
    "同工事の契約保証を引き受けることを予約します。"
)
#: The 契約保証 a reservation promises: at least 1/10 of the contract (the bid amount).
PROMISED_TENTHS = 1

RESERVATION_SCHEMA: dict[str, Any] = _obj(
    ["project", "bid_amount", "form", "delivery"],
    {
        "project": _obj(
            ["name", "orderer_id", "contract_type", "bid_date", "location"],
            {
                "name": _s(),
                "orderer_id": _s(16),
                "contract_type": _enum(CONTRACT_TYPES),
                "bid_date": _s(20),
                "location": _s(),
            },
        ),
        "bid_amount": _i(),
        "form": _enum(FORMS),
        "delivery": APPLICATION_SCHEMA["properties"]["delivery"],
    },
)


def valid_until(bid_date: str) -> str:
    """The last day a reservation can be cited: 90 days after the bid date."""
    return (dt.date.fromisoformat(bid_date) + dt.timedelta(days=RESERVATION_VALID_DAYS)).isoformat()


def promised_amount(bid_amount: int) -> int:
    """The 契約保証金額 the reservation promises (1/10 of the bid, rounded up to the yen)."""
    return -(-bid_amount * PROMISED_TENTHS // 10)


def review_reservation(
    body: Any,
    *,
    orderer: Orderer | None,
    today: dt.date,
    now: dt.datetime | None = None,
    charset: Collection[int] | None = None,
    registered_emails: Collection[str] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Normalise a reservation body and check its rules: (form, errors); the form means nothing with errors.

    `registered_emails` as for an application's delivery: the notice goes only to one of them."""
    r = Review(charset)
    body = as_dict(body)
    p_in = as_dict(body.get("project"))
    project = {
        "name": r.text(p_in, "name", "project.name", required=True, label="工事名"),
        "orderer_id": p_in.get("orderer_id"),
        "contract_type": p_in.get("contract_type"),
        "bid_date": r.date(p_in, "bid_date", "project.bid_date", label="入札日", today=today),
        "location": r.text(p_in, "location", "project.location", required=True, label="工事場所"),
    }
    if project["orderer_id"] in (None, ""):
        r.error("project.orderer_id", "発注者を選択してください。")
    elif orderer is None:
        r.error("project.orderer_id", "発注者が見つかりません。一覧から選択してください。")
    if project["contract_type"] not in CONTRACT_TYPES:
        r.error("project.contract_type", "契約の種類 (工事 / 設計・測量等の業務) を選択してください。")
    bid_amount = as_int(body.get("bid_amount"))
    if bid_amount is None or bid_amount <= 0:
        r.error("bid_amount", "入札金額を1円以上の整数(円)で入力してください。")
    form_kind = body.get("form")
    app_rules.check_form(r, "form", form_kind, orderer is None or offers_e_surety(orderer))
    delivery = app_rules.review_delivery(r, as_dict(body.get("delivery")), today, now, registered_emails)
    form = {"project": project, "bid_amount": bid_amount, "form": form_kind, "delivery": delivery}
    return form, list(r.errors.values())


def effective_status(stored: str, valid_until_day: str | None, today: dt.date) -> str:
    """submitted | issued | rejected | used | expired: an issued one expires the day after `valid_until`."""
    if stored == "issued" and valid_until_day and dt.date.fromisoformat(valid_until_day) < today:
        return "expired"
    return stored


@dataclass(frozen=True)
class Reservation:
    """A stored 契約保証予約, as the repository hands it to services."""

    reservation_id: str
    owner_org: str
    owner_login: str
    branch_id: str
    status: str  # stored: submitted | issued | rejected | used
    submitted_at: str
    form: Mapping[str, Any]
    number: str | None = None
    valid_until: str | None = None
    issued_at: str | None = None
    decided_at: str | None = None
    reject_reason: str | None = None
    used_by: str | None = None

    def status_on(self, today: dt.date) -> str:
        return effective_status(self.status, self.valid_until, today)


def conversion_errors(
    reservation: Reservation | None, *, contractor_org: str, orderer_id: str, today: dt.date
) -> list[FieldError]:
    """Why an application may not cite this reservation (empty: it may), each on the field of API.md."""
    field = "contract_guarantee.reservation_number"
    if reservation is None or reservation.owner_org != contractor_org:
        return [FieldError(field, "この契約保証予約番号は見つかりません。ご自身の予約の番号を入力してください。")]
    status = reservation.status_on(today)
    if status == "used":
        return [FieldError(field, "この契約保証予約はすでに別の保証申込で使用されています。")]
    if status == "expired":
        return [FieldError(field, "この契約保証予約は有効期限 (入札日から90日) を過ぎています。")]
    if status != "issued":
        return [FieldError(field, "この契約保証予約はまだ発行されていません。")]
    if reservation.form["project"]["orderer_id"] != orderer_id:
        return [FieldError(field, "この契約保証予約は別の発注者に対するものです。発注者が同じ予約を指定してください。")]
    return []


def build_content(
    *,
    number: str,
    form: str,
    reservation: Mapping[str, Any],
    contractor_name: str,
    orderer_name: str,
    issued_on: str,
    issuer: Mapping[str, str],
) -> dict[str, Any]:
    """Version 1 of a 契約保証予約証書. Keys shared with a guarantee's content (number, kind,
    product_name, parties, guarantee_amount, deadline…) let D-Sure, the mail and the inbox
    read it like a guarantee; the rest says what the 予約 is."""
    project = reservation["project"]
    until = valid_until(project["bid_date"])
    bid_amount = int(reservation["bid_amount"])
    return {
        "number": number,
        "kind": KIND,
        "product_name": PRODUCT_NAME,
        "form": form,
        "version": 1,
        "version_kind": "new",
        "contractor_name": contractor_name,
        "jv_name": None,
        "orderer_id": project["orderer_id"],
        "orderer_name": orderer_name,
        "project_name": project["name"],
        "location": project.get("location"),
        "contract_type": project["contract_type"],
        "bid_date": project["bid_date"],
        "bid_amount": bid_amount,
        "guarantee_amount": promised_amount(bid_amount),
        "deadline": until,
        "valid_until": until,
        "issued_on": issued_on,
        "issuer": {k: issuer[k] for k in ("name", "branch", "address", "phone")},
        "binding_sentence": BINDING_SENTENCE,
        "reason": None,
    }
