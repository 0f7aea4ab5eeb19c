"""Guarantees and their certificate versions: one aggregate, written only in transactions.

Reads are Gets and Queries by 保証契約番号 (and the contractor index for
保証契約一覧). Writes:

- `issue()`: every guarantee of an application with its version 1, and the
  application moved from `submitted` to `issued`, in ONE transaction
  conditioned on the application still being `submitted` and every number
  being new.
- `add_version()`: the guarantee's new current state and its next version, in
  one transaction conditioned on the guarantee's lock version as read (a
  VersionAttribute) and on the version row being new.
- `replace_key()`: a new 認証キー and the latest version's new key notice,
  conditioned the same way.

A failed condition is `ConditionFailed` (from store/tx.py); conflicts and
throttling are retried there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.records import CertificateVersion, Guarantee
from chalicelib.store import audit, list_counts, paging, tx
from chalicelib.store.models import ApplicationModel, CertificateModel, GuaranteeModel, GuaranteesByContractorIndex

MAX_NUMBER_LENGTH = 32  # anything longer cannot be a 保証契約番号; never sent to DynamoDB
BAD_CURSOR = FieldError("cursor", "cursor が正しくありません。最初のページからやり直してください。")
_INDEX_KEYS = {"number", "contractor_org", "issued_at"}

ConditionFailed = tx.ConditionFailed


# ------------------------------------------------------------------ conversion


def _summary(versions: Iterable[CertificateVersion]) -> dict[str, Any]:
    """What the guarantee row keeps of its versions: the list, and the newest one's content."""
    ordered = sorted(versions, key=lambda v: v.version)
    return {
        "versions": [
            {
                "version": v.version,
                "kind": v.kind,
                "issued_at": v.issued_at,
                "sha256": v.sha256,
                "pdf_key": v.pdf_key,
                "key_notice_key": v.key_notice_key,
            }
            for v in ordered
        ],
        "content": ordered[-1].content if ordered else {},
    }


def _history(number: str, summary: dict[str, Any] | None) -> tuple[CertificateVersion, ...]:
    if not summary or not summary.get("versions"):
        return ()
    items = summary["versions"]
    return tuple(
        CertificateVersion(
            number=number,
            version=int(v["version"]),
            kind=v["kind"],
            content=summary.get("content") or {} if i == len(items) - 1 else {},
            sha256=v["sha256"],
            issued_at=v["issued_at"],
            pdf_key=v.get("pdf_key"),
            key_notice_key=v.get("key_notice_key"),
        )
        for i, v in enumerate(items)
    )


def record(row: GuaranteeModel) -> Guarantee:
    return Guarantee(
        number=row.number,
        application_id=row.application_id,
        kind=row.kind,
        form=row.form,
        status=row.status,
        contractor_org=row.contractor_org,
        orderer_id=row.orderer_id,
        issued_at=row.issued_at,
        deadline=row.deadline,
        details=row.details or {},
        auth_key=row.auth_key,
        latest_version=int(row.latest_version),
        lock_version=int(row.lock_version) if row.lock_version is not None else None,
        history=_history(row.number, row.summary),
        key_reissued_at=row.key_reissued_at,
        expiring_at=row.expiring_at,
    )


def _model(g: Guarantee) -> GuaranteeModel:
    row = GuaranteeModel(
        g.number,
        application_id=g.application_id,
        kind=g.kind,
        form=g.form,
        status=g.status,
        contractor_org=g.contractor_org,
        orderer_id=g.orderer_id,
        issued_at=g.issued_at,
        deadline=g.deadline,
        auth_key=g.auth_key,
        latest_version=g.latest_version,
        details=g.details,
        branch_id=g.branch_id,
        summary=_summary(g.history) if g.history else None,
        key_reissued_at=g.key_reissued_at,
        expiring_at=g.expiring_at,
    )
    if g.lock_version is not None:
        row.lock_version = g.lock_version  # the put is conditioned on this; unset: must not exist yet
    return row


