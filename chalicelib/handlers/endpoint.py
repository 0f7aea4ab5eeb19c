"""Route declaration: one definition drives the route, its validation and its OpenAPI entry.

`api()` registers a JSON route on a blueprint and records an `Endpoint`; the
OpenAPI document (`openapi.py`) is built from those records only, so the
contract published at /api/openapi.json cannot drift from what runs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain import strict, validation
from chalicelib.domain.errors import FieldError
from chalicelib.domain.principal import Principal
from chalicelib.handlers import query as query_mod
from chalicelib.handlers.errors import ApiError, as_api_errors
from chalicelib.services import session_check  # every signed-in request makes it: imported with `app`

SESSION_COOKIE = "esurety_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DEFAULT_MAX_BODY = 64 * 1024


@dataclass
class Endpoint:
    """What the OpenAPI document says of one route (and what the route enforces)."""

    path: str
    method: str
    summary: str
    roles: tuple[str, ...] | None
    body: dict[str, Any] | None = None
    body_content_type: str = "application/json"
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[int, tuple[str, dict[str, Any] | None]] = field(default_factory=dict)
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    validate_body: bool = True
    #: For a raw-body route: what it takes, by content type (the document's request body).
    request_bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    body_required: bool = True


REGISTRY: list[Endpoint] = []


@dataclass
class Call:
    """Everything a handler gets: the request, who is calling, the parsed input."""

    request: Any
    params: dict[str, str]
    principal: Principal | None = None
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return (self.request.headers or {}).get(name.lower())


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return Response(
        body=text,
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def created(body: Any, location: str, headers: dict[str, str] | None = None) -> Response:
    """A 201 with `Location`: the path (under the request's base path) that reads what was created."""
    from urllib.parse import quote

    from chalicelib.render import links

    return json_response(body, 201, {"Location": links.url(quote(location)), **(headers or {})})


def cookies(request: Any) -> dict[str, str]:
    raw = (request.headers or {}).get("cookie")
    if not raw:
        return {}
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed Cookie header is just no cookie
        return {}
    return {k: v.value for k, v in jar.items()}


def current_principal(request: Any) -> Principal | None:
    """Bearer token first (API clients), then the session cookie (browsers)."""
    header = (request.headers or {}).get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        principal = session_check.authenticate(token.strip())
        if principal is None:
            principal = _machine_client(request, token.strip())
        return principal
    token = cookies(request).get(SESSION_COOKIE)
    if token:
        return session_check.authenticate(token, via_cookie=True)
    return None


def source_address(request: Any) -> str | None:
    """The caller's address as API Gateway saw the connection (`requestContext.identity.sourceIp`).

    Not X-Forwarded-For's first entry: a client writes that itself. Only when the
    context has no address (a proxy in front) is the LAST entry used, the one
    the nearest proxy appended."""
    identity = (getattr(request, "context", None) or {}).get("identity") or {}
    ip = identity.get("sourceIp")
    if ip:
        return str(ip)[:64]
    forwarded = (request.headers or {}).get("x-forwarded-for") or ""
    last = forwarded.split(",")[-1].strip()
    return last[:64] or None


def _machine_client(request: Any, token: str) -> Principal | None:
    """A machine client's token (issue 13): it acts as its orderer on D-Sure's API routes only;
    anywhere else it is a 403 (Chalice's `request.path` is the route template)."""
    from chalicelib.services import clients

    principal = clients.authenticate(token, source_address(request))
    if principal is not None and request.path not in clients.CLIENT_PATHS:
        raise ApiError(403)
    return principal


def require_role(request: Any, roles: tuple[str, ...], csrf_value: str | None = None) -> Principal:
    """The one way to demand a role: 401 without credentials, 403 for the wrong role,
    403 for an unsafe cookie-authenticated call without its CSRF token."""
    principal = current_principal(request)
    if principal is None:
        raise ApiError(401)
    if roles and principal.role not in roles:
        raise ApiError(403)
    if principal.via_cookie and request.method not in SAFE_METHODS:
        candidate = csrf_value or (request.headers or {}).get(CSRF_HEADER)
        if not session_check.csrf_valid(principal.session_id, candidate):
            raise ApiError(403, [FieldError(CSRF_FIELD, "画面を開き直してから、もう一度操作してください。")])
    return principal


#: Deeper than any body this API takes; a deeper one is refused before json.loads recurses.
MAX_JSON_DEPTH = 32
#: Longer integers than any amount (10**13) are refused before int() sees them.
MAX_INT_DIGITS = 20


def json_depth(raw: bytes) -> int:
    """The deepest nesting of [ and { in a JSON text, strings skipped (one pass, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


class _BadNumber(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _BadNumber(text[:0])
    return int(text)


def _no_constant(_name: str) -> Any:
    raise _BadNumber("")  # NaN, Infinity: not JSON numbers this API takes


BAD_JSON = FieldError("", "JSON の形式が正しくありません。")


def parse_json(raw: bytes) -> Any:
    """JSON text → value, refusing what would crash or could not be stored: too deep, an
    integer longer than any amount, NaN/Infinity, invalid UTF-8, or a lone surrogate (named by
    its field, never echoed)."""
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ApiError(400, [FieldError("", "JSON の入れ子が深すぎます。")])
    try:
        data = json.loads(raw.decode("utf-8"), parse_int=_bounded_int, parse_constant=_no_constant)
    except _BadNumber:
        raise ApiError(400, [FieldError("", "数値が大きすぎるか、使用できない値です。")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        raise ApiError(400, [BAD_JSON]) from None
    bad = strict.first_unstorable(data)
    if bad is not None:
        raise ApiError(400, [FieldError(bad, "使用できない文字 (不正な Unicode) が含まれています。")])
    return data


def content_type(request: Any) -> str:
    """The request's media type, lower case, without parameters ("" when none)."""
    return ((request.headers or {}).get("content-type") or "").split(";")[0].strip().lower()


def parse_json_body(request: Any, body_schema: dict[str, Any] | None, max_body: int) -> Any:
    """The JSON body, checked against `body_schema` (None: the service checks it, schema and rules
    together, so every bad field is listed at once)."""
    raw = request.raw_body or b""
    if len(raw) > max_body:
        raise ApiError(413)
    if content_type(request) != "application/json":
        raise ApiError(415)
    data = parse_json(raw)
    errors = validation.validate(data, body_schema) if body_schema is not None else []
    if errors:
        raise ApiError(400, errors)
    return data


def _read_call(request: Any, params: dict[str, str], spec: Endpoint, max_body: int, raw_body: bool) -> Call:
    """What a handler gets, checked in the order API.md answers: who calls (401/403), then the
    body (413/415/400) — JSON against the route's schema, or the raw bytes — then the query (400)."""
    call = Call(request=request, params=params)
    if spec.roles is not None:
        call.principal = require_role(request, spec.roles)
    if spec.body is not None:
        call.body = parse_json_body(request, spec.body if spec.validate_body else None, max_body)
    elif raw_body:
        raw = request.raw_body or b""
        if len(raw) > max_body:
            raise ApiError(413)
        call.body = raw
    if spec.query:
        call.query = query_mod.parse_query(request.query_params or {}, spec.query)
    return call


def api(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    roles: tuple[str, ...] | None,
    body: dict[str, Any] | None = None,
    query: dict[str, dict[str, Any]] | None = None,
    headers: dict[str, dict[str, Any]] | None = None,
    responses: dict[int, tuple[str, dict[str, Any] | None]] | None = None,
    content_types: tuple[str, ...] = ("application/json",),
    max_body: int = DEFAULT_MAX_BODY,
    raw_body: bool = False,
    validate_body: bool = True,
    request_bodies: dict[str, dict[str, Any]] | None = None,
    body_required: bool = True,
) -> Callable[[Callable[[Call], Any]], Callable[..., Any]]:
    """Declare a JSON route. `roles=None` is public; `()` is any logged-in user. `validate_body=False`:
    the body is documented by `body` but its service checks it with its rules (every bad field at once).
    A `raw_body` route documents what it takes in `request_bodies` (content type → schema)."""

    spec = Endpoint(
        path=path,
        method=method.upper(),
        summary=summary,
        roles=roles,
        body=body,
        body_content_type=content_types[0],
        query=query or {},
        headers=headers or {},
        responses=responses or {200: ("OK", None)},
        validate_body=validate_body,
        request_bodies=request_bodies or {},
        body_required=body_required,
    )
    REGISTRY.append(spec)

    def decorate(fn: Callable[[Call], Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**params: str) -> Any:
            with as_api_errors():
                result = fn(_read_call(bp.current_request, params, spec, max_body, raw_body))
            if isinstance(result, Response):
                return result
            return json_response(result)

        bp.route(path, methods=[spec.method], content_types=list(content_types))(view)
        return fn

    return decorate
