"""Log in and out: the JSON session API and the three login pages."""

from __future__ import annotations

import secrets

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.domain.errors import Conflict, TooManyAttempts, Unauthenticated
from chalicelib.handlers.endpoint import SESSION_COOKIE, Call, api, cookies, json_response, source_address
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import (
    AUDIENCES,
    PageCall,
    clear_cookie,
    form_field,
    page,
    redirect,
    session_cookie,
)
from chalicelib.handlers.schemas import ref
from chalicelib.render import links
from chalicelib.services import session_check

auth = lazy("chalicelib.services.auth")

bp = Blueprint(__name__)

LOGIN_NONCE_COOKIE = "esurety_login"

LOGIN_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["login", "password"],
    "properties": {
        "login": {"type": "string", "minLength": 1, "maxLength": 128},
        "password": {"type": "string", "minLength": 1, "maxLength": 256},
    },
}
SESSION_OUT = ref("Session")


@api(
    bp,
    "/api/session",
    "POST",
    summary="ログインしてトークンを得る (Cookie も設定される)",
    roles=None,
    body=LOGIN_BODY,
    responses={200: ("ログイン成功", SESSION_OUT), 401: ("認証失敗", None), 429: ("ロック中", None)},
)
def create_session(call: Call) -> Response:
    result = auth.login(call.body["login"], call.body["password"], source=source_address(call.request))
    if isinstance(result, auth.MfaChallenge):  # staff and admin: POST /api/session/mfa next
        return json_response(
            {"mfa_required": True, "mfa_token": result.mfa_token}, headers={"Cache-Control": "no-store"}
        )
    p = result.principal
    body = {"token": result.token, "role": p.role, "org_id": p.org_id, "name": p.org_name}
    max_age = result.expires_at - _now()
    return json_response(body, headers={"Set-Cookie": session_cookie(result.token, max_age)})


@api(
    bp,
    "/api/session",
    "DELETE",
    summary="ログアウト (トークンを無効にする)",
    roles=(),
    responses={204: ("ログアウト", None)},
)
def delete_session(call: Call) -> Response:
    auth.logout(call.principal)
    return Response(body="", status_code=204, headers={"Set-Cookie": clear_cookie(SESSION_COOKIE)})


def _now() -> int:
    import time

    return int(time.time())


#: `?notice=` on a login page: why the person is (back) here.
NOTICES = {
    "logged_out": "ログアウトしました。",
    "expired": "セッションの有効期限が切れました。もう一度ログインしてください。"
    "入力中の内容は一時保存しています (30分間)。ログイン後、申込確認の画面に戻ります。",
}


def _login_page(call: PageCall, errors: list | None = None, login_id: str = "", status: int = 200) -> Response:
    nonce = cookies(call.request).get(LOGIN_NONCE_COOKIE) or secrets.token_urlsafe(18)
    notice = NOTICES.get((call.request.query_params or {}).get("notice") or "") if not errors else None
    response = call.render(
        "html/login.html",
        status=status,
        no_store=True,
        login_token=session_check.anonymous_csrf_token(nonce),
        errors=errors or [],
        notice=notice,
        login_id=login_id,
        next_path=_safe_next(call),
        action=f"/{call.audience}/login",
    )
    secure = "" if settings.current().is_local else "; Secure"
    response.headers["Set-Cookie"] = (
        f"{LOGIN_NONCE_COOKIE}={nonce}; Path={links.cookie_path()}; HttpOnly; SameSite=Strict; Max-Age=1800{secure}"
    )
    return response


def _safe_next(call: PageCall) -> str:
    """Where to go after login: the requested path and query, or the portal's top."""
    raw = call.form.get("next") or (call.request.query_params or {}).get("next") or ""
    return same_site_target(raw, call.audience or "") or f"/{call.audience}/"


def same_site_target(raw: str, audience: str) -> str | None:
    """`raw` when it is a path (with its query) inside this audience's portal, else None.

    Never an open redirect: no scheme or host (`https://…`, `//host`, `/\\host`,
    which browsers read as `//host`), no control characters (CR/LF would split
    the Location header), nothing outside printable ASCII (a browser's own links
    arrive percent-encoded), no dot segments, and only this audience's paths.
    """
    if not raw or len(raw) > 2048 or not raw.isascii() or not raw.isprintable():
        return None
    path, _, _query = raw.partition("?")
    if "\\" in raw or "//" in path or "#" in raw:
        return None
    top = f"/{audience}"
    if not (path == top or path.startswith(top + "/")):
        return None
    if any(segment in (".", "..") for segment in path.split("/")) or "%2e" in path.lower():
        return None
    return raw


