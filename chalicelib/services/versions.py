"""訂正 / 変更 / 取消 as new certificate versions, and 認証キー reissue (DESIGN.md §1 step 7).

A version is a new immutable certificate version plus the guarantee's new
current state, written in one transaction (store/guarantees.py). The guarantee
carries an optimistic lock: the write is conditioned on the lock version read,
so of two concurrent versions one commits and the other is retried from a
fresh read — versions are numbered 1, 2, 3… without gaps or duplicates (the
version row is also conditioned on not existing). The PDFs follow the
documents sequence (services/documents.py): a losing attempt's uploads are
deleted before it reads again.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from typing import Any

from chalicelib import logs, settings
from chalicelib.domain import auth_key as keys
from chalicelib.domain import certificate as cert_domain
from chalicelib.domain import clock, limits, reasons, version_changes
from chalicelib.domain.approvals import Approval
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.orderers import advance_tenths
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import CertificateVersion, Guarantee
from chalicelib.render import pdf
from chalicelib.services import deliveries, documents, views
from chalicelib.store import applications as applications_store
from chalicelib.store import approvals as approvals_store
from chalicelib.store import events, orderers
from chalicelib.store import guarantees as store

MAX_ATTEMPTS = 20
ALLOWED = version_changes.ALLOWED
RACE_LOST = FieldError("", "同時に他の手続が行われました。もう一度お試しください。")
NOT_PENDING = FieldError("status", "この決裁はすでに処理されています。")
#: Cancellation and key reissue run only as an approved 決裁 (services/approvals.py).
NEEDS_APPROVAL = FieldError("", "取消と認証キーの再発行は決裁を経て行います。")


def _entry(principal: Principal, g: Guarantee, reason: str, at: str, approval: Approval | None) -> AuditEntry:
    """The record of the write: a version, or the approval that carries one out."""
    if approval is None:
        return AuditEntry(
            actor=principal.login,
            action="version",
            target=f"guarantee:{g.number}",
            scope=principal.org_id,
            numbers=(g.number,),
            reason=reason,
            at=at,
        )
    return AuditEntry(
        actor=principal.login,
        action="approval_approved",
        target=f"approval:{approval.approval_id}",
        scope=principal.org_id,
        numbers=(g.number,),
        reason=reason,
        at=at,
    )


def _decision(principal: Principal, approval: Approval | None, at: str) -> Any:
    """The approval's decision, to commit in the same transaction as the action (or nothing)."""
    if approval is None:
        return None
    return lambda writes: approvals_store.decide(writes, approval, "approved", principal.login, at)


def _reissued_event(g: Guarantee, at: str) -> events.Event:
    """The notice of a reissue (mail to the contractor, the orderer's inbox): never the key."""
    d = g.details or {}
    return events.Event(
        kind="key_reissued",
        number=g.number,
        application_id=g.application_id or None,
        orderer_id=g.orderer_id,
        email=d.get("email") or None,
        addressee=d.get("contractor_name") or None,
        project_name=d.get("project_name"),
        at=at,
    )


def _with_event(decision: Any, event: events.Event) -> Any:
    """The approval's decision and the event row, both in the action's transaction."""

    def add(writes: Any) -> None:
        if decision is not None:
            decision(writes)
        events.add(writes, event)

    return add


def _still_pending(approval: Approval | None) -> None:
    """After a lost race: if the approval was decided meanwhile, that is the answer (409)."""
    if approval is not None:
        now = approvals_store.get(approval.approval_id, consistent=True)
        if now is None or not now.pending:
            raise Conflict([NOT_PENDING])


def _guarantee(principal: Principal, number: str, *, consistent: bool = False) -> Guarantee:
    """A guarantee of the clerk's branch; another branch's is a 404 like a missing one."""
    g = store.get(number, consistent=consistent)
    if g is None or g.branch_id != principal.org_id:
        raise NotFound()
    return g


def guarantee_detail(principal: Principal, number: str) -> dict[str, Any]:
    """The staff console's view of one guarantee: 電子保証概要 plus what a clerk needs."""
    g = _guarantee(principal, number)
    view = views.guarantee_view(g, store.history(g.number), clock.today(), staff=True)
    return {**view, "deliveries": deliveries.staff_items(g)}  # issue 29: where it was handed over


