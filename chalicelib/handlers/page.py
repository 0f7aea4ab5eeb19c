"""HTML pages: the same authorisation as the API, a login redirect instead of a 401,
urlencoded forms, and the CSRF check on every cookie-authenticated post."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote_plus, urlencode

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.domain.principal import Principal
from chalicelib.handlers.endpoint import CSRF_FIELD, SESSION_COOKIE, cookies, current_principal
from chalicelib.handlers.errors import ApiError, as_api_errors
from chalicelib.render import links
from chalicelib.render.templates import render
from chalicelib.services import session_check

FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"
MAX_FORM = 64 * 1024
MAX_UPLOAD = 256 * 1024  # a 200-line CSV is ~10 KB; the bound keeps a page post small
#: What a multipart post carries beside its file (boundaries, part headers, the CSRF field): a page
#: that takes a larger file (`page(max_upload=...)`, /verify/pdf's 4 MB) is bounded to file + this.
MULTIPART_OVERHEAD = 16 * 1024

#: audience → (role, login page, portal title)
AUDIENCES: dict[str, tuple[str, str, str]] = {
    "netdesk": ("contractor", "/netdesk/login", "インターネット保証サービス Net Desk"),
    "dsure": ("orderer", "/dsure/login", "保証確認サービス D-Sure"),
    "staff": ("staff", "/staff/login", "e-Surety 保証会社 事務処理"),
    "admin": ("admin", "/admin/login", "e-Surety 管理者コンソール"),
}


@dataclass
class PageCall:
    request: Any
    params: dict[str, str]
    audience: str | None
    principal: Principal | None = None
    form: dict[str, str] = field(default_factory=dict)
    form_lists: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return session_check.csrf_token(self.principal.session_id) if self.principal else ""

    def render(self, template: str, status: int = 200, no_store: bool = False, **context: Any) -> Response:
        aud = AUDIENCES.get(self.audience or "", (None, None, "e-Surety"))
        body = render(
            template,
            principal=self.principal,
            csrf_token=self.csrf,
            audience=self.audience,
            portal_title=aud[2],
            stage=settings.current().stage,
            **context,
        )
        return html(body, status, no_store=no_store)


def html(body: str, status: int = 200, headers: dict[str, Any] | None = None, no_store: bool = False) -> Response:
    h: dict[str, Any] = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    if no_store:
        h["Cache-Control"] = "no-store"
    return Response(body=body, status_code=status, headers=h)


def redirect(location: str, headers: dict[str, Any] | None = None) -> Response:
    """A 303 to an app path, under the request's base path (render/links.py)."""
    return Response(body="", status_code=303, headers={"Location": links.url(location), **(headers or {})})


def session_cookie(token: str, max_age: int) -> str:
    secure = "" if settings.current().is_local else "; Secure"
    return f"{SESSION_COOKIE}={token}; Path={links.cookie_path()}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"


def clear_cookie(name: str) -> str:
    secure = "" if settings.current().is_local else "; Secure"
    return f"{name}=; Path={links.cookie_path()}; HttpOnly; SameSite=Lax; Max-Age=0{secure}"


def actual_path(request: Any) -> str:
    """The requested path (Chalice's `request.path` is the route template)."""
    path = request.path
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def requested_target(request: Any) -> str:
    """The path *and* query of this request: where login should bring the person back."""
    path = actual_path(request)
    params = request.query_params or {}
    getlist = getattr(params, "getlist", None)
    pairs = [(k, v) for k in params for v in (getlist(k) if getlist else [params[k]])]
    return path + ("?" + urlencode(pairs) if pairs else "")


