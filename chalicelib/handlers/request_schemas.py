"""Every JSON Schema a request body is validated with: the endpoint declarations' and the ones
services check bodies against. The build generates a fast validator for each
(devstack/schema_code.py) and the warm-up loads them (services/warmup.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.application import APPLICATION_SCHEMA
from chalicelib.domain.reservation import RESERVATION_SCHEMA
from chalicelib.handlers import dsure
from chalicelib.handlers.endpoint import REGISTRY


def all_schemas() -> list[dict[str, Any]]:
    """Distinct by identity; call after every blueprint is imported (app.py)."""
    found = [spec.body for spec in REGISTRY if spec.body is not None and spec.validate_body]
    found += [dsure.BULK_JSON, APPLICATION_SCHEMA, RESERVATION_SCHEMA]
    return list({id(s): s for s in found}.values())
