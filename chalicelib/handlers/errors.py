"""API.md's error body, raised anywhere under a handler and answered by the middleware."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from chalice import ChaliceUnhandledError, Response

from chalicelib import aws_faults
from chalicelib.domain.errors import DomainError, FieldError, TooManyAttempts

MESSAGES = {
    400: "入力内容に誤りがあります。",
    401: "ログインしてください。",
    403: "この操作を行う権限がありません。",
    404: "見つかりません。",
    405: "このメソッドは使用できません。",
    406: "この形式では応答できません (Accept を確認してください)。",
    409: "現在の状態ではこの操作はできません。",
    413: "送信データが大きすぎます。",
    415: "Content-Type が正しくありません。",
    429: "試行回数が上限に達しました。しばらくしてから再度お試しください。",
    503: "ただいま混み合っているか、一時的に利用できません。しばらくしてから再度お試しください。",
}
#: Seconds a 503 asks the client to wait (API.md: 503 with Retry-After).
UNAVAILABLE_RETRY_AFTER = 2


class ApiError(ChaliceUnhandledError):
    """Propagates past Chalice's own error mapping so the middleware can answer it."""

    def __init__(
        self,
        status: int,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(MESSAGES.get(status, ""))
        self.status = status
        self.errors = errors or [FieldError("", MESSAGES.get(status, "エラー"))]
        self.headers = headers or {}
        if status == 401:
            self.headers.setdefault("WWW-Authenticate", "Bearer")

    @classmethod
    def from_domain(cls, exc: DomainError | TooManyAttempts) -> ApiError:
        if isinstance(exc, TooManyAttempts):
            return cls(429, exc.errors or None, {"Retry-After": str(exc.retry_after)})
        if exc.status == 503:
            return cls(503, exc.errors or None, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})
        return cls(exc.status, exc.errors or None)

    def response(self) -> Response:
        body = json.dumps({"errors": [e.as_dict(self.status) for e in self.errors]}, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8", **self.headers}
        return Response(body=body, status_code=self.status, headers=headers)


def unavailable_error(exc: BaseException) -> ApiError | None:
    """A 503 with Retry-After when `exc` says a store timed out or is unavailable, else None.

    Never the exception's text: it is Python's, not the client's business."""
    if not aws_faults.unavailable(exc):
        return None
    from chalicelib import logs

    logs.warning("store_unavailable", error=type(exc).__name__)
    return ApiError(503, headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})


@contextmanager
def as_api_errors() -> Iterator[None]:
    """Answer what a handler raises the one way, for `@api` and `@page` alike: a DomainError by its
    status and errors, TooManyAttempts by a 429 with Retry-After, a store outage by a 503.

    The middleware then writes the ApiError as API.md's JSON body under /api and as the error page
    elsewhere, so a page handler catches only the narrower error it shows beside its own form.
    Anything else propagates (a bug: Chalice answers 500)."""
    try:
        yield
    except ApiError:
        raise
    except (DomainError, TooManyAttempts) as exc:
        if isinstance(exc, TooManyAttempts):
            from chalicelib import logs

            logs.metric("Lockouts")  # a login, TOTP, verification, client or reset refused while locked
        raise ApiError.from_domain(exc) from None
    except Exception as exc:
        unavailable = unavailable_error(exc)
        if unavailable is None:
            raise
        raise unavailable from None