def version_record(row: CertificateModel) -> CertificateVersion:
    return CertificateVersion(
        number=row.number,
        version=int(row.version),
        kind=row.kind,
        content=row.content,
        sha256=row.sha256,
        issued_at=row.issued_at,
        pdf_key=row.pdf_key,
        key_notice_key=row.key_notice_key,
        reason=row.reason,
    )


def _version_model(v: CertificateVersion) -> CertificateModel:
    return CertificateModel(
        v.number,
        v.version,
        kind=v.kind,
        content=v.content,
        sha256=v.sha256,
        pdf_key=v.pdf_key,
        key_notice_key=v.key_notice_key,
        issued_at=v.issued_at,
        reason=v.reason,
    )


def version_from_image(image: dict[str, Any] | None) -> CertificateVersion | None:
    """A certificates-stream NEW_IMAGE as a version, or None when it cannot be one."""
    if not image:
        return None
    try:
        row = CertificateModel.from_raw_data(image)
        if not row.number or row.version is None:
            return None
        return version_record(row)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


# ------------------------------------------------------------------ reads


def get(number: str, *, consistent: bool = False) -> Guarantee | None:
    """The guarantee, or None when there is none (or the text cannot be a number)."""
    if not number or len(number) > MAX_NUMBER_LENGTH:
        return None
    try:
        return record(GuaranteeModel.get(number, consistent_read=consistent))
    except DoesNotExist:
        return None


def get_many(numbers: Iterable[str]) -> dict[str, Guarantee]:
    """The guarantees that exist among `numbers`, by number (BatchGetItem)."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return {}
    return {row.number: record(row) for row in GuaranteeModel.batch_get(wanted)}


def issued_for(contractor_org: str, application_id: str, issued_at: str) -> list[Guarantee]:
    """The guarantees one application produced, by number, with one Query (no Scan).

    `issue()` writes every guarantee of an application with `issued_at` equal to
    the application's `decided_at`, so the contractor index answers exactly for
    that instant; the application id filters out any other issue of that moment.
    """
    rows = GuaranteeModel.by_contractor.query(
        contractor_org,
        GuaranteesByContractorIndex.issued_at == issued_at,
        filter_condition=GuaranteeModel.application_id == application_id,
    )
    return sorted((record(row) for row in rows), key=lambda g: g.number)


def history(number: str) -> list[CertificateVersion]:
    """Every version, oldest first (one Query)."""
    return [version_record(c) for c in CertificateModel.query(number, scan_index_forward=True)]


def with_history(number: str) -> tuple[Guarantee, list[CertificateVersion]] | None:
    """The guarantee and its versions (the latest with its content) in ONE read when the row
    keeps its summary; a row written before the summary existed costs the Query too."""
    g = get(number)
    if g is None:
        return None
    if g.history and g.history[-1].version == g.latest_version:
        return g, list(g.history)
    return g, history(g.number)


def version(number: str, version_no: int, *, consistent: bool = False) -> CertificateVersion | None:
    try:
        return version_record(CertificateModel.get(number, int(version_no), consistent_read=consistent))
    except DoesNotExist:
        return None


def points_at(number: str, version_no: int, attribute: str, key: str | None) -> bool:
    """Read back (strongly) whether the committed version row's `attribute` (pdf_key,
    key_notice_key) is `key`: after an ambiguous failure, did our write commit?"""
    row = version(number, version_no, consistent=True)
    return row is not None and key is not None and getattr(row, attribute) == key


def versions_of(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], CertificateVersion]:
    """The versions that exist among (number, version) keys (BatchGetItem)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    return {(c.number, int(c.version)): version_record(c) for c in CertificateModel.batch_get(wanted)}


def latest_object(number: str, attribute: str) -> str | None:
    """The newest version's object key for a document (`pdf_key` or `key_notice_key`);
    a version without one keeps the older version's."""
    for cert in CertificateModel.query(number, scan_index_forward=False):
        key = getattr(cert, attribute)
        if key:
            return key
    return None


def _range_condition(low: str | None, high: str | None) -> Any:
    key = GuaranteesByContractorIndex.issued_at
    if low and high:
        return key.between(low, high)
    if low:
        return key >= low
    if high:
        return key < high
    return None


