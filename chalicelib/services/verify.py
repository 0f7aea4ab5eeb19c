"""D-Sure verification: an orderer proves it holds 保証契約番号 + 認証キー and reads the certificate.

Three things are needed (DESIGN.md §3): an orderer login, the number with its
key, and a guarantee that names that orderer. Every way of failing — unknown
number, wrong key, a paper guarantee, another orderer's guarantee — takes the
same steps and gives the same answer, so an answer (or its timing) never tells
which number exists. Wrong guesses are limited per user and number, and per
user (API.md "Orderer"); the counters live in DynamoDB so they hold across
Lambda instances. Every attempt is written to the access log (never the key).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from chalicelib import logs
from chalicelib.domain import clock
from chalicelib.domain.errors import DomainError, FieldError, NotFound, TooManyAttempts, ValidationFailed
from chalicelib.domain.numbers import normalise_number as _normalise_number
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import AccessLogEntry, Guarantee
from chalicelib.services import views
from chalicelib.store import access_log, attempts, objects, tx
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store import inbox as inbox_store

#: 5 consecutive failures by one user on one number lock that pair for 15 minutes.
#: "Consecutive": only a success (or a day of quiet) forgets them.
PAIR_POLICY = attempts.Policy(limit=5, window_seconds=24 * 3600, lock_seconds=15 * 60)
#: 20 failures by one user within 15 minutes lock that user on every number.
USER_POLICY = attempts.Policy(limit=20, window_seconds=15 * 60, lock_seconds=15 * 60)

#: Compared against when there is no key to compare with, so every path does the same work.
_DUMMY_KEY = secrets.token_urlsafe(9)[:12].encode()
MAX_INPUT = 64


def renew_dummy_key() -> None:
    """A new dummy (after a SnapStart restore: instances must not share one made at init)."""
    global _DUMMY_KEY
    _DUMMY_KEY = secrets.token_urlsafe(9)[:12].encode()


NOT_FOUND_MESSAGE = "保証契約番号または認証キーが正しくないか、確認できる保証がありません。"
LOCKED_MESSAGE = "確認の失敗が続いたため、一時的に確認できません。しばらくしてから再度お試しください。"
VALID_RESULTS = ("valid", "cancelled", "expired")


class PayloadTooLarge(DomainError):
    status = 413


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: a result for the access log and, on success, the view."""

    result: str  # valid | cancelled | expired | not_found | locked
    view: dict[str, Any] | None = None
    retry_after: int = 0


def _now() -> float:
    """The lockout clock (seconds). One seam, so tests can move time forward."""
    return time.time()


def now_seconds() -> float:
    """The lockout clock, for the bulk path (read through `_now`, the one seam)."""
    return _now()


def normalise_number(raw: str) -> str:
    """What a person typed as 保証契約番号, read as domain.numbers does everywhere (bounded)."""
    return _normalise_number((raw or "")[: MAX_INPUT * 2])[:MAX_INPUT]


def normalise_key(raw: str) -> str:
    """Keys are case-sensitive: only width and surrounding spaces are normalised."""
    import jaconv  # jaconv stays off `import app` (cold start; test_foundation_units checks it)

    return jaconv.z2h(raw or "", kana=False, ascii=True, digit=True).strip()[:MAX_INPUT]


def verify(principal: Principal, number: str, auth_key: str) -> dict[str, Any]:
    """`POST /api/verify`: the view, or NotFound / TooManyAttempts."""
    number, auth_key = normalise_number(number), normalise_key(auth_key)
    errors = []
    if not number:
        errors.append(FieldError("number", "保証契約番号を入力してください。"))
    if not auth_key:
        errors.append(FieldError("auth_key", "認証キーを入力してください。"))
    if errors:
        raise ValidationFailed(errors)
    outcome = attempt(principal, number, auth_key)
    if outcome.result == "locked":
        raise TooManyAttempts(outcome.retry_after, [FieldError("", LOCKED_MESSAGE)])
    if outcome.view is None:
        raise NotFound([FieldError("", NOT_FOUND_MESSAGE)])
    return outcome.view


