"""Idempotency-Key: a repeated or concurrent request with one key runs once and gets one answer.

How it holds under concurrency and retries:
- Fast path. When the operation's answer is known before it is written
  (`Prepared`), the operation's write and the key's *completed* record go in
  one transaction, conditioned on neither existing. Exactly one of any number
  of concurrent requests commits; the key never exists without its answer; a
  first request costs one write.
- Otherwise (or when that transaction finds the key taken) the key is *claimed*
  with a lease (store/claims.py): one claimant wins in DynamoDB, runs the
  operation and stores its answer (status code + body) on the claim. Repeats
  poll the record briefly (up to `WAIT_SECONDS`) and answer with the stored
  first answer.
- The same key with a *different* request (another fingerprint) is a 409
  Conflict: the key is already bound to something else, and answering a 400
  would suggest the body itself is wrong.
- If the operation fails (raises), the claim is deleted so the client can retry
  with the same key. If a process dies between claim and answer, the claim is
  taken over after `LEASE_SECONDS` by a request with the same fingerprint.
  Callers make the operation itself safe to re-run (e.g. a record id derived
  from the key with a conditional put), so even a takeover cannot create a
  second record.
Keys are scoped to the caller's organisation: one contractor's key can neither
collide with nor reveal another's answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.store import claims

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600
LEASE_SECONDS = 30
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
MAX_KEY_LENGTH = 255

Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Prepared:
    """An operation whose answer is known up front, and a write that can carry the key's record.

    `write(record_key, completed)` writes the operation's items and the completed
    key record in one transaction; it returns False (having written nothing) when
    the key is taken.
    """

    answer: Answer
    write: Callable[[str, dict[str, Any]], bool]


def check_key(key: str | None) -> str | None:
    """None when absent; the key when it is 1–255 printable ASCII characters; else a 400."""
    if key is None:
        return None
    if not (0 < len(key) <= MAX_KEY_LENGTH) or not key.isascii() or not key.isprintable():
        raise ValidationFailed([FieldError(HEADER, "Idempotency-Key は255文字以内の英数字・記号で指定してください。")])
    return key


def fingerprint(payload: Any) -> str:
    """What makes two requests "the same": SHA-256 of the canonical JSON of their (normalised) input."""
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def scoped(scope: str, key: str) -> str:
    return f"{scope}#{hashlib.sha256(key.encode()).hexdigest()}"


def _expiry() -> dt.datetime:
    """When DynamoDB's TTL may drop the record: a key is remembered for TTL_SECONDS."""
    return dt.datetime.fromtimestamp(int(time.time()) + TTL_SECONDS, tz=dt.UTC)


def _mismatch() -> Conflict:
    return Conflict(
        [FieldError(HEADER, "この Idempotency-Key は別の内容の申込に使われています。新しいキーで送信してください。")]
    )


def run_once(
    scope: str,
    key: str,
    fp: str,
    operation: Callable[[], Answer],
    wait_seconds: float = WAIT_SECONDS,
    prepared: Prepared | None = None,
) -> Answer:
    """Run `operation` once per (scope, key); every repeat gets the first (status, body)."""
    record_key = scoped(scope, key)
    if prepared is not None:
        status, body = prepared.answer
        completed = {"fingerprint": fp, "response": body, "status_code": status, "expires_at": _expiry()}
        if prepared.write(record_key, completed):
            return prepared.answer
    deadline = time.monotonic() + wait_seconds
    claim_first = prepared is None  # the fast path just found the key taken: read it first
    while True:
        if claim_first:
            token = claims.IDEMPOTENCY.claim(
                record_key,
                LEASE_SECONDS,
                time.time(),
                data={"fingerprint": fp, "expires_at": _expiry()},
                takeover_if={"fingerprint": fp},
            )
            if token is not None:
                return _run_claimed(record_key, token, operation)
        claim_first = True
        record = claims.IDEMPOTENCY.read(record_key)
        if record is None:
            continue  # the first attempt failed and released the key: claim it now
        if record.data.get("fingerprint") != fp:
            raise _mismatch()
        if record.status == claims.IDEMPOTENCY.done and record.data.get("response") is not None:
            return int(record.data.get("status_code") or 200), record.data["response"]
        if time.monotonic() >= deadline:
            raise Conflict(
                [FieldError(HEADER, "同じ Idempotency-Key の申込を処理中です。しばらくしてから再度お試しください。")]
            )
        time.sleep(POLL_SECONDS)


def _run_claimed(record_key: str, token: str, operation: Callable[[], Answer]) -> Answer:
    try:
        status, body = operation()
    except BaseException:
        claims.IDEMPOTENCY.forget(record_key, token)  # nothing to release if it is already gone
        raise
    claims.IDEMPOTENCY.complete(record_key, token, {"response": body, "status_code": status})
    return status, body
