"""提出 and 受領 (API.md): the contractor hands a guarantee to the orderer's department, the department
opens it (key and certificate), checks it against its own contract record and receives or returns it;
every later version or key reissue puts it back to 未受領 by itself.

Every state change is one conditional write on the state as read (store/deliveries.py), so of
concurrent receive / return / new-version calls exactly one lands and the others are a 409. Each
change that tells someone carries an events row in the same transaction; the events stream mails the
department's address (never the key) or the contractor (services/event_notices.py).
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain import deliveries as rules
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import AccessLogEntry, Delivery, Department, Guarantee
from chalicelib.services import departments as departments_service
from chalicelib.services import views
from chalicelib.store import access_log, applications, departments, events, objects, orderers
from chalicelib.store import deliveries as store
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store import inbox as inbox_store

NOT_DELIVERABLE = "提出できるのは有効な電子保証だけです (紙・取消・期限切れの保証は提出できません)。"
NOT_OPEN = "この提出はすでに受領または差戻しされています。一覧を開き直してください。"
STALE = "この提出は確認した後に変更されました (新しい版)。開き直して確認してください。"
FOLLOW_ATTEMPTS = 5


# --- reading ---------------------------------------------------------------------------------------


def _names(orderer_id: str) -> dict[str, str]:
    return {d.department_id: d.name for d in departments.of_orderer(orderer_id)}


def _contractor_item(d: Delivery, names: dict[str, str]) -> dict[str, Any]:
    name = names.get(d.department_id, d.department_id)
    return {
        "delivery_id": d.delivery_id,
        "number": d.number,
        "version": d.version,
        "department_id": d.department_id,
        "department_name": name,
        "status": d.status,
        "delivered_at": d.delivered_at,
        "received_at": d.received_at,
        "received_by": name if d.status == "received" else None,
        "returned_reason": d.returned_reason,
        "check": d.check,
    }


def _own_guarantee(principal: Principal, number: str) -> Guarantee:
    g = guarantees_store.get(number)
    if g is None or g.contractor_org != principal.org_id:
        raise NotFound()
    return g


def of_guarantee(principal: Principal, number: str) -> list[dict[str, Any]]:
    """`GET /api/guarantees/{number}/deliveries` (the contractor's own guarantee)."""
    g = _own_guarantee(principal, number)
    return staff_items(g)


def staff_items(g: Guarantee) -> list[dict[str, Any]]:
    """A guarantee's deliveries as the contractor (and the clerk) sees them, newest first."""
    found = sorted(store.of_number(g.number), key=lambda d: d.event_at, reverse=True)
    names = _names(g.orderer_id) if found else {}
    return [_contractor_item(d, names) for d in found]


def one_of_guarantee(principal: Principal, number: str, delivery_id: str) -> dict[str, Any]:
    g = _own_guarantee(principal, number)
    d = store.get(delivery_id)
    if d is None or d.number != g.number:
        raise NotFound()
    return _contractor_item(d, _names(g.orderer_id))


# --- 提出 ------------------------------------------------------------------------------------------


def _department(g: Guarantee, wanted: str | None) -> Department:
    if wanted is not None:
        found = departments.get(g.orderer_id, wanted) if rules.DEPARTMENT_ID.match(wanted) else None
        if found is None:
            raise ValidationFailed([FieldError("department_id", "この発注者に登録されていない部署です。")])
        return found
    routed = rules.routed(departments.routing(g.orderer_id), g.kind)
    return departments.get(g.orderer_id, routed) or departments.main(g.orderer_id)


def _version_kind(g: Guarantee) -> str:
    latest = next((v for v in g.history if v.version == g.latest_version), None)
    kind = latest.kind if latest is not None else "new"
    if g.key_reissued_at and (latest is None or g.key_reissued_at > latest.issued_at):
        return "key_reissued"
    return kind


def _event(
    kind: str, d: Delivery, g: Guarantee, email: str | None, reason: str | None = None, to: Department | None = None
) -> events.Event:
    """The row that tells of a change: to the department `to` (greeted by its orderer's and its own name),
    else to the contractor (greeted by name)."""
    details = g.details or {}
    department = " ".join(n for n in (details.get("orderer_name"), to.name if to else None) if n)
    return events.Event(
        kind=kind,
        number=d.number,
        orderer_id=d.orderer_id,
        email=email,
        reason=reason,
        project_name=details.get("project_name"),
        addressee=department if to is not None else details.get("contractor_name"),
        delivery_id=d.delivery_id,
        department_id=d.department_id,
        version=d.version,
        version_kind=d.latest_event,
    )


def deliver(principal: Principal, number: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """`POST /api/guarantees/{number}/deliveries` → (the delivery, created?)."""
    g = _own_guarantee(principal, number)
    reference, message = rules.delivery_text(body)
    dept = _department(g, body.get("department_id"))
    if not g.electronic or views.status(g, clock.today()) != "valid":
        raise Conflict([FieldError("", NOT_DELIVERABLE)])
    now = clock.iso_now()
    fresh = Delivery(
        delivery_id=rules.delivery_id(g.number, dept.department_id),
        number=g.number,
        orderer_id=g.orderer_id,
        department_id=dept.department_id,
        contractor_org=g.contractor_org,
        kind=g.kind,
        version=g.latest_version,
        latest_event=_version_kind(g),
        status="delivered",
        delivered_at=now,
        event_at=now,
        orderer_reference=reference,
        message=message,
        history=rules.noted((), "delivered", at=now, by=principal.login, version=g.latest_version),
    )
    names = {dept.department_id: dept.name}
    if store.put_new(fresh, _event("delivery_created", fresh, g, dept.email, to=dept)):
        return _contractor_item(fresh, names), True
    was = store.get(fresh.delivery_id, consistent=True)
    if was is None or was.status != "returned":
        return _contractor_item(was or fresh, names), False  # delivered or received: unchanged
    again = replace(
        fresh, history=rules.noted(was.history, "delivered", at=now, by=principal.login, version=g.latest_version)
    )
    if not store.replace_if_unchanged(was, again, _event("delivery_created", again, g, dept.email, to=dept)):
        raise Conflict([FieldError("", NOT_OPEN)])
    return _contractor_item(again, names), False


# --- 受領 (orderer users and machine clients) -------------------------------------------------------


def _orderer_item(d: Delivery, g: Guarantee | None, names: dict[str, str]) -> dict[str, Any]:
    details = (g.details if g else None) or {}
    name = names.get(d.department_id, d.department_id)
    return {
        "delivery_id": d.delivery_id,
        "number": d.number,
        "kind": d.kind,
        "version": d.version,
        "latest_event": d.latest_event,
        "contractor_name": details.get("contractor_name"),
        "project_name": details.get("project_name"),
        "guarantee_amount": details.get("guarantee_amount"),
        "deadline": g.deadline if g else None,
        "orderer_reference": d.orderer_reference,
        "message": d.message,
        "department_id": d.department_id,
        "department_name": name,
        "status": d.status,
        "delivered_at": d.delivered_at,
        "received_at": d.received_at,
        "received_by": name if d.status == "received" else None,
        "returned_reason": d.returned_reason,
        "seen": d.seen,
    }


def inbox(
    principal: Principal, status: str | None, department_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """`GET /api/orderer/deliveries`: a bound user sees its own department's only."""
    bound = departments_service.bound_department(principal)
    if bound is not None and department_id not in (None, bound):
        return [], None
    found, next_cursor = store.newest_first(principal.org_id, bound or department_id, status, limit, cursor)
    guarantees = guarantees_store.get_many(d.number for d in found) if found else {}
    names = _names(principal.org_id) if found else {}
    return [_orderer_item(d, guarantees.get(d.number), names) for d in found], next_cursor


def _visible(principal: Principal, delivery_id: str, *, consistent: bool = False) -> Delivery:
    """The delivery if it is this orderer's (and this department's, for a bound user); else 404."""
    d = store.get(delivery_id, consistent=consistent)
    if d is None or d.orderer_id != principal.org_id:
        raise NotFound()
    bound = departments_service.bound_department(principal)
    if bound is not None and d.department_id != bound:
        raise NotFound()
    return d


def _guarantee(d: Delivery) -> tuple[Guarantee, list]:
    found = guarantees_store.with_history(d.number)
    if found is None:
        raise NotFound()
    return found


def open_one(principal: Principal, delivery_id: str, *, with_history: bool = False) -> dict[str, Any]:
    """`GET /api/orderer/deliveries/{id}`: the item, the key, the check and the verification (and, for
    D-Sure's page, the delivery's own `history`: who delivered, received or returned it, when).

    A view in 閲覧履歴 and the guarantee in the orderer's inbox, as a successful verification; no
    lockout counting (nothing is guessed)."""
    d = _visible(principal, delivery_id)
    g, versions = _guarantee(d)
    today = clock.today()
    latest = views.latest(g, versions)
    pdf_url = objects.presigned_url(latest.pdf_key, f"{g.number}-v{latest.version}.pdf") if latest.pdf_key else None
    verification = views.verification_view(g, versions, today, pdf_url)
    now = clock.iso_now()
    access_log.append(
        AccessLogEntry(
            g.number, f"{now}#{secrets.token_hex(4)}", principal.org_id, principal.login, verification["status"]
        )
    )
    inbox_store.mark_seen(principal.org_id, g.number, latest.version, latest.issued_at, now)
    store.mark_seen(d)
    item = _orderer_item(replace(d, seen=True), g, _names(d.orderer_id))
    return {
        **item,
        "auth_key": g.auth_key if g.electronic and g.status != "cancelled" else None,
        "received_by_login": d.received_by_login,
        "check": d.check,
        "verification": verification,
    } | ({"history": list(d.history)} if with_history else {})


def _record(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body.get(k) for k in ("contract_amount", "period_end")}


def _terms(g: Guarantee, orderer_id: str) -> rules.Terms:
    orderer = orderers.get(orderer_id)
    app = applications.get(g.application_id) if g.kind != "contract_reservation" else None
    form = app.form if app is not None else {}
    contract_type = (form.get("project") or {}).get("contract_type", "construction")
    low_bid = bool((form.get(g.kind) or {}).get("low_bid")) if g.kind == "contract_guarantee" else False
    if orderer is None:
        return rules.Terms(orderer_id, low_bid=low_bid)
    return rules.Terms(orderer_id, orderer.advance_tenths(contract_type), orderer.intermediate_rate, low_bid=low_bid)


def _checked(d: Delivery, body: dict[str, Any]) -> dict[str, Any]:
    g, versions = _guarantee(d)
    return rules.check(views.latest(g, versions).content, _record(body), _terms(g, d.orderer_id))


def check(principal: Principal, delivery_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /api/orderer/deliveries/{id}/check`: changes nothing."""
    return _checked(_visible(principal, delivery_id), body)


def _decidable(principal: Principal, delivery_id: str, version: int | None) -> Delivery:
    d = _visible(principal, delivery_id, consistent=True)
    if version is not None and version != d.version:
        raise Conflict([FieldError("version", STALE)])
    if d.status != "delivered":
        raise Conflict([FieldError("", NOT_OPEN)])
    return d


def receive(principal: Principal, delivery_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """`POST …/receive`: the check stored with the receipt (findings do not block it)."""
    d = _decidable(principal, delivery_id, body.get("version"))
    result = _checked(d, body)
    g = guarantees_store.get(d.number)
    at = clock.iso_now()
    said = rules.noted(d.history, "received", at=at, by=principal.login, version=d.version)
    now = replace(d, status="received", received_at=at, received_by_login=principal.login, check=result, history=said)
    email = ((g.details if g else None) or {}).get("email")
    if g is None or not store.replace_if_unchanged(d, now, _event("delivery_received", now, g, email)):
        raise Conflict([FieldError("", NOT_OPEN)])
    name = _names(d.orderer_id).get(d.department_id, d.department_id)
    return {"status": "received", "received_at": now.received_at, "received_by": name, "check": result}


def return_one(principal: Principal, delivery_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """`POST …/return` (差戻し): the contractor is mailed the reason."""
    reason = rules.return_reason(body.get("reason"))
    d = _decidable(principal, delivery_id, body.get("version"))
    g = guarantees_store.get(d.number)
    said = rules.noted(d.history, "returned", at=clock.iso_now(), by=principal.login, version=d.version, reason=reason)
    now = replace(d, status="returned", returned_reason=reason, received_by_login=principal.login, history=said)
    email = ((g.details if g else None) or {}).get("email")
    if g is None or not store.replace_if_unchanged(d, now, _event("delivery_returned", now, g, email, reason)):
        raise Conflict([FieldError("", NOT_OPEN)])
    return {"status": "returned", "returned_reason": reason, "delivery_id": d.delivery_id}


# --- versions follow ---------------------------------------------------------------------------------


def follow(number: str, version: int, latest_event: str, at: str) -> int:
    """A 訂正/変更/取消 (`version` new) or a key reissue (`version` kept): every delivery of the guarantee
    goes back to `delivered` at it, once (conditioned on the event being newer than the delivery's),
    and its department is told. Safe to repeat (stream redeliveries). Returns how many moved."""
    moved = 0
    found = store.of_number(number)
    changes = _changes(number, version) if found and latest_event != "key_reissued" else ""
    for d in found:
        moved += _follow_one(d, version, latest_event, at, changes)
    return moved


def _changes(number: str, version: int) -> str:
    """What the new version changed, for the department's notice (nothing for version 1)."""
    if version <= 1:
        return ""
    before, after = guarantees_store.version(number, version - 1), guarantees_store.version(number, version)
    return rules.what_changed(before.content if before else None, after.content if after else None)


def _follow_one(d: Delivery, version: int, latest_event: str, at: str, changes: str) -> int:
    for _ in range(FOLLOW_ATTEMPTS):
        if d.version > version or d.event_at >= at:
            return 0  # already at (or past) this event
        g = guarantees_store.get(d.number)
        now = replace(
            d,
            version=version,
            latest_event=latest_event,
            status="delivered",
            event_at=at,
            received_at=None,
            received_by_login=None,
            returned_reason=None,
            check=None,
            seen=False,
            history=rules.noted(d.history, "followed", at=at, by=None, version=version, event=latest_event),
        )
        dept = departments.get(d.orderer_id, d.department_id)
        event = (
            _event("delivery_changed", now, g, dept.email if dept else None, changes or None, to=dept) if g else None
        )
        if store.replace_if_unchanged(d, now, event):
            return 1
        d = store.get(d.delivery_id, consistent=True) or d
    raise Conflict([FieldError("", STALE)])


# --- pages -------------------------------------------------------------------------------------------


def preview(principal: Principal, number: str, body: dict[str, Any]) -> dict[str, Any]:
    """The 提出's confirmation step: what would be delivered where (checked like `deliver`)."""
    g = _own_guarantee(principal, number)
    rules.delivery_text(body)
    dept = _department(g, body.get("department_id"))
    if not g.electronic or views.status(g, clock.today()) != "valid":
        raise Conflict([FieldError("", NOT_DELIVERABLE)])
    return {"guarantee": views.guarantee_view(g, [], clock.today()), "department_name": dept.name}


def for_overview(g: Guarantee) -> dict[str, Any]:
    """電子保証概要's 提出 section: the deliveries and the departments 提出 may name."""
    if not g.electronic:
        return {"deliveries": [], "departments": []}
    return {"deliveries": staff_items(g), "departments": departments_service.list_for_contractor(g.orderer_id)}


def before_decision(
    principal: Principal,
    delivery_id: str,
    version: int | None,
    record: dict[str, Any] | None = None,
    *,
    reason: str | None = None,
) -> dict[str, Any]:
    """The confirmation step of 受領 (`record`: the check it will store) or 差戻し (`reason`): refused as
    the decision would be (no reason, no longer open, a newer version), changing nothing — no 閲覧履歴."""
    said = rules.return_reason(reason) if record is None else None
    d = _decidable(principal, delivery_id, version)
    g = guarantees_store.get(d.number)
    details = (g.details if g else None) or {}
    return {
        "number": d.number,
        "version": d.version,
        "department_name": _names(d.orderer_id).get(d.department_id, d.department_id),
        "contractor_name": details.get("contractor_name"),
        "project_name": details.get("project_name"),
        "check": _checked(d, record) if record is not None else None,
        "reason": said,
    }


def review(principal: Principal, delivery_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """D-Sure's detail page after 照合する: the delivery and the check of the record, side by side."""
    opened = open_one(principal, delivery_id, with_history=True)
    return {"delivery": opened, "findings": check(principal, delivery_id, record)}