def attempt(principal: Principal, number: str, auth_key: str) -> Outcome:
    """One counted attempt (single or a bulk row), logged whatever it comes to.

    Round trips beyond the session: the counting write (store/attempts.py: it
    decides before the key is looked at, so no burst gets more than the limit
    evaluated), ONE read of the guarantee with its versions, and ONE write —
    the access-log row for a failure, or for a success a transaction of the
    counters' reset, the access-log row and the inbox mark.
    """
    now = _now()
    reservation = attempts.reserve(counters(principal, number), now)
    if reservation.ticket is None:
        _log(principal, number, "locked")
        return Outcome("locked", retry_after=reservation.retry_after)
    found = guarantees_store.with_history(number)
    if not key_matches(principal, found[0] if found else None, auth_key) or found is None:
        _log(principal, number, "not_found")  # the reserved slots stay counted: that is the failure
        return Outcome("not_found")
    g, versions = found
    view = _view(g, versions)
    _settle(principal, reservation.ticket, g, view)
    return Outcome(view["status"], view)


def key_matches(principal: Principal, guarantee: Guarantee | None, auth_key: str) -> bool:
    """The key is the guarantee's, it is electronic and it names this orderer — compared in
    constant time, against a dummy when there is nothing to compare with (same work either way)."""
    stored = (
        guarantee.auth_key.encode()
        if guarantee is not None and guarantee.electronic and guarantee.auth_key
        else _DUMMY_KEY
    )
    key_ok = hmac.compare_digest(stored, auth_key.encode("utf-8"))
    return (
        key_ok
        & (guarantee is not None)
        & (stored is not _DUMMY_KEY)
        & (guarantee is not None and guarantee.orderer_id == principal.org_id)
    )


def invalid_row(principal: Principal, number: str) -> str:
    """A malformed bulk row: it costs an attempt like any other (on the pair when it names a
    number, and on the user), so a CSV cannot flood a guarantee's log for free."""
    governing = counters(principal, number) if number else [user_counter(principal)]
    reservation = attempts.reserve(governing, _now())
    result = "invalid" if reservation.ticket is not None else "locked"
    _log(principal, number or "-", result)
    return result