def _check_start(start: dict[str, Any] | None, org: str, low: str | None, high: str | None) -> None:
    """A signed cursor is still checked against this Query: another list's or another
    organisation's key, or one outside the period, would make DynamoDB fail."""
    if start is None:
        return
    try:
        if set(start) != _INDEX_KEYS or not all(paging.is_string_value(v) for v in start.values()):
            raise ValueError
        issued = start["issued_at"]["S"]
        if start["contractor_org"]["S"] != org:
            raise ValueError
        if (low and issued < low) or (high and issued >= high):
            raise ValueError
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed([BAD_CURSOR]) from None


def list_by_contractor(
    org: str,
    low: str | None,
    high: str | None,
    limit: int,
    cursor: str | None,
    keep: Callable[[Guarantee], bool],
    scope: str = "",
) -> tuple[list[Guarantee], str | None]:
    """An organisation's guarantees issued in [low, high), newest first, full pages.
    `scope` names the caller's filters: a cursor only works with the filters it came from."""
    condition = _range_condition(low, high)

    def run(start: dict[str, Any] | None, size: int) -> Any:
        _check_start(start, org, low, high)
        return GuaranteeModel.by_contractor.query(
            org,
            range_key_condition=condition,
            scan_index_forward=False,
            limit=size,
            page_size=size,
            last_evaluated_key=start,
        )

    return paging.page(run, limit, cursor, keep, convert=record, scope=f"guarantees:{org}:{low}:{high}:{scope}")


def all_of_contractor(org: str, cap: int) -> list[Guarantee]:
    """An organisation's guarantees, newest issue first, at most `cap` (the 電子保証履歴一覧 reads
    them whole: each row carries its versions' list, so one query answers every event)."""
    rows = GuaranteeModel.by_contractor.query(org, scan_index_forward=False, limit=cap, page_size=min(cap, 100))
    return [record(row) for row in rows]


def _check_index_start(start: dict[str, Any] | None, hash_name: str, hash_value: str) -> None:
    """A signed cursor of another list, branch or orderer would make DynamoDB fail: a 400 instead."""
    if start is None:
        return
    try:
        if set(start) != {"number", hash_name, "issued_at"} or not all(
            paging.is_string_value(v) for v in start.values()
        ):
            raise ValueError
        if start[hash_name]["S"] != hash_value:
            raise ValueError
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed([BAD_CURSOR]) from None


def _list_on(
    index: Any,
    hash_name: str,
    hash_value: str,
    limit: int,
    cursor: str | None,
    keep: Callable[[Guarantee], bool],
    scope: str,
) -> tuple[list[Guarantee], str | None]:
    def run(start: dict[str, Any] | None, size: int) -> Any:
        _check_index_start(start, hash_name, hash_value)
        return index.query(hash_value, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start)

    return paging.page(run, limit, cursor, keep, convert=record, scope=f"guarantees-{hash_name}:{hash_value}:{scope}")


def list_by_branch(
    branch_id: str, limit: int, cursor: str | None, keep: Callable[[Guarantee], bool], scope: str = ""
) -> tuple[list[Guarantee], str | None]:
    """A branch's guarantees, newest first, full pages (Query on by_branch).
    `scope` names the caller's filters: a cursor only works with the filters it came from."""
    return _list_on(GuaranteeModel.by_branch, "branch_id", branch_id, limit, cursor, keep, scope)


def list_by_orderer(
    orderer_id: str, limit: int, cursor: str | None, keep: Callable[[Guarantee], bool], scope: str = ""
) -> tuple[list[Guarantee], str | None]:
    """An orderer's guarantees, newest first, full pages (Query on by_orderer).
    `scope` names the caller's filters: a cursor only works with the filters it came from."""
    return _list_on(GuaranteeModel.by_orderer, "orderer_id", orderer_id, limit, cursor, keep, scope)


# ------------------------------------------------------------------ writes


def add_new(writes: tx.Writes, g: Guarantee, v1: CertificateVersion) -> tx.Writes:
    """Put a new guarantee row (keeping the summary of its version 1, so a verification reads it in
    one call) and that version, each only if its number is new. Issuing and a 契約保証予約 share it."""
    writes.put(_model(replace(g, history=(v1,))), condition=GuaranteeModel.number.does_not_exist())
    writes.put(_version_model(v1), condition=CertificateModel.number.does_not_exist())
    return writes


