"""保証料: staff record the payment (the exact total, once) or a waiver (with a reason, once).

Each is written with its audit record in one transaction (store/fees.py), and marks an
application's own row settled, so issuing (services/issuance.py) needs no extra read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from chalicelib import logs
from chalicelib.domain import clock, reasons
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.fees import AlreadySettled
from chalicelib.domain.principal import Principal
from chalicelib.services import fees, reservations, staff_applications
from chalicelib.store import fees as fee_store

SETTLED = FieldError("fees", "保証料の入金または免除はすでに記録されています。")


def _subject_form(principal: Principal, kind: str, ident: str) -> Mapping[str, Any]:
    """The staff member's own branch's submitted application or reservation, or NotFound/Conflict."""
    if kind == "application":
        app = staff_applications.get_application(principal, ident)
        status = app["status"]
        form = {k: app.get(k) for k in ("project", "advance_payment", "contract_guarantee")}
    else:
        r = reservations.get_for_staff(principal, ident)
        status, form = r.status, r.form
    if status != "submitted":
        raise Conflict([staff_applications.ALREADY_DONE])
    return form


def pay(principal: Principal, kind: str, ident: str, amount: int, paid_on: str) -> dict[str, Any]:
    """入金の記録: exactly `fees.total`, received on a day not in the future, once."""
    form = _subject_form(principal, kind, ident)
    record = fees.ensure(kind, ident, form)
    errors = []
    if amount != record.total:
        errors.append(FieldError("amount", f"入金額が保証料の合計 ({record.total:,}円) と一致しません。"))
    try:
        day = dt.date.fromisoformat(paid_on)
    except (TypeError, ValueError):
        errors.append(FieldError("paid_on", "入金日は YYYY-MM-DD の形式で入力してください。"))
    else:
        if day > clock.today():
            errors.append(FieldError("paid_on", "入金日に未来の日付は指定できません。"))
    if errors:
        raise ValidationFailed(errors)
    if record.settled:
        raise Conflict([SETTLED])
    try:
        entry = _audit(principal, "fee_payment", kind, ident)
        record = fee_store.record_payment(record.subject, amount, day.isoformat(), principal.login, entry)
    except AlreadySettled:
        raise Conflict([SETTLED]) from None
    logs.info("fee_paid", subject=record.subject, amount=amount)
    return {"id": ident, "fees": record.as_api()}


def waive(principal: Principal, kind: str, ident: str, reason: Any) -> dict[str, Any]:
    """保証料の免除: with a reason (the staff-reason rule, domain/reasons.py), once, audited."""
    reason = reasons.required(reason, what="免除の")
    form = _subject_form(principal, kind, ident)
    record = fees.ensure(kind, ident, form)
    if record.settled:
        raise Conflict([SETTLED])
    try:
        entry = _audit(principal, "fee_waiver", kind, ident, reason)
        record = fee_store.record_waiver(record.subject, reason, principal.login, entry)
    except AlreadySettled:
        raise Conflict([SETTLED]) from None
    logs.info("fee_waived", subject=record.subject)
    return {"id": ident, "fees": record.as_api()}


def _audit(principal: Principal, action: str, kind: str, ident: str, reason: str | None = None) -> AuditEntry:
    """The audit record (API.md "Audit": `fee_payment` / `fee_waiver`, target `<kind>:<id>`), scoped to
    the clerk's branch; the store writes it in the same transaction as the payment or waiver."""
    return AuditEntry(
        actor=principal.login, action=action, target=f"{kind}:{ident}", scope=principal.org_id, reason=reason
    )
