"""Errors a service raises; handlers turn them into API.md's status codes."""

from __future__ import annotations

from dataclasses import dataclass, field

#: API.md's stable error codes by status: what an error item's `code` is when nothing finer is said.
STATUS_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "locked",
    503: "unavailable",
}
#: Every `code` an error item can carry (the OpenAPI document's enum): the per-status codes, then
#: the finer ones a 400 may name.
ERROR_CODES = (*STATUS_CODES.values(), "required", "too_long")


@dataclass(frozen=True)
class FieldError:
    """One error item: `field` ("" = no field at fault, answered as null), a Japanese message, and a
    stable `code` (None = the status's own, `STATUS_CODES`)."""

    field: str
    message: str
    code: str | None = None

    def as_dict(self, status: int = 400) -> dict[str, str | None]:
        return {
            "field": self.field or None,
            "code": self.code or STATUS_CODES.get(status, "invalid"),
            "message": self.message,
        }


class DomainError(Exception):
    status = 400

    def __init__(self, errors: list[FieldError] | None = None, message: str = "") -> None:
        super().__init__(message or (errors[0].message if errors else ""))
        self.errors = errors or []


class ValidationFailed(DomainError):
    status = 400


class Unauthenticated(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    """Not found *or not yours*: the same answer either way."""

    status = 404


class Conflict(DomainError):
    status = 409


class Unavailable(DomainError):
    """A service the write needs did not answer (the signing key, the timestamp authority): 503
    with Retry-After, and nothing was written."""

    status = 503


@dataclass
class TooManyAttempts(Exception):
    retry_after: int
    errors: list[FieldError] = field(default_factory=list)
    status: int = 429