MAX_FIELDS = 500  # parts or pairs of one form
MAX_PART_HEADERS = 2048  # the header block of one multipart part
_BOUNDARY = re.compile(rb'boundary=(?:"([^"]{1,70})"|([^";\s]{1,70}))', re.I)
_PARAM = re.compile(rb'(?:^|;)\s*([a-z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.I)


def _media_type(request: Any) -> tuple[str, str]:
    header = (request.headers or {}).get("content-type") or ""
    return header, header.split(";")[0].strip().lower()


def check_body(request: Any, max_upload: int = MAX_UPLOAD) -> None:
    """The bounds a form post must meet before anything reads it (issue 26): its size (413; a
    multipart post `max_upload`, the page's own bound, by default MAX_UPLOAD), its
    type (415) and, for multipart, its shape (400: a boundary, at most MAX_FIELDS parts, no part
    that is itself multipart — a browser's form is one level deep). A linear scan, no parsing:
    a session, CSRF or login check may then come before the form is parsed."""
    raw = request.raw_body or b""
    header, ctype = _media_type(request)
    if ctype == MULTIPART_TYPE:
        if len(raw) > max_upload:
            raise ApiError(413)
        _multipart_parts(header, raw)
        return
    if len(raw) > MAX_FORM:
        raise ApiError(413)
    if ctype != FORM_TYPE:
        raise ApiError(415)


def _multipart_parts(header: str, raw: bytes) -> list[tuple[bytes, bytes]]:
    """(header block, body) of each part of a one-level multipart body, or a 400: no boundary, a
    missing close delimiter, more than MAX_FIELDS parts, a header block over MAX_PART_HEADERS, or a
    part whose own type is multipart (depth > 1). One pass over the bytes; nothing recurses."""
    found = _BOUNDARY.search(header.encode("latin-1", "replace"))
    if found is None:
        raise ApiError(400)
    delimiter = b"--" + (found.group(1) or found.group(2))
    chunks = (b"\r\n" + raw).split(b"\r\n" + delimiter)
    if len(chunks) < 2 or len(chunks) > MAX_FIELDS + 2 or not chunks[-1].startswith(b"--"):
        raise ApiError(400)
    parts = []
    for chunk in chunks[1:-1]:
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep or len(head) > MAX_PART_HEADERS:
            raise ApiError(400)
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-type" and value.strip().lower().startswith(b"multipart/"):
                raise ApiError(400)
        parts.append((head, content))
    return parts


def parse_form(request: Any) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    """(fields, uploaded files) of a urlencoded or multipart/form-data post that `check_body` passed.

    A file part (one with a filename) lands in `files` as bytes, undecoded: its encoding is the
    reader's business (a CSV may be CP932). `@page` calls `check_body` before anything else reads
    the body, so it is not checked again here.
    """
    raw = request.raw_body or b""
    header, ctype = _media_type(request)
    if ctype == MULTIPART_TYPE:
        return _parse_multipart(header, raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400) from None
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS), {}
    except ValueError:
        raise ApiError(400) from None


def form_field(request: Any, name: str) -> str | None:
    """One plain field of a post that `check_body` passed (its last value, like the form), read
    without parsing the form: a bounded linear scan — for urlencoded, the `name=` pairs between
    `&`s; for multipart, the Content-Disposition of each part (header blocks ≤ MAX_PART_HEADERS,
    at most MAX_FIELDS parts). So a page checks its CSRF token before the form parser runs."""
    raw = request.raw_body or b""
    header, ctype = _media_type(request)
    found: bytes | None = None
    if ctype == MULTIPART_TYPE:
        for head, content in _multipart_parts(header, raw):
            params = _disposition(head)
            if params.get("name") == name and "filename" not in params:
                found = content
        return _text(found)
    key = name.encode("ascii")
    for pair in re.finditer(rb"(?:^|&)" + re.escape(key) + rb"=([^&]*)", raw):
        found = pair.group(1)
    return None if found is None else unquote_plus(_text(found) or "")


def _text(value: bytes | None) -> str | None:
    try:
        return None if value is None else value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _disposition(head: bytes) -> dict[str, str]:
    """The parameters of a part's Content-Disposition (name, filename), lower-cased names."""
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-disposition":
            params: dict[str, str] = {}
            for m in _PARAM.finditer(b";" + value.split(b";", 1)[-1] if b";" in value else b""):
                raw_value = m.group(2) if m.group(2) is not None else m.group(3) or b""
                try:
                    params[m.group(1).decode("ascii").lower()] = raw_value.replace(b'\\"', b'"').decode("utf-8")
                except UnicodeDecodeError:
                    raise ApiError(400) from None
            return params
    return {}


