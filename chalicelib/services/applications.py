"""保証申込: review, submit, list and read a contractor's applications.

One validation path for the JSON API and the three-step form: `review()` runs
the body's JSON Schema and every rule of `domain.application`, returning the
normalised form or raising ValidationFailed with all errors at once. `submit()`
reviews again and stores nothing unless the whole body is valid.

Everything is scoped to the caller's organisation: another organisation's
application is NotFound, with the same body as a missing one.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.domain import clock, input_errors
from chalicelib.domain.application import APPLICATION_SCHEMA, OrdererTerms, review_application
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.services import idempotency
from chalicelib.services.orderers import get_orderer
from chalicelib.store import paging
from chalicelib.store.models import ApplicationModel

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


def review(body: Any) -> dict[str, Any]:
    """The normalised form, or ValidationFailed listing every bad field (schema first, then rules)."""
    from chalicelib.handlers.schema import validate as schema_errors
    from chalicelib.render.charset import font_charset

    errors = {e.field: e for e in schema_errors(body, APPLICATION_SCHEMA)}
    if not isinstance(body, dict):
        raise ValidationFailed(list(errors.values()) or [FieldError("", "申込内容はオブジェクトで送信してください。")])
    project = body.get("project") if isinstance(body.get("project"), dict) else {}
    form, rule_errors = review_application(
        body,
        orderer=_terms(project.get("orderer_id")),
        today=clock.today(),
        now=clock.now(),
        charset=font_charset(),
    )
    for e in rule_errors:
        if not any(e.field == f or e.field.startswith(f + ".") or f.startswith(e.field + ".") for f in errors):
            errors[e.field] = e
    if errors:
        raise ValidationFailed(input_errors.explain(body, list(errors.values())))
    return form


def as_json(app: ApplicationModel) -> dict[str, Any]:
    """API.md's application: id, status, submitted_at and the form's sections at the top level."""
    form = app.form or {}
    out: dict[str, Any] = {"id": app.application_id, "status": app.status, "submitted_at": app.submitted_at}
    out.update({name: form.get(name) for name in SECTIONS})
    out["reject_reason"] = app.reject_reason
    out["decided_at"] = app.decided_at
    return out


def _store(principal: Principal, form: dict[str, Any], application_id: str) -> tuple[int, dict[str, Any]]:
    """Write the application; a retry with the same id returns what is already there."""
    app = ApplicationModel(
        application_id,
        owner_org=principal.org_id,
        owner_login=principal.login,
        status="submitted",
        submitted_at=clock.iso_now(),
        form=form,
    )
    try:
        app.save(condition=ApplicationModel.application_id.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        app = ApplicationModel.get(application_id, consistent_read=True)
    return 201, as_json(app)


def submit(principal: Principal, body: Any, idempotency_key: str | None = None) -> tuple[int, dict[str, Any]]:
    """Review and store one application → (201, answer). With a key, repeats return the first answer."""
    key = idempotency.check_key(idempotency_key)
    form = review(body)
    if key is None:
        return _store(principal, form, secrets.token_hex(10))
    # The id follows from the key, so even a taken-over claim cannot create a second application.
    derived = hashlib.sha256(f"{principal.org_id}|{key}".encode()).hexdigest()[:20]
    return idempotency.run_once(
        f"applications#{principal.org_id}",
        key,
        idempotency.fingerprint(form),
        lambda: _store(principal, form, derived),
    )


def get(principal: Principal, application_id: str) -> dict[str, Any]:
    if not application_id or len(application_id) > 64:
        raise NotFound()
    try:
        app = ApplicationModel.get(application_id)
    except DoesNotExist:
        raise NotFound() from None
    if app.owner_org != principal.org_id:
        raise NotFound()
    return as_json(app)


def list_mine(
    principal: Principal, status: str | None = None, limit: int = paging.DEFAULT_LIMIT, cursor: str | None = None
) -> dict[str, Any]:
    """The caller's applications, newest first (Query on by_owner, never a Scan)."""

    def run_query(start: dict[str, Any] | None, size: int) -> Any:
        return ApplicationModel.by_owner.query(
            principal.org_id, scan_index_forward=False, limit=size, last_evaluated_key=start
        )

    items, next_cursor = paging.page(run_query, limit, cursor, keep=lambda a: status is None or a.status == status)
    return {"items": [as_json(a) for a in items], "next_cursor": next_cursor}