def issue(
    application_id: str,
    decided_at: str,
    issued: list[tuple[Guarantee, CertificateVersion]],
    also: tx.Writes | None = None,
) -> None:
    """Write every guarantee with its version 1 and mark the application issued, atomically.

    `also`: other writes that must commit with the issuance (the clerk's `issue` audit
    record, a cited 契約保証予約 marked used — store/reservations.py). ConditionFailed when the application is
    no longer `submitted` (or a number exists, or a condition of `also` fails).
    """
    writes = tx.Writes()
    for g, v1 in issued:
        add_new(writes, g, v1)
    list_counts.add(writes, [g for g, _v1 in issued])  # the pager's totals, in the same transaction
    writes.update(
        ApplicationModel(application_id),
        actions=[
            ApplicationModel.status.set("issued"),
            ApplicationModel.decided_at.set(decided_at),
            ApplicationModel.guarantee_numbers.set([g.number for g, _v in issued]),
        ],
        condition=ApplicationModel.status == "submitted",
    )
    writes.extend(also)
    tx.commit(writes, what="issue")


def add_version(
    g: Guarantee,
    v: CertificateVersion,
    entry: AuditEntry | None = None,
    also: Callable[[tx.Writes], object] | None = None,
) -> None:
    """Write the guarantee's new state (as of `g.lock_version`) and its new version, atomically,
    with the clerk's audit record (`entry`) in the same transaction.

    ConditionFailed when another writer changed the guarantee since it was read.
    """
    earlier = g.history if g.history and g.history[-1].version == v.version - 1 else tuple(history(g.number))
    writes = tx.Writes()
    # the VersionAttribute conditions this on lock_version as read
    writes.put(_model(replace(g, history=(*[e for e in earlier if e.version < v.version], v))))
    writes.put(_version_model(v), condition=CertificateModel.number.does_not_exist())
    if entry is not None:
        audit.add(writes, entry)
    if also is not None:  # e.g. the 決裁 this version carries out (store/approvals.decide)
        also(writes)
    tx.commit(writes, what="version")


def replace_key(
    g: Guarantee,
    latest: CertificateVersion,
    notice_key: str,
    entry: AuditEntry | None = None,
    also: Callable[[tx.Writes], object] | None = None,
) -> None:
    """Store `g` (with its new 認証キー) and point the latest version at its new key notice.

    ConditionFailed when the guarantee or that version changed since they were read.
    """
    kept = tuple(replace(v, key_notice_key=notice_key) if v.version == latest.version else v for v in g.history)
    writes = tx.Writes()
    writes.put(_model(replace(g, history=kept)))  # conditioned on lock_version: the key as read
    writes.update(
        CertificateModel(latest.number, latest.version),
        actions=[CertificateModel.key_notice_key.set(notice_key)],
        condition=CertificateModel.sha256 == latest.sha256,
    )
    if entry is not None:
        audit.add(writes, entry)
    if also is not None:
        also(writes)
    tx.commit(writes, what="reissue_key")


def with_deadline(deadline: str) -> list[Guarantee]:
    """Every guarantee whose 保証期限 is `deadline` (the daily reminders; one Query on `by_deadline`)."""
    return [record(row) for row in GuaranteeModel.by_deadline.query(deadline)]


def mark_expiring(number: str, at: str) -> None:
    """Note a 保証期限 reminder on the guarantee (`latest_event: expiring`); a concurrent write of the
    row is retried on its fresh read, and a later reminder never moves the time back."""

    for _ in range(5):
        row = GuaranteeModel.get(number, consistent_read=True)
        if (row.expiring_at or "") >= at:
            return
        try:
            tx.retrying(lambda r=row: r.update(actions=[GuaranteeModel.expiring_at.set(at)]), what="guarantee")
            return
        except tx.ConditionFailed:  # another write of the row won: read it again
            continue
    raise tx.Contention()