def _parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    fields: dict[str, list[str]] = {}
    files: dict[str, bytes] = {}
    for head, payload in _multipart_parts(content_type, raw):
        params = _disposition(head)
        name = params.get("name")
        if not name:
            continue
        if "filename" in params:
            files[name] = payload
            continue
        try:
            fields.setdefault(name, []).append(payload.decode("utf-8"))
        except UnicodeDecodeError:
            raise ApiError(400) from None
    return fields, files


def _read_form(call: PageCall) -> None:
    call.form_lists, call.files = parse_form(call.request)
    call.form = {k: v[-1] for k, v in call.form_lists.items()}


def _csrf_refusal(
    call: PageCall, public: bool, anonymous: tuple[str, Callable[[PageCall], Response]] | None
) -> Response | None:
    """None when the post's CSRF token is good (or none is needed: a bearer token, a public page
    without a form token); else the answer. The token comes from `form_field`, not the form."""
    principal = call.principal
    if anonymous is not None:
        cookie, answer = anonymous
        nonce = cookies(call.request).get(cookie, "")
        if nonce and session_check.csrf_valid_anonymous(nonce, form_field(call.request, CSRF_FIELD)):
            return None
        return answer(call)
    if not public and principal is not None and principal.via_cookie:
        if not session_check.csrf_valid(principal.session_id, form_field(call.request, CSRF_FIELD)):
            raise ApiError(403)
    return None


def page(
    bp: Blueprint,
    path: str,
    methods: tuple[str, ...] = ("GET",),
    *,
    audience: str | None,
    public: bool = False,
    on_expired_post: Callable[[PageCall], Response] | None = None,
    anonymous_csrf: tuple[str, Callable[[PageCall], Response]] | None = None,
    max_upload: int = MAX_UPLOAD,
) -> Callable[[Callable[[PageCall], Response]], Callable[..., Any]]:
    """Declare a page. Non-public pages need the audience's role; posts need CSRF.

    Every post is bounded first (`check_body`; multipart by `max_upload`); then who is asking and
    the CSRF token (`form_field`'s bounded scan) are checked *before* the form is parsed. A public form
    (login, reset, set-up) names its nonce cookie and the answer to a bad token in
    `anonymous_csrf`: (cookie name, answer); the answer gets an unparsed, empty form.

    `on_expired_post` answers a form post that arrives without a live session (it expired while the
    person was typing) instead of the bare login redirect, so the page can keep what was typed.

    What the handler raises is answered as `@api` answers it (`errors.as_api_errors`): a NotFound
    is the 404 error page, TooManyAttempts a 429 with Retry-After. A handler catches only the
    narrower error it shows again beside its own form.
    """

    def decorate(fn: Callable[[PageCall], Response]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**params: str) -> Any:
            request = bp.current_request
            call = PageCall(request=request, params=params, audience=audience)
            call.principal = current_principal(request)
            posted = request.method == "POST"
            if posted:
                check_body(request, max_upload)  # size, type and depth first: nothing below reads an unbounded body
            if not public:
                # Who is asking comes before the form is parsed (issue 26).
                role, login_path, _ = AUDIENCES[audience or ""]
                if call.principal is None:
                    if posted and on_expired_post is not None:
                        _read_form(call)
                        return on_expired_post(call)
                    target = requested_target(request) if request.method == "GET" else ""
                    suffix = f"?next={quote(target)}" if target else ""
                    return redirect(login_path + suffix)
                if call.principal.role != role:
                    raise ApiError(403)
            if posted:
                refused = _csrf_refusal(call, public, anonymous_csrf)  # before the form parser runs
                if refused is not None:
                    return refused
                _read_form(call)
            with as_api_errors():
                return fn(call)

        route_types = [FORM_TYPE, MULTIPART_TYPE, "application/json"] if "POST" in methods else ["application/json"]
        bp.route(path, methods=list(methods), content_types=route_types)(view)
        return fn

    return decorate
