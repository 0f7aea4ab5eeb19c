"""決裁 requests: a request and its pending lock are written together, and decided together.

- `request()`: the request row and the lock `pending#<番号>#<action>`, each conditioned
  on not existing, with the requester's audit record, in ONE transaction.
  ConditionFailed when a request of that action is already pending for the guarantee.
- `decide(writes, …)`: adds to the caller's transaction the request's new status
  (conditioned on it still being `pending`) and the lock's deletion, so an approval
  commits with the action it approves (store/guarantees.py), or not at all; of two
  parallel approvals only one can commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.approvals import Approval
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.store import audit, paging, tx
from chalicelib.store.models import ApprovalModel

MAX_ID_LENGTH = 64
ConditionFailed = tx.ConditionFailed


def _lock_key(number: str, action: str) -> str:
    return f"pending#{number}#{action}"


def _record(row: ApprovalModel) -> Approval:
    return Approval(
        approval_id=row.approval_id,
        number=row.number,
        action=row.action,
        branch_id=row.branch_id,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        reason=row.reason,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decline_reason=row.decline_reason,
    )


def get(approval_id: str, *, consistent: bool = False) -> Approval | None:
    if not approval_id or len(approval_id) > MAX_ID_LENGTH or approval_id.startswith("pending#"):
        return None
    try:
        return _record(ApprovalModel.get(approval_id, consistent_read=consistent))
    except DoesNotExist:
        return None


def request(approval: Approval, entry: AuditEntry) -> None:
    """Store a new pending request with its lock and its audit record, atomically."""
    writes = tx.Writes()
    writes.put(
        ApprovalModel(
            approval.approval_id,
            number=approval.number,
            action=approval.action,
            branch_id=approval.branch_id,
            requested_by=approval.requested_by,
            requested_at=approval.requested_at,
            reason=approval.reason,
            status="pending",
        ),
        condition=ApprovalModel.approval_id.does_not_exist(),
    )
    writes.put(
        ApprovalModel(_lock_key(approval.number, approval.action), holder=approval.approval_id),
        condition=ApprovalModel.approval_id.does_not_exist(),
    )
    audit.add(writes, entry)
    tx.commit(writes, what="approval_request")


def decide(
    writes: tx.Writes, approval: Approval, status: str, by: str, at: str, decline_reason: str | None = None
) -> tx.Writes:
    """Add the decision to `writes`: it commits only while the request is still pending."""
    actions = [ApprovalModel.status.set(status), ApprovalModel.decided_by.set(by), ApprovalModel.decided_at.set(at)]
    if decline_reason is not None:
        actions.append(ApprovalModel.decline_reason.set(decline_reason))
    writes.update(ApprovalModel(approval.approval_id), actions=actions, condition=ApprovalModel.status == "pending")
    writes.delete(
        ApprovalModel(_lock_key(approval.number, approval.action)),
        condition=ApprovalModel.holder == approval.approval_id,
    )
    return writes


def decline(approval: Approval, by: str, at: str, reason: str, entry: AuditEntry) -> None:
    """Decline a pending request with its audit record. ConditionFailed when it is no longer pending."""
    writes = decide(tx.Writes(), approval, "declined", by, at, reason)
    audit.add(writes, entry)
    tx.commit(writes, what="approval_decline")


def list_by_branch(
    branch_id: str, limit: int, cursor: str | None, keep: Callable[[Approval], bool]
) -> tuple[list[Approval], str | None]:
    """A branch's requests, newest first (Query on by_branch)."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        if start is not None and (
            set(start) != {"approval_id", "branch_id", "requested_at"}
            or not all(paging.is_string_value(v) for v in start.values())
            or start["branch_id"]["S"] != branch_id
        ):
            raise ValidationFailed(
                [FieldError("cursor", "cursor が正しくありません。最初のページからやり直してください。")]
            )
        return ApprovalModel.by_branch.query(
            branch_id, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, keep, convert=_record)


def pending_for(number: str) -> list[str]:
    """The actions pending for a guarantee (strongly consistent Gets of its two locks)."""
    found = []
    for action in ("cancellation", "reissue_key"):
        try:
            ApprovalModel.get(_lock_key(number, action), consistent_read=True)
            found.append(action)
        except DoesNotExist:
            continue
    return found
