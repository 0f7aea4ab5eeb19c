"""Idempotency-Key: a repeated or concurrent request with one key runs once and gets one answer.

How it holds under concurrency and retries:
- The first request *claims* the key with a conditional put (`key` does not
  exist) in `IdempotencyModel`; exactly one claimant wins in DynamoDB.
- The winner runs the operation and stores its answer (status code + body) on
  the claim. Repeats that lost the race poll the claim briefly (up to
  `WAIT_SECONDS`) and then answer with the stored first answer.
- The same key with a *different* request (another fingerprint) is a 409
  Conflict: the key is already bound to something else, and answering a 400
  would suggest the body itself is wrong.
- If the operation fails (raises), the claim is deleted so the client can retry
  with the same key. If a process dies between claim and answer, the claim is
  taken over after `LEASE_SECONDS` with a conditional update. Callers make the
  operation itself safe to re-run (e.g. a record id derived from the key with a
  conditional put), so even a takeover cannot create a second record.
Keys are scoped to the caller's organisation: one contractor's key can neither
collide with nor reveal another's answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.store.models import IdempotencyModel

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600
LEASE_SECONDS = 30
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
MAX_KEY_LENGTH = 255


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
    """TTL of a claim; the claim time is this minus TTL_SECONDS (used for the lease)."""
    return dt.datetime.fromtimestamp(int(time.time()) + TTL_SECONDS, tz=dt.UTC)


def _claim(record_key: str, fp: str) -> bool:
    item = IdempotencyModel(record_key, status="in_progress", fingerprint=fp, expires_at=_expiry())
    try:
        item.save(condition=IdempotencyModel.key.does_not_exist())
    except PutError as exc:
        if _conditional(exc):
            return False
        raise
    return True


def _conditional(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def _take_over(record: IdempotencyModel) -> bool:
    """A claim whose owner stopped answering for LEASE_SECONDS is taken over, once."""
    claimed_at = int(record.expires_at.timestamp()) - TTL_SECONDS if record.expires_at else 0
    if time.time() - claimed_at < LEASE_SECONDS:
        return False
    try:
        record.update(
            actions=[IdempotencyModel.expires_at.set(_expiry())],
            condition=(IdempotencyModel.status == "in_progress") & (IdempotencyModel.expires_at == record.expires_at),
        )
    except UpdateError as exc:
        if _conditional(exc):
            return False
        raise
    return True


def run_once(
    scope: str,
    key: str,
    fp: str,
    operation: Callable[[], tuple[int, dict[str, Any]]],
    wait_seconds: float = WAIT_SECONDS,
) -> tuple[int, dict[str, Any]]:
    """Run `operation` once per (scope, key); every repeat gets the first (status, body)."""
    record_key = scoped(scope, key)
    deadline = time.monotonic() + wait_seconds
    while True:
        if _claim(record_key, fp):
            return _run_claimed(record_key, operation)
        try:
            record = IdempotencyModel.get(record_key, consistent_read=True)
        except DoesNotExist:
            continue  # the first attempt failed and released the key: claim it now
        if record.fingerprint != fp:
            raise Conflict([FieldError(HEADER, "この Idempotency-Key は別の内容の申込に使われています。新しいキーで送信してください。")])
        if record.status == "completed" and record.response is not None:
            return int(record.status_code or 200), record.response
        if _take_over(record):
            return _run_claimed(record_key, operation)
        if time.monotonic() >= deadline:
            raise Conflict([FieldError(HEADER, "同じ Idempotency-Key の申込を処理中です。しばらくしてから再度お試しください。")])
        time.sleep(POLL_SECONDS)


def _run_claimed(record_key: str, operation: Callable[[], tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    try:
        status, body = operation()
    except BaseException:
        try:
            IdempotencyModel(record_key).delete(condition=IdempotencyModel.status == "in_progress")
        except DeleteError:
            pass  # already gone or completed: nothing to release
        raise
    IdempotencyModel(record_key).update(
        actions=[
            IdempotencyModel.status.set("completed"),
            IdempotencyModel.response.set(body),
            IdempotencyModel.status_code.set(status),
        ]
    )
    return status, body
