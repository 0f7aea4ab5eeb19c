"""保証申込: review, submit, list and read a contractor's applications.

One validation path for the JSON API and the three-step form: `review()` runs
the body's JSON Schema and every rule of `domain.application`, returning the
normalised form or raising ValidationFailed with all errors at once. `submit()`
reviews and stores nothing unless the whole body is valid.

The schema runs exactly once per request, here: the JSON route declares
`APPLICATION_SCHEMA` as its body for the document only (`validate_body=False`), and
the form's body is built from posted fields; both get schema and rule errors together.

Everything is scoped to the caller's organisation: another organisation's
application is NotFound, with the same body as a missing one.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from chalicelib.domain import clock, input_errors
from chalicelib.domain.application import APPLICATION_SCHEMA, review_application
from chalicelib.domain.errors import NotFound
from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Application
from chalicelib.domain.status import APPLICATION_STATUSES
from chalicelib.services import body_review, bounces, fees, idempotency, reservations
from chalicelib.store import applications as store

STATUSES = APPLICATION_STATUSES
SECTIONS = ("project", "advance_payment", "contract_guarantee", "bid", "delivery")


def review(principal: Principal | None, body: Any) -> dict[str, Any]:
    """The normalised form, or ValidationFailed listing every bad field (schema first, then rules):
    the JSON route and the form pass the body unchecked, so schema and rule errors are listed
    together (API.md: every bad field at once). The mail address must be one of the caller's
    organisation's users' (issue 15).
    """
    return body_review.reviewed(
        principal,
        body,
        schema=APPLICATION_SCHEMA,
        rules=review_application,
        not_an_object="申込内容はオブジェクトで送信してください。",
        explain=input_errors.explain,
    )


def as_json(app: Application) -> dict[str, Any]:
    """API.md's application: id, status, submitted_at and the form's sections at the top level."""
    form = app.form or {}
    out: dict[str, Any] = {"id": app.application_id, "status": app.status, "submitted_at": app.submitted_at}
    out.update({name: form.get(name) for name in SECTIONS})
    out["reject_reason"] = app.reject_reason
    out["decided_at"] = app.decided_at
    return out


def _new(principal: Principal, form: dict[str, Any], application_id: str) -> Application:
    return Application(
        application_id=application_id,
        owner_org=principal.org_id,
        owner_login=principal.login,
        status="submitted",
        submitted_at=clock.iso_now(),
        form=form,
        owner_name=principal.org_name,
    )


def _check_citation(principal: Principal, form: dict[str, Any]) -> None:
    """issue 17: a cited 契約保証予約 must be the caller's own, issued, unexpired, same orderer, unused."""
    reservations.check_citation(principal.org_id, form)


def _with_fees(apps: list[Application]) -> list[dict[str, Any]]:
    """issue 17: every read and the 201 carry the application's frozen 保証料 (`fees`)."""
    found = fees.views("application", [(a.application_id, a.form) for a in apps])
    return [{**as_json(a), "fees": found[a.application_id]} for a in apps]


def _store(app: Application) -> tuple[int, dict[str, Any]]:
    """Write the application with its frozen 保証料 in one transaction; a retry with the same id
    returns what is already there."""
    writes, answer_fees = fees.frozen("application", app.application_id, app.form)
    stored = store.create(app, also=writes)
    if stored is not app:  # a retry: the first submission's fee
        return 201, _with_fees([stored])[0]
    return 201, {**as_json(app), "fees": answer_fees}


def submit(principal: Principal, body: Any, idempotency_key: str | None = None) -> tuple[int, dict[str, Any]]:
    """Review and store one application → (201, answer). With a key, repeats return the first answer."""
    key = idempotency.check_key(idempotency_key)
    form = review(principal, body)
    _check_citation(principal, form)
    if key is None:
        return _store(_new(principal, form, secrets.token_hex(10)))
    # The id follows from the key AND the body, so even a taken-over claim cannot create a
    # second application, while a key reused after its record expired (24 h) with another
    # body makes a new application instead of silently answering with the old one.
    fp = idempotency.fingerprint(form)
    derived = hashlib.sha256(f"{principal.org_id}|{key}|{fp}".encode()).hexdigest()[:20]
    app = _new(principal, form, derived)
    fee_writes, answer_fees = fees.frozen("application", app.application_id, app.form)
    return idempotency.run_once(
        f"applications#{principal.org_id}",
        key,
        fp,
        lambda: _store(app),
        prepared=idempotency.Prepared(
            answer=(201, {**as_json(app), "fees": answer_fees}),  # the fee is frozen with the answer
            write=lambda record_key, completed: store.create_once(app, record_key, completed, also=fee_writes),
        ),
    )


def get(principal: Principal, application_id: str) -> dict[str, Any]:
    app = store.get(application_id)
    if app is None or app.owner_org != principal.org_id:
        raise NotFound()
    return _with_fees([app])[0]


def list_mine(
    principal: Principal, status: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> dict[str, Any]:
    """The caller's applications, newest first (Query on by_owner, never a Scan)."""
    items, next_cursor = store.list_by_owner(
        principal.org_id, limit, cursor, keep=lambda a: status is None or a.status == status, scope=f"status={status}"
    )
    return {"items": bounces.flag_applications(_with_fees(items)), "next_cursor": next_cursor}
