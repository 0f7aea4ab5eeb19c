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
#: A payment is dated at most this many days before the submission it pays for (issue 26: a
#: payment dated 0001-01-01 was recorded), and never after today.
PAID_BEFORE_SUBMISSION_DAYS = 30


def _subject(principal: Principal, kind: str, ident: str) -> tuple[Mapping[str, Any], str]:
    """The staff member's own branch's submitted application or reservation (its form and when it
    was submitted), or NotFound/Conflict: the one row, not the staff view (no fee or bounce reads)."""
    if kind == "application":
        app = staff_applications.branch_application(principal, ident)
        status, form, submitted_at = app.status, app.form, app.submitted_at or ""
    else:
        r = reservations.get_for_staff(principal, ident)
        status, form, submitted_at = r.status, r.form, r.submitted_at
    if status != "submitted":
        raise Conflict([staff_applications.ALREADY_DONE])
    return form, submitted_at


def _subject_form(principal: Principal, kind: str, ident: str) -> Mapping[str, Any]:
    return _subject(principal, kind, ident)[0]


def _paid_on_problem(day: dt.date, submitted_at: str) -> FieldError | None:
    """A payment date from 30 days before the submission (JST) to today, else the error on `paid_on`."""
    today = clock.today()
    if day > today:
        return FieldError("paid_on", "入金日に未来の日付は指定できません。")
    try:
        submitted = dt.datetime.fromisoformat(submitted_at).astimezone(clock.JST).date()
    except (TypeError, ValueError):
        submitted = today
    earliest = submitted - dt.timedelta(days=PAID_BEFORE_SUBMISSION_DAYS)
    if day < earliest:
        return FieldError(
            "paid_on",
            f"入金日は申込日の{PAID_BEFORE_SUBMISSION_DAYS}日前 ({earliest.isoformat()}) 以降の日付にしてください。",
        )
    return None


def check_payment(principal: Principal, kind: str, ident: str, amount: int, paid_on: str) -> tuple[Any, dt.date]:
    """What `pay` checks before it writes (the confirmation step shows these errors at once):
    (the fee record, the day) or ValidationFailed / Conflict."""
    form, submitted_at = _subject(principal, kind, ident)
    record = fees.ensure(kind, ident, form)
    errors = []
    if amount != record.total:
        errors.append(FieldError("amount", f"入金額が保証料の合計 ({record.total:,}円) と一致しません。"))
    try:
        day = dt.date.fromisoformat(paid_on)
    except (TypeError, ValueError):
        errors.append(FieldError("paid_on", "入金日は YYYY-MM-DD の形式で入力してください。"))
    else:
        problem = _paid_on_problem(day, submitted_at)
        if problem:
            errors.append(problem)
    if errors:
        raise ValidationFailed(errors)
    if record.settled:
        raise Conflict([SETTLED])
    return record, day


def pay(principal: Principal, kind: str, ident: str, amount: int, paid_on: str) -> dict[str, Any]:
    """入金の記録: exactly `fees.total`, received between 30 days before the submission and today, once."""
    record, day = check_payment(principal, kind, ident, amount, paid_on)
    try:
        entry = _audit(principal, "fee_payment", kind, ident)
        record = fee_store.record_payment(record.subject, amount, day.isoformat(), principal.login, entry)
    except AlreadySettled:
        raise Conflict([SETTLED]) from None
    logs.info("fee_paid", subject=record.subject, amount=amount)
    return {"id": ident, "fees": record.as_api()}


def check_waiver(principal: Principal, kind: str, ident: str, reason: Any) -> tuple[Any, str]:
    """What `waive` checks before it writes: (the fee record, the reason) or ValidationFailed / Conflict."""
    text = reasons.required(reason, what="免除の")
    record = fees.ensure(kind, ident, _subject_form(principal, kind, ident))
    if record.settled:
        raise Conflict([SETTLED])
    return record, text


def waive(principal: Principal, kind: str, ident: str, reason: Any) -> dict[str, Any]:
    """保証料の免除: with a reason (the staff-reason rule, domain/reasons.py), once, audited."""
    record, reason = check_waiver(principal, kind, ident, reason)
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
