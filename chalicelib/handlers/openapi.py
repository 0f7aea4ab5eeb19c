"""The OpenAPI 3 document, built only from the route declarations in `endpoint.REGISTRY`."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.handlers.endpoint import REGISTRY, Endpoint
from chalicelib.services.clients import CLIENT_PATHS

ERROR_BODY = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        }
    },
}


def _operation(ep: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": ep.summary,
        "tags": [ep.tag],
        "operationId": f"{ep.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', ep.path.lower()).strip('_')}",
    }
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", ep.path)
    ]
    for name, rule in ep.query.items():
        params.append({"name": name, "in": "query", "required": False, "schema": rule})
    for name, rule in ep.headers.items():
        params.append({"name": name, "in": "header", "required": False, "schema": rule})
    if params:
        op["parameters"] = params
    if ep.body is not None:
        op["requestBody"] = {"required": True, "content": {ep.body_content_type: {"schema": ep.body}}}
    responses: dict[str, Any] = {}
    for status, (description, schema) in sorted(ep.responses.items()):
        entry: dict[str, Any] = {"description": description}
        if schema is not None:
            entry["content"] = {"application/json": {"schema": schema}}
        elif status >= 400:
            entry["content"] = {"application/json": {"schema": ERROR_BODY}}
        responses[str(status)] = entry
    if ep.path == "/api/oauth/token":
        op["security"] = [{"client_basic": []}]
    if ep.roles is not None:
        op["security"] = [{"bearer": []}, {"cookie": []}]
        if ep.path in CLIENT_PATHS:
            op["security"].append({"oauth2": []})
        responses.setdefault("401", {"description": "認証が必要", "content": {"application/json": {"schema": ERROR_BODY}}})
        if ep.roles:
            op["x-roles"] = list(ep.roles)
            responses.setdefault("403", {"description": "権限がない", "content": {"application/json": {"schema": ERROR_BODY}}})
    if ep.body is not None:
        responses.setdefault("400", {"description": "入力誤り", "content": {"application/json": {"schema": ERROR_BODY}}})
    op["responses"] = responses
    return op


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for ep in REGISTRY:
        if ep.path.startswith("/api/"):
            paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {"title": "e-Surety (電子保証) API", "version": "1.0.0"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "esurety_session"},
                # Issue 13: municipal systems' machine clients (RFC 6749 §4.4).
                "oauth2": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/api/oauth/token", "scopes": {}}},
                },
                "client_basic": {"type": "http", "scheme": "basic"},
            }
        },
    }
