"""決裁 (four-eyes): cancellation and key reissue wait for a second staff user of the branch.

`request()` checks that the action could run now (an electronic, uncancelled
guarantee of the clerk's branch), then stores a pending request with its lock
and audit record (store/approvals.py): a second request of the same action
while one is pending is a 409. `approve()` by anyone of the branch but the
requester runs the action through services/versions.py, whose transaction
carries the decision conditioned on the request still being pending — so of
parallel approvals exactly one answers 201. `decline()` closes it with a reason.
"""

from __future__ import annotations

from typing import Any

from chalicelib import logs
from chalicelib.domain import clock, reasons
from chalicelib.domain.approvals import ACTIONS, STATUSES, Approval
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, Forbidden, NotFound
from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.domain.principal import Principal
from chalicelib.services import versions
from chalicelib.store import approvals as store
from chalicelib.store import guarantees as guarantees_store

__all__ = [
    "ACTIONS",
    "STATUSES",
    "approve",
    "check_decidable",
    "check_request",
    "decline",
    "get",
    "list_approvals",
    "outcome",
    "queue",
    "pending_for",
    "request",
    "version_or_request",
]

ALREADY_PENDING = FieldError("", "この保証には同じ手続の決裁待ちの依頼があります。")
OWN_REQUEST = FieldError("", "自分が依頼した決裁は承認できません。別の職員が承認してください。")


def _guarantee_for(principal: Principal, number: str, action: str) -> Any:
    g = guarantees_store.get(number)
    if g is None or g.branch_id != principal.org_id:
        raise NotFound()
    if g.status == "cancelled":
        raise Conflict([FieldError("status", "取消済みの保証です。")])
    if action == "reissue_key" and not g.electronic:
        raise Conflict([FieldError("form", "紙の保証証書には認証キーがありません。")])
    return g


def _names(g: Any) -> dict[str, Any]:
    details = g.details or {}
    return {
        "number": g.number,
        "project_name": details.get("project_name") or "",
        "contractor_name": details.get("contractor_name") or g.contractor_org,
    }


def check_request(principal: Principal, number: str, action: str) -> dict[str, Any]:
    """What `request` checks before it writes (the confirmation step): the guarantee's number and
    names, or NotFound / Conflict."""
    return _names(_guarantee_for(principal, number, action))


def request(principal: Principal, number: str, action: str, reason: Any) -> dict[str, Any]:
    """Ask for a cancellation or key reissue → API.md's 202 body. Nothing changes until approved."""
    text = reasons.required(reason)
    g = _guarantee_for(principal, number, action)
    approval = Approval(
        number=g.number, action=action, branch_id=principal.org_id, requested_by=principal.login, reason=text
    )
    entry = AuditEntry(
        actor=principal.login,
        action="approval_requested",
        target=f"approval:{approval.approval_id}",
        scope=principal.org_id,
        numbers=(g.number,),
        reason=text,
        at=approval.requested_at,
    )
    try:
        store.request(approval, entry)
    except store.ConditionFailed:
        raise Conflict([ALREADY_PENDING]) from None
    logs.info("approval_requested", approval_id=approval.approval_id, number=g.number, action=action)
    return {"approval_id": approval.approval_id, "status": "pending", "action": action, "number": g.number}


def version_or_request(
    principal: Principal, number: str, kind: str, changes: dict[str, Any], reason: Any
) -> tuple[int, dict[str, Any]]:
    """`POST …/versions`: a correction or change is written at once (201); a cancellation waits (202)."""
    if kind == "cancellation":
        versions.validate_changes(kind, changes)
        return 202, request(principal, number, "cancellation", reason)
    return 201, versions.record_version(principal, number, kind, changes, reason)


def _own(principal: Principal, approval_id: str) -> Approval:
    a = store.get(approval_id, consistent=True)
    if a is None or a.branch_id != principal.org_id:
        raise NotFound()
    return a