def inbox(principal: Principal, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The guarantees this orderer has verified, newest change first, unseen versions flagged.

    "Seen" is read against the guarantee's current latest version and its latest
    key reissue, so a version or a reissue after the orderer's last look shows as
    unseen without any trigger. `latest_event` is `key_reissued` when the reissue
    is newer than the latest version, else that version's kind (API.md).
    """
    rows, next_cursor = inbox_store.newest_first(principal.org_id, limit, cursor)
    if not rows:
        return [], next_cursor
    guarantees = guarantees_store.get_many(r.number for r in rows)
    certs = guarantees_store.versions_of((n, g.latest_version) for n, g in guarantees.items())
    today = clock.today()
    items = []
    for row in rows:
        g = guarantees.get(row.number)
        if g is None:
            continue
        latest = g.latest_version
        cert = certs.get((g.number, latest))
        items.append(
            {
                "number": g.number,
                "kind": g.kind,
                "status": views.status(g, today),
                "project_name": g.details.get("project_name"),
                "contractor_name": g.details.get("contractor_name"),
                "latest_version": latest,
                "latest_version_kind": cert.kind if cert else None,
                "latest_event": _latest_event(g, cert.issued_at if cert else None, cert.kind if cert else None),
                # 更新日時: the newest of the row's mark, the latest version and a key reissue
                "changed_at": max(row.changed_at, cert.issued_at if cert else "", g.key_reissued_at or ""),
                "verified_at": row.verified_at,
                "seen": row.last_seen_version >= latest and not _reissued_after(g, row.verified_at),
            }
        )
    return items, next_cursor


def _latest_event(g: Guarantee, version_at: str | None, version_kind: str | None) -> str | None:
    """The newest of: the latest version, a key reissue after it, a 保証期限 reminder after both."""
    reissued = bool(g.key_reissued_at) and (version_at is None or g.key_reissued_at > version_at)
    last = max(version_at or "", g.key_reissued_at or "") if reissued else (version_at or "")
    if g.expiring_at and g.expiring_at > last:
        return "expiring"
    return "key_reissued" if reissued else version_kind


def _reissued_after(g: Guarantee, looked_at: str | None) -> bool:
    """Was the key reissued after the orderer's last successful look?"""
    return bool(g.key_reissued_at) and (looked_at or "") < (g.key_reissued_at or "")


def key_reissued_since_last_look(principal: Principal, number: str) -> bool:
    """For D-Sure's failure page: this orderer verified the guarantee before and its key has been
    reissued since, so the old 認証キーのお知らせ it holds no longer works. Only an orderer whose
    inbox already holds the number learns this (the API's 404 stays the same for everyone)."""
    number = normalise_number(number or "")
    row = inbox_store.get(principal.org_id, number) if number else None
    if row is None:
        return False
    g = guarantees_store.get(number)
    return g is not None and g.orderer_id == principal.org_id and _reissued_after(g, row.verified_at)


def note_new_version(orderer_id: str, number: str, issued_at: str) -> None:
    """For the certificates-stream trigger: move an inbox row up when its guarantee changes.

    Only touches rows that exist (the orderer has verified the guarantee before).
    """
    inbox_store.note_change(orderer_id, number, issued_at)


# --- helpers -----------------------------------------------------------------


def _pair_key(principal: Principal, number: str) -> str:
    return f"verify:{principal.login}:{number}"


def _user_key(principal: Principal) -> str:
    return f"verify-user:{principal.login}"


def user_counter(principal: Principal) -> attempts.Counter:
    return attempts.Counter(_user_key(principal), USER_POLICY)


def counters(principal: Principal, number: str) -> list[attempts.Counter]:
    """The pair (reset by a success) and the user's total (a success only gives its slot back)."""
    return [attempts.Counter(_pair_key(principal, number), PAIR_POLICY, reset=True), user_counter(principal)]


def remaining_tries(principal: Principal, number: str) -> int:
    """How many more wrong keys this user may enter for `number` before the pair locks."""
    return attempts.remaining(_pair_key(principal, normalise_number(number)), PAIR_POLICY, _now())


def _view(g: Guarantee, versions: list) -> dict[str, Any]:
    latest = views.latest(g, versions)
    pdf_url = objects.presigned_url(latest.pdf_key, f"{g.number}-v{latest.version}.pdf") if latest.pdf_key else None
    return views.verification_view(g, versions, clock.today(), pdf_url)


def entry(principal: Principal, number: str, result: str) -> AccessLogEntry:
    return AccessLogEntry(
        number=number or "-",
        at=f"{clock.iso_now()}#{secrets.token_hex(4)}",
        orderer_id=principal.org_id,
        login=principal.login,
        result=result,
    )


def _log(principal: Principal, number: str, result: str) -> None:
    """One access-log row per attempt: who, which number (as entered), when, what came of it."""
    access_log.append(entry(principal, number, result))
    logs.info("verification", orderer_id=principal.org_id, login=principal.login, result=result)
    logs.metric("Verifications", result=result)


def _settle(principal: Principal, ticket: attempts.Ticket, g: Guarantee, view: dict[str, Any]) -> None:
    """A success in ONE transaction: the counters' reset, the access-log row, the inbox mark.

    Either condition in it may refuse the whole: the pair's reset (an attempt was
    counted after this one — then only this attempt's slot is given back) or the
    inbox mark (a concurrent look at a newer version — then the mark is left
    out). The transaction is sent again without what failed; the log row and the
    counters are never left out.
    """
    latest = view["versions"][-1]
    strict, inbox = True, True
    for _ in range(3):
        writes = tx.Writes()
        attempts.success_writes(ticket, writes, strict=strict)
        counted = len(writes)
        access_log.append_writes(entry(principal, g.number, view["status"]), writes, failed=False)
        if inbox:
            inbox_store.mark_seen_writes(
                principal.org_id, g.number, latest["version"], latest["issued_at"], clock.iso_now(), writes
            )
        try:
            tx.commit(writes, what="verification")
            break
        except tx.ConditionFailed as exc:
            failed = tx.failed_items(exc)
            strict = strict and not any(i < counted for i in failed)
            inbox = inbox and (len(writes) - 1) not in failed
            if not failed:  # no reasons given: drop both conditions and write what must be written
                strict, inbox = False, False
    logs.info("verification", orderer_id=principal.org_id, login=principal.login, result=view["status"])
    logs.metric("Verifications", result=view["status"])


@dataclass(frozen=True)
class AttemptsLeft:
    """How many more failures before a lock, for the page's warning (never for the API's 404 body)."""

    remaining: int  # 0: the last failure has just locked the number (or the user)
    lock_minutes: int


def attempts_left(principal: Principal, number: str) -> AttemptsLeft:
    """Failures left on this number for this user (the smaller of the pair's and the user's).

    Unknown numbers count exactly like wrong keys, so this reveals nothing about
    whether the number exists. Read from the same counters the lockout decides on.
    """
    now = _now()
    pair = remaining_tries(principal, number)
    user = attempts.remaining(_user_key(principal), USER_POLICY, now)
    return AttemptsLeft(max(0, min(pair, user)), PAIR_POLICY.lock_seconds // 60)
