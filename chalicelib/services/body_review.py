"""A submitted body reviewed once: its JSON Schema and its rules side by side, every bad field listed.

An application and a 契約保証予約 are reviewed the same way (API.md: every bad field of a body at once,
a missing field hiding no other); only the schema, the rules and the wording differ. The rules get
the outside facts they need here — the orderer, today, the certificate font's characters and the
caller's organisation's registered addresses — and stay pure (domain/).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain import clock, validation
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.render.charset import font_charset
from chalicelib.services.accounts import registered_emails
from chalicelib.services.orderers import get_orderer

Rules = Callable[..., tuple[dict[str, Any], list[FieldError]]]


def reviewed(
    principal: Principal | None,
    body: Any,
    *,
    schema: dict[str, Any],
    rules: Rules,
    not_an_object: str,
    explain: Callable[[Any, list[FieldError]], list[FieldError]] = lambda _body, errors: errors,
) -> dict[str, Any]:
    """The normalised form, or ValidationFailed with the schema's errors, then the rules' on other fields."""
    errors = {e.field: e for e in validation.validate(body, schema)}
    if not isinstance(body, dict):
        raise ValidationFailed(list(errors.values()) or [FieldError("", not_an_object)])
    project = body.get("project") if isinstance(body.get("project"), dict) else {}
    try:
        form, rule_errors = rules(
            body,
            orderer=get_orderer(project.get("orderer_id")),
            today=clock.today(),
            now=clock.now(),
            charset=font_charset(),
            registered_emails=registered_emails(principal, body),
        )
    except (TypeError, ValueError, AttributeError, KeyError):
        # A value of the wrong JSON type (an object where a string belongs) may stop the rules,
        # which run beside the schema; the schema has said so: answer that.
        if not errors:
            raise
        rule_errors, form = [], {}
    for e in rule_errors:
        if not any(e.field == f or e.field.startswith(f + ".") or f.startswith(e.field + ".") for f in errors):
            errors[e.field] = e
    if errors:
        raise ValidationFailed(explain(body, list(errors.values())))
    return form
