"""The staff's 保証料 forms (payment, waiver) of an application's or a reservation's page, behind
the confirmation step (handlers/confirm.py): what each says, what it shows, what it writes."""

from __future__ import annotations

from chalicelib.domain import labels
from chalicelib.domain.era import era_date
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.handlers.confirm import Confirmation
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall
from chalicelib.render import formatting

fee_payments = lazy("chalicelib.services.fee_payments")

STEPS = {
    "payment": Confirmation(
        title="保証料の入金を記録します",
        button="入金を記録する",
        consequence=labels.CONSEQUENCE["payment"],
        back="",
        fields=("amount", "paid_on"),
    ),
    "waiver": Confirmation(
        title="保証料を免除します",
        button="免除する",
        consequence=labels.CONSEQUENCE["waiver"],
        back="",
        fields=("reason",),
    ),
}


def fee_step(call: PageCall) -> Confirmation:
    """The payment's or the waiver's confirmation; any other /fee/{how} is a 404."""
    step = STEPS.get(call.params["how"])
    if step is None:
        raise ApiError(404)
    return step


def _amount(values: dict[str, str]) -> int:
    amount = values.get("amount", "").replace(",", "").strip()
    if not (amount.isascii() and amount.isdigit()):
        raise ValidationFailed([FieldError("amount", "入金額を半角数字(円)で入力してください。")])
    return int(amount)


def settle_facts(call: PageCall, kind: str, ident: str, values: dict[str, str]) -> list[tuple[str, ...]]:
    """The rows the confirmation adds (入金額 and 入金日, or the reason), checked as the write checks them."""
    if call.params["how"] == "payment":
        record, day = fee_payments.check_payment(call.principal, kind, ident, _amount(values), values["paid_on"])
        return [("入金額", formatting.yen(record.total)), ("入金日", era_date(day))]
    _record, reason = fee_payments.check_waiver(call.principal, kind, ident, values["reason"])
    return [("免除の理由", reason)]


def settle(call: PageCall, kind: str, ident: str, values: dict[str, str]) -> None:
    """Record the confirmed payment or waiver."""
    if call.params["how"] == "payment":
        fee_payments.pay(call.principal, kind, ident, _amount(values), values["paid_on"])
    else:
        fee_payments.waive(call.principal, kind, ident, values["reason"])