def get(principal: Principal, approval_id: str) -> dict[str, Any]:
    return _own(principal, approval_id).public()


def check_decidable(principal: Principal, approval_id: str, approving: bool) -> dict[str, Any]:
    """What `approve` / `decline` check before they write (the confirmation step): the request with
    its guarantee's names, or NotFound / Conflict (decided) / Forbidden (approving one's own)."""
    a = _own(principal, approval_id)
    if not a.pending:
        raise Conflict([versions.NOT_PENDING])
    if approving and not a.may_be_approved_by(principal.login):
        raise Forbidden([OWN_REQUEST])
    g = guarantees_store.get(a.number)
    return {**a.public(), **(_names(g) if g is not None else {"project_name": "", "contractor_name": ""})}


def outcome(principal: Principal, approval_id: str) -> dict[str, Any] | None:
    """The result page of an approved request, read again (Post/Redirect/Get): the cancellation's
    version, or the guarantee's current 認証キー after a reissue; None while it is not approved."""
    a = _own(principal, approval_id)
    g = guarantees_store.get(a.number)
    if a.status != "approved" or g is None:
        return None
    out: dict[str, Any] = {**_names(g), "action": a.action, "decided_at": a.decided_at}
    if a.action == "reissue_key":
        out["auth_key"] = g.auth_key
    else:
        out.update(version=g.latest_version, kind="cancellation")
    return out


def approve(principal: Principal, approval_id: str) -> dict[str, Any]:
    """Carry out the request → what the direct call used to answer (the version, or the new key)."""
    a = _own(principal, approval_id)
    if not a.pending:
        raise Conflict([versions.NOT_PENDING])
    if not a.may_be_approved_by(principal.login):
        raise Forbidden([OWN_REQUEST])
    if a.action == "cancellation":
        out = versions.record_version(principal, a.number, "cancellation", {}, a.reason, approval=a)
    else:
        out = {"auth_key": versions.reissue_key(principal, a.number, a.reason, approval=a)}
    logs.info("approval_approved", approval_id=a.approval_id, number=a.number, action=a.action)
    return {**out, "number": a.number, "action": a.action}


def decline(principal: Principal, approval_id: str, reason: Any) -> dict[str, Any]:
    """Close the request without acting; a reason is required (asked once the request is found:
    another branch's or a missing one is a 404 whatever was sent)."""
    a = _own(principal, approval_id)
    text = reasons.required(reason)
    if not a.pending:
        raise Conflict([versions.NOT_PENDING])
    now = clock.iso_now()
    entry = AuditEntry(
        actor=principal.login,
        action="approval_declined",
        target=f"approval:{a.approval_id}",
        scope=principal.org_id,
        numbers=(a.number,),
        reason=text,
        at=now,
    )
    try:
        store.decline(a, principal.login, now, text, entry)
    except store.ConditionFailed:
        raise Conflict([versions.NOT_PENDING]) from None
    return _own(principal, approval_id).public()


def list_approvals(
    principal: Principal, status: str | None, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The branch's requests, newest first; `status` filters (pending for the 決裁待ち queue)."""
    items, next_cursor = store.list_by_branch(
        principal.org_id, limit, cursor, keep=lambda a: status is None or a.status == status
    )
    return [a.public() for a in items], next_cursor


def queue(principal: Principal, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """The 決裁待ち queue as the console shows it: each request with its guarantee's 工事名 and 受注者."""
    items, next_cursor = list_approvals(principal, "pending", limit, None)
    found = guarantees_store.get_many(a["number"] for a in items)
    named = [{**a, **(_names(found[a["number"]]) if a["number"] in found else {})} for a in items]
    return named, next_cursor


def pending_for(principal: Principal, number: str) -> list[dict[str, Any]]:
    """The pending requests of one guarantee (its page shows them)."""
    items, _ = list_approvals(principal, "pending", 100, None)
    return [a for a in items if a["number"] == number]
