"""Where a link points: every href, form action, redirect and cookie path goes through here.

A deployed stage answers on two doors. On the execute-api URL every path
carries API Gateway's stage segment (`/api/netdesk/...`), but the Lambda event's
`path` and Chalice's routes do not; behind a custom domain with a base-path
mapping there is no segment (or the mapping's own base path); `chalice local`
has none. The one fact that tells them apart is in the event:
`requestContext.path` is the path the browser asked for, so what precedes the
route's own segments is the base path every link must start with.

The middleware binds the base path of the request being served (`bind`), and
pages, templates (the Jinja global `url`) and redirects call `url()`. Mail and
the QR codes printed in PDFs have no request: they use the stage's
PUBLIC_BASE_URL (`settings.Settings.url`).
"""

from __future__ import annotations

import contextvars
from typing import Any

_BASE: contextvars.ContextVar[str] = contextvars.ContextVar("base_path", default="")


def base_path(context: dict[str, Any] | None, resource_path: str | None) -> str:
    """The prefix of `requestContext.path` before the route's segments ("" when none).

    Counted in segments, not compared as text: a path parameter may be
    percent-encoded differently in the two, but never contains a `/`
    (API Gateway's `{param}` matches one segment).
    """
    asked = (context or {}).get("path") or ""
    route = [p for p in (resource_path or "").split("/") if p]
    segments = [p for p in asked.split("/") if p]
    extra = len(segments) - len(route)
    if extra <= 0:
        return ""
    return "/" + "/".join(segments[:extra])


def bind(prefix: str) -> contextvars.Token[str]:
    """Set the base path for the request being served; `reset` with the token after it."""
    return _BASE.set(prefix)


def reset(token: contextvars.Token[str]) -> None:
    _BASE.reset(token)


def current_base() -> str:
    return _BASE.get()


def url(path: str) -> str:
    """An app path (`/netdesk/guarantees?tab=x`) as the browser must ask for it.

    Absolute URLs (a presigned S3 URL) and fragments pass unchanged.
    """
    if not path.startswith("/") or path.startswith("//"):
        return path
    return _BASE.get() + path


def cookie_path() -> str:
    """Cookies are scoped to this app's base path, so another stage's app never sees them."""
    return _BASE.get() or "/"