def _login_expired(call: PageCall) -> Response:
    """A login post whose nonce pair fails, checked by `@page` before the form is parsed: the page
    again with a fresh pair, keeping the login ID and `next` (read by the same bounded scan)."""
    call.form = {name: form_field(call.request, name) or "" for name in ("login", "next")}
    return _login_page(
        call, ["画面の有効期限が切れました。もう一度ログインしてください。"], call.form["login"].strip(), 403
    )


def login_page(call: PageCall) -> Response:
    """ログイン画面: GET shows the form, POST checks it (CSRF by a nonce cookie, checked by `@page`)."""
    if call.request.method == "GET":
        return _login_page(call)
    return _login_post(call)


def _login_post(call: PageCall) -> Response:
    target = _safe_next(call)  # decided before anything happens (no open redirect, no side effect first)
    login_id = call.form.get("login", "").strip()
    if call.form.get("mfa_token"):
        return _mfa_post(call, target)
    role = AUDIENCES[call.audience or ""][0]
    try:
        result = auth.login(login_id, call.form.get("password", ""), source=source_address(call.request), role=role)
    except TooManyAttempts as exc:
        page_ = _login_page(call, [exc.errors[0].message], login_id, 429)
        page_.headers["Retry-After"] = str(exc.retry_after)
        return page_
    except (Unauthenticated, Conflict):  # Conflict: store contention past its retries, answered as before
        return _login_page(call, ["ログインIDまたはパスワードが正しくありません。"], login_id, 401)
    if isinstance(result, auth.MfaChallenge):
        if result.role != role:
            return _login_page(call, ["このログインIDはこのサービスでは利用できません。"], login_id, 403)
        return _mfa_page(call, result.mfa_token)
    return _logged_in(call, result, login_id, target)


def _logged_in(call: PageCall, result: auth.LoginResult, login_id: str, target: str) -> Response:
    """The session cookie and the way back to `target` (checked by `_safe_next` before the login ran)."""
    role = AUDIENCES[call.audience or ""][0]
    if result.principal.role != role:
        auth.logout(result.principal)
        return _login_page(call, ["このログインIDはこのサービスでは利用できません。"], login_id, 403)
    max_age = result.expires_at - _now()
    return redirect(
        target,
        headers={"Set-Cookie": [session_cookie(result.token, max_age), clear_cookie(LOGIN_NONCE_COOKIE)]},
    )


def _mfa_page(call: PageCall, mfa_token: str, errors: list | None = None, status: int = 200) -> Response:
    """The second step (staff, admin): the TOTP code, keeping `next` and the step's token."""
    nonce = cookies(call.request).get(LOGIN_NONCE_COOKIE) or secrets.token_urlsafe(18)
    response = call.render(
        "html/login_mfa.html",
        status=status,
        no_store=True,
        login_token=session_check.anonymous_csrf_token(nonce),
        mfa_token=mfa_token,
        errors=errors or [],
        next_path=_safe_next(call),
        action=f"/{call.audience}/login",
    )
    secure = "" if settings.current().is_local else "; Secure"
    response.headers["Set-Cookie"] = (
        f"{LOGIN_NONCE_COOKIE}={nonce}; Path={links.cookie_path()}; HttpOnly; SameSite=Strict; Max-Age=1800{secure}"
    )
    return response


def _mfa_post(call: PageCall, target: str) -> Response:
    from chalicelib.services import mfa

    mfa_token = call.form.get("mfa_token", "")
    try:
        result = mfa.complete(mfa_token, call.form.get("code", ""))
    except TooManyAttempts as exc:
        page_ = _login_page(call, [exc.errors[0].message], "", 429)
        page_.headers["Retry-After"] = str(exc.retry_after)
        return page_
    except (Unauthenticated, Conflict) as exc:  # Conflict: store contention past its retries, as before
        if exc.errors and exc.errors[0].field == "mfa_token":
            return _login_page(call, [exc.errors[0].message], "", 401)
        return _mfa_page(call, mfa_token, ["確認コードが正しくありません。"], 401)
    return _logged_in(call, result, result.principal.login, target)


def logout_page(call: PageCall) -> Response:
    auth.logout(call.principal)
    login_path = AUDIENCES[call.audience or ""][1]
    return redirect(login_path + "?notice=logged_out", headers={"Set-Cookie": clear_cookie(SESSION_COOKIE)})


for _aud in AUDIENCES:
    page(
        bp,
        f"/{_aud}/login",
        ("GET", "POST"),
        audience=_aud,
        public=True,
        anonymous_csrf=(LOGIN_NONCE_COOKIE, _login_expired),
    )(login_page)
    page(bp, f"/{_aud}/logout", ("POST",), audience=_aud)(logout_page)
