"""Issue or reject a submitted application (DESIGN.md §1 step 2, §2 "Data").

Issuing checks the application again as it stands today (its 保証料 settled, a
cited 契約保証予約 still usable, the rules of domain/limits.py with the orderer's
record of today), then mints every guarantee it asks for (services/minting.py:
numbers, keys, content, PDFs pending, read-back). ONE DynamoDB transaction puts
every guarantee and its version 1, moves the application from `submitted` to
`issued`, marks a cited reservation used and writes the `issue` audit record —
conditioned on the application still being `submitted`, so a second issue (even
a concurrent one) is a 409 and creates nothing, and the application stays
`submitted` after any failure before the commit, so a retry issues normally.

DynamoDB calls for an application with two guarantees: the application's Get,
one counter update and the transaction (the orderer comes from the
per-container reference cache, the contractor's name from the application).

The clerk's reads of applications are services/staff_applications.py's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import logs, settings
from chalicelib.domain import certificate as cert_domain
from chalicelib.domain import clock, limits, reasons
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.domain.orderers import Orderer
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Application
from chalicelib.domain.reservation import Reservation
from chalicelib.services import fees, minting, reservations
from chalicelib.services.staff_applications import ALREADY_DONE, application_view, branch_application, contractor_name
from chalicelib.store import applications as applications_store
from chalicelib.store import audit, events, orderers
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store import reservations as reservations_store
from chalicelib.store.tx import Writes

_RESERVATION_TAKEN = FieldError(
    "contract_guarantee.reservation_number", "この契約保証予約はすでに別の保証申込で使用されています。"
)


def issue(principal: Principal, application_id: str) -> list[dict[str, Any]]:
    """Issue every guarantee the application asks for; see the module docstring for the flow."""
    app = branch_application(principal, application_id)
    if app.status != "submitted":
        raise Conflict([ALREADY_DONE])
    fees.require_settled("application", app.application_id, app.form, settled=app.fee_settled)  # issue 17
    cited = _cited_reservation(app)  # issue 17: a converted 契約保証予約, marked used in the transaction
    today = clock.today()
    orderer_id = app.form["project"]["orderer_id"]
    orderer = orderers.get(orderer_id)
    limits.check_issuable(app.form, orderer, today)
    branch = minting.branch_code(app.branch_id)
    now = clock.iso_now()

    def commit(minted: list[minting.Minted]) -> None:
        also = _issue_writes(principal, app, [g.number for g, _v1 in minted], cited, now)
        try:
            guarantees_store.issue(app.application_id, now, minted, also=also)
        except guarantees_store.ConditionFailed:
            if cited is not None and _reservation_taken(cited):
                raise Conflict([_RESERVATION_TAKEN]) from None
            # A retried call whose first try committed is refused by its own write: the documents
            # helper reads the record back (minting) and the block counts as done.
            raise Conflict([ALREADY_DONE]) from None

    parties = minting.Parties(app.application_id, app.owner_org, orderer_id)
    minted = minting.mint(branch, parties, _orders(app, orderer, now), commit, today=today, now=now)
    answer = [{"number": g.number, "kind": g.kind, "form": g.form, "auth_key": g.auth_key} for g, _v1 in minted]
    logs.info("application_issued", application_id=app.application_id, numbers=[a["number"] for a in answer])
    logs.metric("Issuances", len(answer), kind="guarantee")
    return answer


def _orders(app: Application, orderer: Orderer | None, now: str) -> list[minting.Order]:
    """One order per guarantee the application asks for, in numbering order."""
    form = app.form
    orderer_id = form["project"]["orderer_id"]
    orderer_name = orderer.name if orderer else orderer_id
    applicant = contractor_name(app)
    issuer = settings.current().issuer

    def draft(kind: str, electronic: bool) -> Any:
        def content_and_details(number: str) -> tuple[dict[str, Any], dict[str, Any]]:
            details = guarantee_details(form, kind, orderer_name, applicant)
            content = cert_domain.build_content(
                number=number,
                kind=kind,
                form="electronic" if electronic else "paper",
                version=1,
                version_kind="new",
                orderer_id=orderer_id,
                deadline=details["period_end"],
                details=details,
                issued_on=now[:10],
                issuer=issuer,
            )
            return content, details

        return content_and_details

    kinds = [(kind, form[kind].get("form") == "electronic") for kind in limits.KINDS if form.get(kind)]
    return [minting.Order(kind, electronic, draft(kind, electronic)) for kind, electronic in kinds]


def guarantee_details(form: dict[str, Any], kind: str, orderer_name: str, contractor_name: str) -> dict[str, Any]:
    """CONTRACTS.md `details`, with notify/email copied from the application's delivery section."""
    project, delivery, section = form["project"], form.get("delivery") or {}, form[kind]
    return {
        "contractor_name": contractor_name,
        "jv_name": project.get("jv_name"),
        "project_name": project["name"],
        "orderer_name": orderer_name,
        "contract_amount": int(project["contract_amount"]),
        "guarantee_amount": int(section["amount"]),
        "period_start": project["period_start"],
        "period_end": project["period_end"],
        "location": project.get("location"),
        "deposit_bank": section.get("deposit_bank") if kind == "advance_payment" else None,
        "branch_id": delivery.get("branch_id"),
        "notify": bool(delivery.get("notify")),
        "email": delivery.get("email") if delivery.get("notify") else None,
    }


