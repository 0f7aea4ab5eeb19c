"""Every answer the functional suite receives, checked against the app's own OpenAPI document.

`watch(client)` wraps a `chalice.test.Client`'s HTTP calls: each answer to an `/api/` path must be
a status its operation declares, carry the headers API.md promises (`Location` on 201,
`WWW-Authenticate` on 401, `Retry-After` on 429/503, `Allow` on 405), and a JSON body that its
schema accepts — with every object that declares `properties` read as closed, so a field or an
enum value the document does not name fails the test that received it.

The document is read once per process (`GET /api/openapi.json`) and each (operation, status)
schema compiled once.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import Any

from jsonschema import Draft202012Validator

_DOC: dict[str, Any] = {}
#: Operations the suite's answers were checked against: (METHOD, path template).
SEEN: set[tuple[str, str]] = set()

_HEADERS_BY_STATUS = {201: "location", 401: "www-authenticate", 405: "allow", 429: "retry-after", 503: "retry-after"}


class Nonconforming(AssertionError):
    pass


def closed(schema: Any) -> Any:
    """`schema` with every object that lists its `properties` closed to others (unless it says)."""
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (v if k in ("enum", "const", "required", "example") else closed(v)) for k, v in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {name: closed(s) for name, s in schema["properties"].items()}
    return out


def load(document: dict[str, Any]) -> None:
    """Use `document` (the served one) from now on."""
    _DOC.clear()
    _DOC.update(document)
    _routes.cache_clear()
    _validator.cache_clear()


def loaded() -> bool:
    return bool(_DOC)


@lru_cache(maxsize=1)
def _routes() -> list[tuple[re.Pattern[str], str]]:
    found = []
    for template in _DOC["paths"]:
        pattern = re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template))
        found.append((re.compile(f"^{pattern}$"), template))
    # literal segments before parameters: /api/verify/bulk before /api/verify/{x}
    return sorted(found, key=lambda r: r[1].count("{"))


def operation_of(method: str, path: str) -> tuple[str, dict[str, Any] | None]:
    """(path template, operation) of a request path; ("", None) for a path the document lacks."""
    bare = path.split("?")[0]
    for pattern, template in _routes():
        if pattern.match(bare):
            return template, _DOC["paths"][template].get(method.lower())
    return "", None


@cache
def _validator(template: str, method: str, status: str) -> Draft202012Validator | None:
    if not template:  # an unknown path: the error body
        schema: Any = {"$ref": "#/components/schemas/Errors"}
    else:
        answer = _DOC["paths"][template][method.lower()]["responses"][status]
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    root = {"allOf": [closed(schema)], "components": {"schemas": closed(_DOC["components"]["schemas"])}}
    return Draft202012Validator(root)


def check(method: str, path: str, status: int, headers: dict[str, Any], body: bytes) -> None:
    """Raise Nonconforming unless this answer is one the document describes."""
    if not path.startswith("/api/") or not _DOC:
        return
    template, op = operation_of(method, path)
    where = f"{method} {path} → {status}"
    if template and op is None:
        if status != 405:
            raise Nonconforming(f"{where}: the document has no {method} here, so the answer must be 405")
        template = ""
    elif op is not None:
        SEEN.add((method.upper(), template))
        if str(status) not in op["responses"]:
            raise Nonconforming(f"{where}: status not declared (declared: {sorted(op['responses'])})")
    elif status != 404:
        raise Nonconforming(f"{where}: an unknown path must answer 404")
    lower = {k.lower(): v for k, v in headers.items()}
    needed = _HEADERS_BY_STATUS.get(status)
    if needed and not lower.get(needed):
        raise Nonconforming(f"{where}: no {needed} header")
    if not lower.get("content-type", "").startswith("application/json") or not body:
        return
    validator = _validator(template, method, str(status))
    if validator is None:
        raise Nonconforming(f"{where}: a JSON body, but the document declares none for this status")
    data = json.loads(body)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"  {'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]
        raise Nonconforming(f"{where}: the body does not match the document\n" + "\n".join(lines))


def watch(client: Any) -> None:
    """Check every answer `client.http` receives (the first call reads the document)."""
    http = client.http
    original = http.request

    def request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Any:
        if not _DOC:
            load(json.loads(original("GET", "/api/openapi.json", {}, b"").body))
        response = original(method, path, headers=headers, body=body)
        check(method, path, response.status_code, response.headers, response.body)
        return response

    http.request = request
