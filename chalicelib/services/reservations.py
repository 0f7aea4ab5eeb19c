"""契約保証予約 (入札ボンド): submit, read and list (contractor); queue, reject and issue (staff); convert.

The flow mirrors an application's: one review path (JSON Schema, then
`domain.reservation`), the fee frozen at submission (予約手数料), staff issue
only once it is paid or waived, a number `NNNNN-NNNNNNY` from the same serial
counter as guarantees, PDFs uploaded `pending` first, then one transaction
(store/reservations.py). No database library here: the store hands back dataclasses.

Issuing mints the 予約証書 as issuing an application mints a guarantee
(services/minting.py): the same numbers, keys, PDFs pending and read-back.

Conversion (`check_citation`; store/reservations.py `mark_used`): an application's
`contract_guarantee.reservation_number` must name the contractor's own,
issued, unexpired, unused reservation for the same orderer; issuing that
application marks it used inside the issuing transaction.
"""

from __future__ import annotations

import functools
import secrets
import unicodedata
from typing import Any

from chalicelib import logs, settings
from chalicelib.domain import clock, limits, reasons
from chalicelib.domain import reservation as rules
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.orderers import Orderer
from chalicelib.domain.principal import Principal
from chalicelib.domain.reservation import Reservation
from chalicelib.domain.status import RESERVATION_STATUSES
from chalicelib.services import body_review, fees, minting
from chalicelib.services.orderers import get_orderer
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store import reservations as store

STATUSES = RESERVATION_STATUSES
STORED_STATUSES = ("submitted", "issued", "rejected", "used")
DONE = FieldError("status", "この契約保証予約はすでに処理されています。")


def review(principal: Principal | None, body: Any) -> dict[str, Any]:
    """The normalised reservation, or ValidationFailed listing every bad field (schema first, then rules).
    Its notice, like an application's, goes only to an address of the caller's organisation's users."""
    return body_review.reviewed(
        principal,
        body,
        schema=rules.RESERVATION_SCHEMA,
        rules=rules.review_reservation,
        not_an_object="予約内容はオブジェクトで送信してください。",
    )


def view(r: Reservation, fees: dict[str, Any] | None) -> dict[str, Any]:
    """API.md's reservation read: {id, status, number, form, project, bid_amount, fees, issued_at, …}."""
    return {
        "id": r.reservation_id,
        "status": r.status_on(clock.today()),
        "number": r.number,
        "form": r.form.get("form"),
        "project": r.form.get("project"),
        "bid_amount": r.form.get("bid_amount"),
        "delivery": r.form.get("delivery"),
        "fees": fees,
        "submitted_at": r.submitted_at,
        "issued_at": r.issued_at,
        "valid_until": r.valid_until,
        "reject_reason": r.reject_reason,
    }


def _views(items: list[Reservation]) -> list[dict[str, Any]]:
    found = fees.views("reservation", [(r.reservation_id, r.form) for r in items])
    return [view(r, found[r.reservation_id]) for r in items]


def submit(principal: Principal, body: Any) -> dict[str, Any]:
    """Review and store one reservation with its frozen 予約手数料 → the 201 answer."""
    form = review(principal, body)
    r = store.create(
        Reservation(
            reservation_id=secrets.token_hex(10),
            owner_org=principal.org_id,
            owner_login=principal.login,
            branch_id=form["delivery"]["branch_id"],
            status="submitted",
            submitted_at=clock.iso_now(),
            form={**form, "contractor_name": principal.org_name},  # the name the 予約証書 prints
        )
    )
    logs.info("reservation_submitted", reservation_id=r.reservation_id)
    return _views([r])[0]


def get(principal: Principal, reservation_id: str) -> dict[str, Any]:
    r = store.get(reservation_id)
    if r is None or r.owner_org != principal.org_id:
        raise NotFound()
    return _views([r])[0]


def _keep(status: str | None, project: str | None) -> Any:
    def fold(text: str) -> str:
        return unicodedata.normalize("NFKC", text).casefold()

    needle = fold(project) if project else None

    def keep(r: Reservation) -> bool:
        if status and r.status_on(clock.today()) != status:
            return False
        return not (needle and needle not in fold(r.form.get("project", {}).get("name") or ""))

    return keep