# ---------------------------------------------------------------- issue 17 (保証料, 契約保証予約)


def _cited_reservation(app: Application) -> Reservation | None:
    """The reservation the application converts, re-checked now (it may have been used or expired since)."""
    try:
        return reservations.check_citation(app.owner_org, app.form)
    except ValidationFailed as exc:
        raise Conflict(exc.errors) from None


def issue_audit_numbers(numbers: list[str], cited: Reservation | None) -> tuple[str, ...]:
    """What the application's `issue` audit record names: its guarantees, then the 契約保証予約 it
    converted, so the reservation's trail (found by its number) shows where it went, like a guarantee's."""
    return (*numbers, *([cited.number] if cited is not None and cited.number else []))


def _issue_writes(
    principal: Principal, app: Application, numbers: list[str], cited: Reservation | None, now: str
) -> Writes:
    """The writes that join the issuing transaction: the cited reservation marked used, and the
    `issue` audit record (API.md audit actions), so neither exists without the issuance."""
    writes = reservations_store.mark_used(cited, app.application_id, now) if cited is not None else Writes()
    entry = AuditEntry(
        actor=principal.login,
        action="issue",
        target=f"application:{app.application_id}",
        scope=principal.org_id,  # the clerk's branch (as fee_payment and issue 14's staff writes)
        numbers=issue_audit_numbers(numbers, cited),
        at=now,
    )
    return audit.add(writes, entry)


def _reservation_taken(cited: Reservation) -> bool:
    """After a failed issuing transaction: was it the reservation's condition (another application won)?"""
    now = reservations_store.get(cited.reservation_id)
    return now is None or now.status != "issued"


# ---------------------------------------------------------------- 却下


def reject(principal: Principal, application_id: str, reason: Any) -> dict[str, Any]:
    """却下: only a submitted application, only once (a conditional write), always with a reason,
    and with its audit record in the same transaction."""
    text = reasons.required(reason)
    app = branch_application(principal, application_id)
    now = clock.iso_now()
    entry = AuditEntry(
        actor=principal.login,
        action="reject",
        target=f"application:{app.application_id}",
        scope=principal.org_id,
        reason=text,
        at=now,
    )
    delivery = app.form.get("delivery") or {}
    event = events.Event(
        kind="application_rejected",
        application_id=app.application_id,
        email=(delivery.get("email") or None) if delivery.get("notify") else None,  # only if mail was asked for
        reason=text,
        project_name=(app.form.get("project") or {}).get("name"),
        addressee=app.owner_name or ((delivery.get("mail_to") or {}).get("name")) or None,
        at=now,
    )
    if not applications_store.reject(app.application_id, text, now, entry, lambda w: events.add(w, event)):
        raise Conflict([ALREADY_DONE])
    logs.info("application_rejected", application_id=app.application_id)
    return application_view(replace(app, status="rejected", reject_reason=text, decided_at=now))
