"""Bulk verification (`POST /api/verify/bulk`, D-Sure's 一括確認): every row a counted attempt,
decided exactly as the same rows sent one by one to `verify.attempt` would be, in a few round trips.

One by one, a row costs three calls (count, read, log): 601 for 200 rows. Here
(DESIGN.md §5, issue 32): the rows' guarantees in BatchGetItem calls, the
counters of every row read in BatchGetItem calls and decided in memory by the
lockout rules of store/attempts.py (store/attempt_batches.py), their new states
written in transactions of ≤ 100 counters (the user's counter once in each, two
rows of one number merged into one item), the access-log rows with the numbers' failure counts and the inbox marks in
transactions of ≤ 100 items. 200 rows: ~10 calls.

A counting transaction refused because another request counted on one of its
counters in between writes nothing: the rows from it on are read and decided
again (twice), then one by one with `verify.attempt` — so concurrent uploads
never get more attempts evaluated than the one-by-one rules allow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib import logs
from chalicelib.domain import clock, verify_csv
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Guarantee
from chalicelib.services import verify, views
from chalicelib.store import access_log, attempt_batches, objects, tx
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store import inbox as inbox_store

#: Rounds of read-and-decide after a refused counting transaction, before going one by one.
ROUNDS = 3

_TOO_MANY = FieldError("", f"一度に確認できるのは {verify_csv.MAX_ROWS} 行までです。")


def bulk_items(principal: Principal, items: list[dict[str, str]]) -> list[dict[str, Any]]:
    """`POST /api/verify/bulk` as JSON: a result per item (`line` = its position), counted as the CSV's rows."""
    try:
        rows = verify_csv.rows_of_items(items)
    except verify_csv.TooManyRows:
        raise verify.PayloadTooLarge([FieldError("items", _TOO_MANY.message)]) from None
    if not rows:
        raise ValidationFailed([FieldError("items", "確認する保証を1件以上指定してください。", "required")])
    return _results(principal, rows)


def bulk(principal: Principal, data: bytes) -> list[dict[str, Any]]:
    """`POST /api/verify/bulk`: a result per CSV row; every data row is one counted attempt."""
    try:
        rows = verify_csv.parse(data)
    except verify_csv.TooManyRows:
        raise verify.PayloadTooLarge([_TOO_MANY]) from None
    except verify_csv.UndecodableCsv:
        raise ValidationFailed(
            [FieldError("", "CSV の文字コードを判別できません。UTF-8 または Shift_JIS (CP932) で保存してください。")]
        ) from None
    if not rows:
        raise ValidationFailed(
            [
                FieldError(
                    "",
                    "確認する行がありません。保証契約番号,認証キー を1行に1件ずつ入力するか、CSV ファイルを選択してください。",
                )
            ]
        )
    return _results(principal, rows)


@dataclass(frozen=True)
class _Row:
    line: int
    entered: str  # as in the upload, for the answer
    number: str  # normalised ("" when there is none)
    key: str  # normalised ("" for a malformed row)

    @property
    def evaluable(self) -> bool:
        return bool(self.number and self.key)


def _row(row: verify_csv.Row) -> _Row:
    number = verify.normalise_number(row.number or "")
    key = verify.normalise_key(row.auth_key or "") if row.valid else ""
    return _Row(row.line, row.number, number, key)


def _results(principal: Principal, csv_rows: list[verify_csv.Row]) -> list[dict[str, Any]]:
    rows = [_row(r) for r in csv_rows]
    found = guarantees_store.get_many(r.number for r in rows if r.evaluable)
    now = int(verify.now_seconds())
    results: list[str] = []
    for _ in range(ROUNDS):
        try:
            results += _decide(principal, rows[len(results) :], found, now)
            break
        except _Partly as partly:
            results += partly.results
    _write_log(principal, rows[: len(results)], results, found)
    for r in rows[len(results) :]:  # still refused: one by one (each logs itself)
        one = verify.attempt(principal, r.number, r.key).result if r.evaluable else None
        results.append(one or verify.invalid_row(principal, r.number))
    return [_item(r, res, found) for r, res in zip(rows, results, strict=True)]


