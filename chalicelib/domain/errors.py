"""Errors a service raises; handlers turn them into API.md's status codes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


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


@dataclass
class TooManyAttempts(Exception):
    retry_after: int
    errors: list[FieldError] = field(default_factory=list)
    status: int = 429