def validate_changes(kind: str, changes: dict[str, Any]) -> None:
    errors = [
        FieldError(f"changes.{name}", "この種類の手続では変更できない項目です。")
        for name in sorted(changes)
        if name not in ALLOWED[kind]
    ]
    if kind != "cancellation" and not changes:
        errors.append(FieldError("changes", "変更する項目を入力してください。"))
    if errors:
        raise ValidationFailed(errors)
    if "project_name" in changes:
        missing = pdf.unsupported_characters([changes["project_name"]])
        if missing:
            raise ValidationFailed(
                [FieldError("changes.project_name", "証書に印字できない文字が含まれています: " + "、".join(missing))]
            )


def _application_terms(g: Guarantee) -> tuple[str, bool]:
    """(contract_type, low_bid) from the application the guarantee came from; defaults if gone."""
    app = applications_store.get(g.application_id)
    if app is None:
        return "construction", False
    section = app.form.get(g.kind) or {}
    return app.form.get("project", {}).get("contract_type", "construction"), bool(section.get("low_bid"))


def _check_rules(g: Guarantee, details: dict[str, Any], changes: dict[str, Any]) -> None:
    contract_type, low_bid = _application_terms(g)
    errors = limits.check_guarantee(
        g.kind,
        guarantee_amount=int(details["guarantee_amount"]),
        contract_amount=int(details["contract_amount"]),
        period_start=details["period_start"],
        period_end=details["period_end"],
        today=clock.today() if "period_end" in changes else None,
        contract_type=contract_type,
        advance_tenths=advance_tenths(orderers.get(g.orderer_id), contract_type),
        low_bid=low_bid,
        fields={k: f"changes.{k}" for k in ("guarantee_amount", "contract_amount", "period_end")}
        | {"period_start": "changes.period_end"},
    )
    if errors:
        raise ValidationFailed(errors)


def preview(principal: Principal, number: str, kind: str, changes: dict[str, Any]) -> dict[str, Any]:
    """What a 訂正/変更/取消 would change, checked as the write would check it, writing nothing:
    the confirmation step shows each field before → after (API.md's rules run here too)."""
    g = _guarantee(principal, number)
    if g.status == "cancelled":
        raise Conflict([FieldError("kind", "取消済みの保証には手続できません。")])
    validate_changes(kind, changes)
    details = {**g.details, **changes}
    if kind == "change":
        _check_rules(g, details, changes)
    rows = [{"field": name, "before": g.details.get(name), "after": value} for name, value in sorted(changes.items())]
    return {"number": g.number, "kind": kind, "rows": rows, "electronic": g.electronic}


def _reissued(number: str, version: int, notice_key: str, new_key: str) -> bool:
    """Read back whether our key (and its notice) is the one that committed."""
    current = store.get(number, consistent=True)
    return (
        current is not None
        and current.auth_key == new_key
        and store.points_at(number, version, "key_notice_key", notice_key)
    )


def _wait_before_retry(attempt: int) -> None:
    time.sleep(0.01 * (attempt + 1))


def record_version(
    principal: Principal,
    number: str,
    kind: str,
    changes: dict[str, Any],
    reason: Any,
    *,
    approval: Approval | None = None,
) -> dict[str, Any]:
    """Write the next version (訂正/変更/取消) with its audit record in the same transaction;
    retried from a fresh read when another version won. A reason is required.

    A cancellation runs only as an approved 決裁 (services/approvals.py passes `approval`):
    the approval's decision commits in the same transaction, conditioned on it still being
    pending, so of parallel approvals exactly one writes the version."""
    reason = reasons.required(reason)
    if kind == "cancellation" and approval is None:
        raise Conflict([NEEDS_APPROVAL])
    for attempt in range(MAX_ATTEMPTS):
        g = _versionable(principal, number, kind, changes, consistent=attempt > 0)
        details = {**g.details, **changes}
        if kind == "change":
            _check_rules(g, details, changes)
        try:
            answer = _write_version(principal, g, kind, details, reason, approval)
        except store.ConditionFailed:
            _still_pending(approval)
            _wait_before_retry(attempt)
            continue  # another version won: read again and renumber
        logs.info("guarantee_version", number=g.number, version=answer["version"], kind=kind)
        return answer
    raise Conflict([RACE_LOST])


