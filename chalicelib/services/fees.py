"""保証料: quote, freeze at submission, record payment or waiver, and refuse issuing an unpaid fee.

The surety company concludes a guarantee only once its fee is received
(「保証料を受領後、保証契約を締結」): every application and reservation gets its
fee frozen when it is submitted (the amount the contractor was shown on 申込確認
and in the 201), staff record the payment (the exact total, once) or a waiver
with a reason, and issuing refuses a fee that is neither (409 on `fees`).

A subject whose fee row is missing (submitted before fees existed, or a crash
between the two writes) gets it computed and frozen on first read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from chalicelib import logs
from chalicelib.domain import clock
from chalicelib.domain import fees as fee_domain
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.fees import AlreadySettled, FeeRecord, Quote
from chalicelib.domain.principal import Principal
from chalicelib.store import fees as fee_store

UNPAID = FieldError("fees", "保証料の入金 (または免除) が記録されていないため発行できません。")
SETTLED = FieldError("fees", "保証料の入金または免除はすでに記録されています。")
MAX_REASON = 200


def quote_form(kind: str, form: Mapping[str, Any]) -> Quote:
    """The quote of a normalised application or reservation form, from the stage's rate table."""
    table = fee_store.rate_table()
    if kind == "application":
        return fee_domain.quote_application(table, form)
    return fee_domain.quote_reservation(table, form)


def quote(principal: Principal, product: str, body: Any) -> dict[str, int | None]:
    """`POST /api/fees/quote`: the fees the body would carry once submitted.

    The body is reviewed exactly as the submission would review it; its errors are
    answered with their fields under `body.` and nothing is stored. A contractor's notice
    address is checked as its submission's would be; staff quoting one have no such address.
    """
    if product == "application":
        from chalicelib.services import applications as reviewer
    else:
        from chalicelib.services import reservations as reviewer  # type: ignore[no-redef]
    try:
        form = reviewer.review(principal if principal.role == "contractor" else None, body)
    except ValidationFailed as exc:
        raise ValidationFailed(
            [FieldError(f"body.{e.field}" if e.field else "body", e.message) for e in exc.errors]
        ) from None
    return quote_form(product, form).as_api()


def ensure(kind: str, ident: str, form: Mapping[str, Any]) -> FeeRecord:
    """The subject's frozen fee, creating it from the current rates if it has none yet."""
    subject = fee_domain.subject(kind, ident)
    record = fee_store.get(subject)
    if record is None:
        record = fee_store.create(subject, quote_form(kind, form))
    return record


def views(kind: str, items: list[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """`fees` for a page of subjects (id, form): one BatchGet, missing ones created."""
    found = fee_store.get_many([fee_domain.subject(kind, ident) for ident, _ in items])
    out: dict[str, dict[str, Any]] = {}
    for ident, form in items:
        record = found.get(fee_domain.subject(kind, ident)) or ensure(kind, ident, form)
        out[ident] = record.as_api()
    return out


def frozen(kind: str, ident: str, form: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """For a submission: the writes that freeze its fee (to join its own transaction) and the `fees` it answers."""
    writes, record = fee_store.create_writes(fee_domain.subject(kind, ident), quote_form(kind, form))
    return writes, record.as_api()


def require_settled(kind: str, ident: str, form: Mapping[str, Any], *, settled: bool = False) -> FeeRecord | None:
    """Called by issuance: a Conflict on `fees` unless the fee is paid or waived.

    `settled`: the subject's own row already says so (an application's `fee_settled`,
    written with the payment or waiver), so no read is needed."""
    if settled:
        return None
    record = ensure(kind, ident, form)
    if not record.settled:
        raise Conflict([UNPAID])
    return record


def _subject_form(principal: Principal, kind: str, ident: str) -> Mapping[str, Any]:
    """The staff member's own branch's submitted application or reservation, or NotFound/Conflict."""
    if kind == "application":
        from chalicelib.services import issuance

        app = issuance.get_application(principal, ident)
        status = app["status"]
        form = {k: app.get(k) for k in ("project", "advance_payment", "contract_guarantee")}
    else:
        from chalicelib.services import reservations

        r = reservations.get_for_staff(principal, ident)
        status, form = r.status, r.form
    if status != "submitted":
        raise Conflict([FieldError("status", "この申込はすでに処理されています。")])
    return form


def pay(principal: Principal, kind: str, ident: str, amount: int, paid_on: str) -> dict[str, Any]:
    """入金の記録: exactly `fees.total`, received on a day not in the future, once."""
    form = _subject_form(principal, kind, ident)
    record = ensure(kind, ident, form)
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


def waive(principal: Principal, kind: str, ident: str, reason: str) -> dict[str, Any]:
    """保証料の免除: with a reason (≤ 200 characters), once, audited."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed([FieldError("reason", f"免除の理由を{MAX_REASON}文字以内で入力してください。")])
    form = _subject_form(principal, kind, ident)
    record = ensure(kind, ident, form)
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


#: 振込先 printed on the 保証料計算書 (demo values, like the rates).
PAYEE = {"bank": "〇〇銀行", "branch": "本店営業部", "account": "普通 1234567", "holder": "東日本建設業保証株式会社"}


def fee_statement_url(principal: Principal, application_id: str) -> str:
    """保証料計算書 of the contractor's own application: drawn now (so it shows the payment or
    waiver as it stands), uploaded tagged `pending` — the bucket's lifecycle rule removes these
    throwaway renders after 7 days — and answered as a 60-second URL like every PDF."""
    from chalicelib import settings
    from chalicelib.render import pdf_reservation
    from chalicelib.services import applications
    from chalicelib.store import objects

    app = applications.get(principal, application_id)  # NotFound when missing or not theirs
    record = ensure("application", app["id"], app)
    data = pdf_reservation.render_fee_statement(
        issued_on=clock.today().isoformat(),
        contractor_name=principal.org_name,
        project_name=app["project"]["name"],
        subject_label=f"保証申込 {app['id']}",
        lines=record.lines,
        total=record.total,
        paid_on=record.paid_on,
        waived=record.waived,
        bank=PAYEE,
        issuer=settings.current().issuer,
    )
    key = objects.new_key("fee-statements")
    objects.put_pending(key, data)
    return objects.presigned_url(key, f"fee-statement-{app['id']}.pdf")