def _item(r: _Row, result: str, found: dict[str, Guarantee]) -> dict[str, Any]:
    """line, number, result; a row that verified also names its 工事名 and 受注者 and links its PDF
    (what the page shows beside each row; the API answers the three keys only)."""
    item: dict[str, Any] = {"line": r.line, "number": r.entered, "result": result}
    if result in verify.VALID_RESULTS and r.number in found:
        latest = _latest(found[r.number])
        filename = f"{r.number}-v{latest.version}.pdf"
        item |= {
            "verified_number": r.number,
            "pdf_url": objects.presigned_url(latest.pdf_key, filename) if latest.pdf_key else None,
            "project_name": latest.content.get("project_name"),
            "contractor_name": latest.content.get("contractor_name"),
        }
    return item


class _Partly(Exception):
    """The rows before a refused counting transaction: decided and counted."""

    def __init__(self, results: list[str]):
        super().__init__(len(results))
        self.results = results


def _governing(principal: Principal, r: _Row) -> list:
    return verify.counters(principal, r.number) if r.number else [verify.user_counter(principal)]


def _decide(principal: Principal, rows: list[_Row], found: dict[str, Guarantee], now: int) -> list[str]:
    """Decide `rows` in order against their counters as read, and count them (Refused → _Partly)."""
    keys = [c.key for r in rows for c in _governing(principal, r)]
    batch = attempt_batches.Batch(attempt_batches.read(keys), now)
    today = clock.today()
    results = []
    for r in rows:
        reservation = batch.reserve(_governing(principal, r))
        if reservation.ticket is None:
            results.append("locked")
        elif not r.evaluable:
            results.append("invalid")
        elif verify.key_matches(principal, found.get(r.number), r.key):
            batch.success(reservation.ticket)
            results.append(views.status(found[r.number], today))
        else:
            results.append("not_found")
    try:
        batch.commit()
    except attempt_batches.Refused as refused:
        raise _Partly(results[: refused.first_row]) from None
    return results


def _write_log(principal: Principal, rows: list[_Row], results: list[str], found: dict[str, Guarantee]) -> None:
    """The access-log rows, the numbers' failure counts (one item a number) and the inbox marks
    (one a number), in transactions of ≤ 100 items: ~3 for 200 rows."""
    if not rows:
        return
    entries = [verify.entry(principal, r.number or "-", res) for r, res in zip(rows, results, strict=True)]
    items: list[tuple[str, Callable[[tx.Writes], None]]] = [
        ("log", lambda w, e=e: access_log.append_writes(e, w, failed=False)) for e in entries
    ]
    items += [
        ("count", lambda w, n=n, c=c, at=at: access_log.failed_count_write(n, c, at, w))
        for n, (c, at) in access_log.failed_counts(entries).items()
    ]
    seen = dict.fromkeys(e.number for e in entries if e.result in verify.VALID_RESULTS)
    verified_at = clock.iso_now()
    for number in seen:
        latest = _latest(found[number])
        items.append(
            (
                "inbox",
                lambda w, n=number, v=latest: inbox_store.mark_seen_writes(
                    principal.org_id, n, v.version, v.issued_at, verified_at, w
                ),
            )
        )
    for start in range(0, len(items), attempt_batches.MAX_ITEMS):
        _commit_dropping_refused_marks(items[start : start + attempt_batches.MAX_ITEMS])
    for e in entries:
        logs.info("verification", orderer_id=principal.org_id, login=principal.login, result=e.result)
    for result, count in Counter(e.result for e in entries).items():
        logs.metric("Verifications", count, result=result)


def _latest(g: Guarantee) -> Any:
    """The version the inbox marks as seen: from the row's summary, or one Query for an old row."""
    versions = list(g.history) if g.history and g.history[-1].version == g.latest_version else None
    return views.latest(g, versions or guarantees_store.history(g.number))


def _commit_dropping_refused_marks(items: list[tuple[str, Callable[[tx.Writes], None]]]) -> None:
    """One transaction; an inbox mark refused (a concurrent look at a newer version wins) is left out."""
    for _ in range(3):
        writes = tx.Writes()
        for _kind, add in items:
            add(writes)
        try:
            tx.commit(writes, what="verification")
            return
        except tx.ConditionFailed as exc:
            failed = tx.failed_items(exc) or {i for i, (kind, _a) in enumerate(items) if kind == "inbox"}
            items = [item for i, item in enumerate(items) if i not in failed or item[0] != "inbox"]