def list_mine(
    principal: Principal,
    status: str | None = None,
    project: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The caller's reservations, newest first; the 契約保証予約(入札ボンド) tab's filters are status and 工事名."""
    items, next_cursor = store.list_by_owner(principal.org_id, limit, cursor, _keep(status, project))
    return {"items": _views(items), "next_cursor": next_cursor}


def get_for_staff(principal: Principal, reservation_id: str) -> Reservation:
    """A reservation sent to the clerk's branch; another branch's is a 404 like a missing one."""
    r = store.get(reservation_id)
    if r is None or r.branch_id != principal.org_id:
        raise NotFound()
    return r


def _staff_views(items: list[Reservation]) -> list[dict[str, Any]]:
    """The staff's reads name the contractor and the 発注者 (not `c-0001` and `08216`)."""
    names: dict[str, str] = {}
    out = []
    for r, v in zip(items, _views(items), strict=True):
        orderer_id = (r.form.get("project") or {}).get("orderer_id") or ""
        if orderer_id not in names:
            orderer = get_orderer(orderer_id)
            names[orderer_id] = orderer.name if orderer else orderer_id
        applicant = r.form.get("contractor_name") or r.owner_org
        out.append({**v, "applicant_name": applicant, "orderer_name": names[orderer_id], "owner_login": r.owner_login})
    return out


def staff_view(principal: Principal, reservation_id: str) -> dict[str, Any]:
    return _staff_views([get_for_staff(principal, reservation_id)])[0]


def issued_result(principal: Principal, reservation_id: str) -> dict[str, Any] | None:
    """What 発行 answered, read again (the result page after Post/Redirect/Get); None before it is issued."""
    r = get_for_staff(principal, reservation_id)
    g = guarantees_store.get(r.number or "") if r.number else None
    if g is None:
        return None
    view = _staff_views([r])[0]
    return {"number": g.number, "form": r.form["form"], "auth_key": g.auth_key, "fee": view["fees"]["total"], **view}


def list_for_staff(
    principal: Principal, status: str, limit: int, cursor: str | None, *, names: bool = False
) -> dict[str, Any]:
    """The branch's queue of one status (`names`: with the contractor's and 発注者's names, for the pages)."""
    stored = "issued" if status == "expired" else status
    want = status

    def keep(r: Reservation) -> bool:
        return r.branch_id == principal.org_id and r.status_on(clock.today()) == want

    items, next_cursor = store.list_by_status(stored, limit, cursor, keep)
    return {"items": _staff_views(items) if names else _views(items), "next_cursor": next_cursor}


def reject(principal: Principal, reservation_id: str, reason: Any) -> dict[str, Any]:
    """却下: with a reason (the staff-reason rule, domain/reasons.py), once, audited."""
    reason = reasons.required(reason, what="差戻し")
    r = get_for_staff(principal, reservation_id)
    entry = _audit(principal, "reservation_reject", r, reason=reason)
    try:
        r = store.reject(r.reservation_id, reason, clock.iso_now(), entry)
    except store.StatusChanged:
        raise Conflict([DONE]) from None
    logs.info("reservation_rejected", reservation_id=reservation_id)
    return _views([r])[0]


def issue(principal: Principal, reservation_id: str) -> dict[str, Any]:
    """発行: fee settled, then minted like a guarantee (number, key, 予約証書 + key notice pending,
    read-back) and written in one transaction with the reservation's new status and audit record."""
    r = get_for_staff(principal, reservation_id)
    if r.status != "submitted":
        raise Conflict([DONE])
    fee = fees.require_settled("reservation", r.reservation_id, r.form)
    today = clock.today()
    project = r.form["project"]
    if project["bid_date"] < today.isoformat():
        raise ValidationFailed([FieldError("project.bid_date", "入札日を過ぎた予約は発行できません。")])
    branch = minting.branch_code(r.branch_id)
    orderer = get_orderer(project["orderer_id"])
    electronic = r.form["form"] == "electronic"
    refused = limits.electronic_refused("form", orderer) if electronic else None
    if refused:
        raise ValidationFailed([refused])
    now = clock.iso_now()

    def commit(minted: list[minting.Minted]) -> None:
        ((g, v1),) = minted
        entry = _audit(principal, "reservation_issue", r, numbers=(g.number,))
        try:
            store.issue(r, g, v1, entry)
        except store.StatusChanged:
            raise Conflict([DONE]) from None

    parties = minting.Parties(r.reservation_id, r.owner_org, project["orderer_id"])
    order = minting.Order(rules.KIND, electronic, functools.partial(_draft, r, orderer, now))
    ((g, _v1),) = minting.mint(branch, parties, [order], commit, today=today, now=now)
    logs.info("reservation_issued", reservation_id=r.reservation_id, number=g.number)
    logs.metric("Issuances", kind="reservation")
    return {"number": g.number, "form": r.form["form"], "auth_key": g.auth_key, "fee": fee.total}


def _draft(r: Reservation, orderer: Orderer | None, now: str, number: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The 予約証書's content and the guarantee row's details (a bid, not a contract, behind them)."""
    project, delivery = r.form["project"], r.form.get("delivery") or {}
    orderer_name = orderer.name if orderer else project["orderer_id"]
    contractor_name = r.form.get("contractor_name") or (delivery.get("mail_to") or {}).get("name") or r.owner_org
    content = rules.build_content(
        number=number,
        form=r.form["form"],
        reservation=r.form,
        contractor_name=contractor_name,
        orderer_name=orderer_name,
        issued_on=now[:10],
        issuer=settings.current().issuer,
    )
    details = {
        "contractor_name": contractor_name,
        "jv_name": None,
        "project_name": project["name"],
        "orderer_name": orderer_name,
        "contract_amount": int(r.form["bid_amount"]),
        "guarantee_amount": content["guarantee_amount"],
        "period_start": project["bid_date"],
        "period_end": content["valid_until"],
        "location": project.get("location"),
        "deposit_bank": None,
        "branch_id": r.branch_id,
        "notify": bool(delivery.get("notify")),
        "email": delivery.get("email") if delivery.get("notify") else None,
        "bid_date": project["bid_date"],
        "bid_amount": int(r.form["bid_amount"]),
    }
    return content, details


def _audit(
    principal: Principal, action: str, r: Reservation, *, reason: str | None = None, numbers: tuple[str, ...] = ()
) -> AuditEntry:
    """The staff decision's audit record (API.md "Audit"), written in the decision's transaction."""
    return AuditEntry(
        actor=principal.login,
        action=action,
        target=f"reservation:{r.reservation_id}",
        scope=r.branch_id,
        numbers=numbers,
        reason=reason,
    )


# ---------------------------------------------------------------- conversion (used by issuance)

CITATION_FIELD = "contract_guarantee.reservation_number"


def check_citation(contractor_org: str, form: dict[str, Any]) -> Reservation | None:
    """The reservation an application's 契約保証 cites, if it may (ValidationFailed on the field otherwise)."""
    number = ((form.get("contract_guarantee") or {}).get("reservation_number") or "").strip()
    if not number:
        return None
    r = store.get_by_number(number)
    errors = rules.conversion_errors(
        r, contractor_org=contractor_org, orderer_id=form["project"]["orderer_id"], today=clock.today()
    )
    if errors:
        raise ValidationFailed(errors)
    return r


def promised_amount(bid_amount: int) -> int:
    """The 契約保証金額 a reservation of this bid promises (shown on 申込確認)."""
    return rules.promised_amount(bid_amount)


def prefill(principal: Principal, number: str) -> dict[str, Any] | None:
    """What a 保証申込 form can take from the contractor's own issued reservation (工事名, 発注者, …)."""
    r = store.get_by_number(number)
    if r is None or r.owner_org != principal.org_id:
        return None
    project = r.form["project"]
    return {
        "project": {
            "name": project["name"],
            "orderer_id": project["orderer_id"],
            "contract_type": project["contract_type"],
            "location": project.get("location"),
        },
        "contract_guarantee": {
            "amount": rules.promised_amount(int(r.form["bid_amount"])),
            "form": r.form["form"],
            "reservation_number": r.number,
        },
        "delivery": r.form.get("delivery"),
        "bid_amount": r.form["bid_amount"],
    }