def _versionable(
    principal: Principal, number: str, kind: str, changes: dict[str, Any], *, consistent: bool
) -> Guarantee:
    """The clerk's branch's guarantee, if it may take this 訂正/変更/取消 with these changes."""
    g = _guarantee(principal, number, consistent=consistent)
    if g.kind == "contract_reservation":  # issue 17: a 予約証書 has no 訂正/変更/取消 versions
        raise Conflict([FieldError("kind", "契約保証予約には訂正・変更・取消の手続はできません。")])
    if g.status == "cancelled":
        raise Conflict([FieldError("kind", "取消済みの保証には手続できません。")])
    validate_changes(kind, changes)
    return g


def _write_version(
    principal: Principal, g: Guarantee, kind: str, details: dict[str, Any], reason: str, approval: Approval | None
) -> dict[str, Any]:
    """The next version's content and PDFs, and the one transaction that writes it (documents
    sequence: uploads pending, read back after an ambiguous failure). ConditionFailed when
    another version won since `g` was read."""
    version = g.latest_version + 1
    now = clock.iso_now()
    content = cert_domain.build_content(
        number=g.number,
        kind=g.kind,
        form=g.form,
        version=version,
        version_kind=kind,
        orderer_id=g.orderer_id,
        deadline=details["period_end"],
        details=details,
        issued_on=now[:10],
        issuer=settings.current().issuer,
        reason=reason,
    )
    sha = cert_domain.sha256(content)
    with documents.pending() as docs:
        # a cancelled guarantee gets no new key notice: its key is of no further use
        key_for_notice = g.auth_key if g.electronic and kind != "cancellation" else None
        upload = docs.version(content, sha, key_for_notice)
        docs.committed_if(functools.partial(store.points_at, g.number, version, "pdf_key", upload.pdf_key))
        store.add_version(
            replace(
                g,
                details=details,
                deadline=details["period_end"],  # 保証期限 follows 工期末
                latest_version=version,
                status="cancelled" if kind == "cancellation" else g.status,
            ),
            CertificateVersion(
                number=g.number,
                version=version,
                kind=kind,
                content=content,
                sha256=sha,
                issued_at=now,
                pdf_key=upload.pdf_key,
                key_notice_key=upload.key_notice_key,
                reason=reason,
            ),
            _entry(principal, g, reason, now, approval),
            _decision(principal, approval, now),
        )
    return {"version": version, "kind": kind, "issued_at": now, "sha256": sha}


def reissue_key(principal: Principal, number: str, reason: Any, *, approval: Approval | None = None) -> str:
    """A new 認証キー; the old one fails from the moment this commits. A reason is required.

    It runs as an approved 決裁 (services/approvals.py): the decision commits with the key.

    The latest version's key notice PDF is replaced by one with the new key (the
    certificate content and its SHA-256 do not contain the key and stay as issued).
    """
    reason = reasons.required(reason)
    if approval is None:
        raise Conflict([NEEDS_APPROVAL])
    for attempt in range(MAX_ATTEMPTS):
        g = _guarantee(principal, number, consistent=attempt > 0)
        if not g.electronic:
            raise Conflict([FieldError("form", "紙の保証証書には認証キーがありません。")])
        if g.status == "cancelled":
            raise Conflict([FieldError("status", "取消済みの保証です。")])
        latest = store.version(g.number, g.latest_version, consistent=True)
        if latest is None:  # the guarantee names a version being written right now
            _wait_before_retry(attempt)
            continue
        new_key = keys.generate()
        try:
            with documents.pending() as docs:
                notice_key = docs.key_notice(latest.content, latest.sha256, new_key)
                docs.retire(latest.key_notice_key)  # it carries a key that no longer works
                docs.committed_if(functools.partial(_reissued, g.number, latest.version, notice_key, new_key))
                now = clock.iso_now()
                store.replace_key(
                    replace(g, auth_key=new_key, key_reissued_at=now),
                    latest,
                    notice_key,
                    _entry(principal, g, reason, now, approval) if approval is not None else None,
                    _with_event(_decision(principal, approval, now), _reissued_event(g, now)),
                )
        except store.ConditionFailed:
            # The 決裁 is no longer pending (another approval of it won: 409), or a version
            # committed since the read. A second reissue cannot have: a pending request blocks
            # another of the same action, so no other caller holds a key this retry would kill.
            _still_pending(approval)
            _wait_before_retry(attempt)
            continue
        logs.info("auth_key_reissued", number=g.number)
        return new_key
    raise Conflict([RACE_LOST])
