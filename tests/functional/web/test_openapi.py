"""The OpenAPI document (handlers/openapi.py) lists exactly the app's API routes and their parameters."""

from __future__ import annotations

import app as app_module
from tests.functional.conftest import body


def test_openapi_lists_exactly_the_api_routes(client):
    doc = body(client.http.get("/api/openapi.json"))
    assert doc["openapi"].startswith("3.")
    spec_ops = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    app_ops = {
        (path, method)
        for path, methods in app_module.app.routes.items()
        if path.startswith("/api/")
        for method in methods
    }
    assert spec_ops == app_ops
    login_op = doc["paths"]["/api/session"]["post"]
    assert login_op["requestBody"]["content"]["application/json"]["schema"]["required"] == ["login", "password"]


def test_openapi_declares_the_idempotency_key_header(client):
    doc = body(client.http.get("/api/openapi.json"))
    params = doc["paths"]["/api/applications"]["post"]["parameters"]
    assert {"name": "Idempotency-Key", "in": "header", "required": False}.items() <= params[0].items()
