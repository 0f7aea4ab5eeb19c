"""保証申込: review, submit, list and read a contractor's applications.

One validation path for the JSON API and the three-step form: `review()` runs
the body's JSON Schema and every rule of `domain.application`, returning the
normalised form or raising ValidationFailed with all errors at once. `submit()`
reviews and stores nothing unless the whole body is valid.

The schema runs exactly once per request. The JSON route declares
`APPLICATION_SCHEMA` as its body, so the endpoint has checked it (a 400 listing
the schema errors before any rule runs) and passes `schema_checked=True`; the
form's body, built from posted fields, is checked here, with schema and rule
errors shown together beside their inputs.

Everything is scoped to the caller's organisation: another organisation's
application is NotFound, with the same body as a missing one.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from chalicelib.domain import clock, input_errors, validation
from chalicelib.domain.application import APPLICATION_SCHEMA, OrdererTerms, review_application
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed
from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Application
from chalicelib.services import bounces, idempotency
from chalicelib.services.orderers import get_orderer
from chalicelib.store import accounts
from chalicelib.store import applications as store

STATUSES = ("submitted", "issued", "rejected")
SECTIONS = ("project", "advance_payment", "contract_guarantee", "bid", "delivery")


def _terms(orderer_id: Any) -> OrdererTerms | None:
    if not isinstance(orderer_id, str):
        return None
    record = get_orderer(orderer_id)
    if record is None:
        return None
    return OrdererTerms(
        orderer_id=record.orderer_id,
        name=record.name,
        e_surety=bool(record.e_surety),
        advance_rate_construction=int(record.advance_rate_construction),
        advance_rate_design_survey=int(record.advance_rate_design_survey),
        intermediate_rate=int(record.intermediate_rate),
        total_advance_rate=int(record.total_advance_rate),
    )


def _registered_emails(principal: Principal, body: dict) -> frozenset[str] | None:
    """The addresses the notices may go to: the caller's own (from the session) when the body names
    it, else the organisation's active users' (one Query, only when the body names an address)."""
    delivery = body.get("delivery")
    email = delivery.get("email") if isinstance(delivery, dict) else None
    if not (isinstance(email, str) and email.strip()):
        return None
    own = (principal.email or "").lower()
    if own and email.strip().lower() == own:
        return frozenset({own})
    return accounts.emails_of_org(principal.org_id)


def review(principal: Principal, body: Any, *, schema_checked: bool = False) -> dict[str, Any]:
    """The normalised form, or ValidationFailed listing every bad field (schema first, then rules).

    `schema_checked=True` when the caller has already validated `body` against
    `APPLICATION_SCHEMA` and found nothing (the JSON route): only the rules run.
    The mail address must be one of the caller's organisation's users' (issue 15).
    """
    from chalicelib.render.charset import font_charset

    errors = {} if schema_checked else {e.field: e for e in validation.validate(body, APPLICATION_SCHEMA)}
    if not isinstance(body, dict):
        raise ValidationFailed(list(errors.values()) or [FieldError("", "申込内容はオブジェクトで送信してください。")])
    project = body.get("project") if isinstance(body.get("project"), dict) else {}
    form, rule_errors = review_application(
        body,
        orderer=_terms(project.get("orderer_id")),
        today=clock.today(),
        now=clock.now(),
        charset=font_charset(),
        registered_emails=_registered_emails(principal, body),
    )
    for e in rule_errors:
        if not any(e.field == f or e.field.startswith(f + ".") or f.startswith(e.field + ".") for f in errors):
            errors[e.field] = e
    if errors:
        raise ValidationFailed(input_errors.explain(body, list(errors.values())))
    return form


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


def _store(app: Application) -> tuple[int, dict[str, Any]]:
    """Write the application; a retry with the same id returns what is already there."""
    return 201, as_json(store.create(app))


def submit(
    principal: Principal, body: Any, idempotency_key: str | None = None, *, schema_checked: bool = False
) -> tuple[int, dict[str, Any]]:
    """Review and store one application → (201, answer). With a key, repeats return the first answer.

    `schema_checked` as for `review()`."""
    key = idempotency.check_key(idempotency_key)
    form = review(principal, body, schema_checked=schema_checked)
    if key is None:
        return _store(_new(principal, form, secrets.token_hex(10)))
    # The id follows from the key AND the body, so even a taken-over claim cannot create a
    # second application, while a key reused after its record expired (24 h) with another
    # body makes a new application instead of silently answering with the old one.
    fp = idempotency.fingerprint(form)
    derived = hashlib.sha256(f"{principal.org_id}|{key}|{fp}".encode()).hexdigest()[:20]
    app = _new(principal, form, derived)
    return idempotency.run_once(
        f"applications#{principal.org_id}",
        key,
        fp,
        lambda: _store(app),
        prepared=idempotency.Prepared(
            answer=(201, as_json(app)),
            write=lambda record_key, completed: store.create_once(app, record_key, completed),
        ),
    )


def get(principal: Principal, application_id: str) -> dict[str, Any]:
    app = store.get(application_id)
    if app is None or app.owner_org != principal.org_id:
        raise NotFound()
    return as_json(app)


def list_mine(
    principal: Principal, status: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> dict[str, Any]:
    """The caller's applications, newest first (Query on by_owner, never a Scan)."""
    items, next_cursor = store.list_by_owner(
        principal.org_id, limit, cursor, keep=lambda a: status is None or a.status == status, scope=f"status={status}"
    )
    return {"items": bounces.flag_applications([as_json(a) for a in items]), "next_cursor": next_cursor}
