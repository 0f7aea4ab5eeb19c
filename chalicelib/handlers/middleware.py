"""The one HTTP middleware: the request's base path, the stage check, error bodies,
security headers on HTML, an access log line."""

from __future__ import annotations

import time
from typing import Any

from chalice import Response

from chalicelib import logs, settings
from chalicelib.domain.errors import FieldError
from chalicelib.handlers.errors import MESSAGES, ApiError
from chalicelib.render import links

#: Outside `local` a stage without its sender and public URL refuses to serve (503) rather
#: than mail as another stage or print a wrong URL into an immutable PDF.
NOT_CONFIGURED = FieldError(
    "", "この環境の設定 (送信元メールアドレス・公開URL) が登録されていません。しばらくしてから再度お試しください。"
)

#: Every answer of a deployed stage: browsers use HTTPS only for a year (local serves plain HTTP).
HSTS = "max-age=31536000; includeSubDomains"
HTML_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _header(response: Response, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return value if isinstance(value, str) else ",".join(value)
    return ""


def _home_of(path: str) -> tuple[str, str] | None:
    """The top page of the portal a path belongs to (/staff/... → /staff), with its title, or None."""
    from chalicelib.handlers.page import AUDIENCES

    first = path.strip("/").split("/", 1)[0]
    if first not in AUDIENCES:
        return None
    return f"/{first}", AUDIENCES[first][2]


def _error_page(exc: ApiError, path: str = "") -> Response:
    from chalicelib.handlers.page import AUDIENCES
    from chalicelib.render.templates import render

    body = render(
        "html/error.html",
        home=_home_of(path),
        portals=[(f"/{aud}", title) for aud, (_role, _login, title) in AUDIENCES.items()],
        status=exc.status,
        title=MESSAGES.get(exc.status, "エラー"),
        errors=exc.errors,
        principal=None,
        csrf_token="",
        audience=None,
        portal_title="e-Surety",
        stage="",
    )
    headers = {"Content-Type": "text/html; charset=utf-8", **exc.headers}
    return Response(body=body, status_code=exc.status, headers=headers)


def error_answer(path: str, error: ApiError) -> Response:
    """An error as API.md answers it: the JSON error body under /api, the HTML error page elsewhere."""
    return error.response() if path.startswith("/api") else _error_page(error, path)


def not_found(path: str) -> Response:
    """An unknown path (the local gateway asks: Chalice has no catch-all route; behind API Gateway the
    template's GatewayResponses answer): 404 in our shape, never the caller's headers."""
    return _finish(error_answer(path.split("?")[0], ApiError(404)))


def _finish(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not settings.current().is_local:  # deployed stages answer on HTTPS only (issue 26)
        response.headers["Strict-Transport-Security"] = HSTS
    if _header(response, "content-type").startswith("text/html"):
        response.headers.update(HTML_SECURITY_HEADERS)
    return response


def _chalice_own(event: Any, response: Response) -> Response:
    """Chalice answers a wrong method (405) and a content type the route does not take (415) before any
    handler runs, as `{"Code", "Message"}`: answer them in our shape, keeping `Allow`."""
    body = response.body
    if response.status_code not in (405, 415) or not (isinstance(body, dict) and "Code" in body):
        return response
    allow = _header(response, "allow")
    return error_answer(event.path, ApiError(response.status_code, headers={"Allow": allow} if allow else None))


def http_middleware(event: Any, get_response: Any) -> Response:
    token = links.bind(links.base_path(event.context, event.path))
    # Every line of this request (Chalice's own unhandled-exception line too) carries API Gateway's
    # request id, which its access log also records, and Lambda's.
    ids = logs.bind(
        request_id=(event.context or {}).get("requestId"),
        aws_request_id=getattr(event.lambda_context, "aws_request_id", None),
    )
    try:
        response = _answer(event, get_response)
    finally:
        logs.reset(ids)
        links.reset(token)
    return response


def _answer(event: Any, get_response: Any) -> Response:
    started = time.perf_counter()
    try:
        settings.require_configured()
        response = _chalice_own(event, get_response(event))
    except settings.NotConfigured as exc:
        logs.error("stage_not_configured", missing=",".join(exc.names))
        error = ApiError(503, [NOT_CONFIGURED], {"Retry-After": "60"})
        response = error_answer(event.path, error)
    except ApiError as exc:
        response = error_answer(event.path, exc)
    _finish(response)
    logs.info(
        "http",
        method=event.method,
        route=event.path,
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return response
