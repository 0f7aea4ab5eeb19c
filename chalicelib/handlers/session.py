"""Log in and out: the JSON session API and the three login pages."""

from __future__ import annotations

import secrets

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.domain.errors import DomainError, TooManyAttempts
from chalicelib.handlers.endpoint import SESSION_COOKIE, Call, api, cookies, json_response, source_address
from chalicelib.handlers.page import (
    AUDIENCES,
    PageCall,
    clear_cookie,
    page,
    redirect,
    session_cookie,
)
from chalicelib.services import auth

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
SESSION_OUT = {
    "type": "object",
    "properties": {
        "token": {"type": "string"},
        "role": {"type": "string", "enum": ["contractor", "staff", "orderer"]},
        "org_id": {"type": "string"},
        "name": {"type": "string"},
    },
}


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
    p = result.principal
    body = {"token": result.token, "role": p.role, "org_id": p.org_id, "name": p.org_name}
    max_age = result.expires_at - _now()
    return json_response(body, headers={"Set-Cookie": session_cookie(result.token, max_age)})


@api(bp, "/api/session", "DELETE", summary="ログアウト (トークンを無効にする)", roles=(), responses={204: ("ログアウト", None)})
def delete_session(call: Call) -> Response:
    auth.logout(call.principal)
    return Response(body="", status_code=204, headers={"Set-Cookie": clear_cookie(SESSION_COOKIE)})


def _now() -> int:
    import time

    return int(time.time())


def _login_page(call: PageCall, errors: list | None = None, login_id: str = "", status: int = 200) -> Response:
    nonce = cookies(call.request).get(LOGIN_NONCE_COOKIE) or secrets.token_urlsafe(18)
    response = call.render(
        "html/login.html",
        status=status,
        no_store=True,
        login_token=auth.anonymous_csrf_token(nonce),
        errors=errors or [],
        login_id=login_id,
        next_path=_safe_next(call),
        action=f"/{call.audience}/login",
    )
    secure = "" if settings.current().is_local else "; Secure"
    response.headers["Set-Cookie"] = (
        f"{LOGIN_NONCE_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Strict; Max-Age=1800{secure}"
    )
    return response


#: What a `next` path may be made of: no control characters, quotes, spaces or non-ASCII
#: (a CR/LF would otherwise reach the Location header).
_NEXT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_.~?=&%")


def _safe_next(call: PageCall) -> str:
    """Only a path of this audience; never an absolute or protocol-relative URL."""
    raw = call.form.get("next") or (call.request.query_params or {}).get("next") or ""
    prefix = f"/{call.audience}/"
    ok = raw.startswith(prefix) and "//" not in raw and "\\" not in raw and len(raw) <= 512
    if ok and set(raw) <= _NEXT_CHARS and "%0" not in raw.lower() and "%1" not in raw.lower():
        return raw
    return prefix


def login_page(call: PageCall) -> Response:
    """ログイン画面: GET shows the form, POST checks it (CSRF by a nonce cookie)."""
    if call.request.method == "GET":
        return _login_page(call)
    return _login_post(call)


def _login_post(call: PageCall) -> Response:
    nonce = cookies(call.request).get(LOGIN_NONCE_COOKIE, "")
    login_id = call.form.get("login", "").strip()
    if not nonce or not auth.csrf_valid_anonymous(nonce, call.form.get("csrf_token")):
        return _login_page(call, ["画面の有効期限が切れました。もう一度ログインしてください。"], login_id, 403)
    target = _safe_next(call)  # decided before anything is written (a session, a counter)
    role = AUDIENCES[call.audience or ""][0]
    try:
        result = auth.login(login_id, call.form.get("password", ""), source=source_address(call.request), role=role)
    except TooManyAttempts as exc:
        page_ = _login_page(call, [exc.errors[0].message], login_id, 429)
        page_.headers["Retry-After"] = str(exc.retry_after)
        return page_
    except DomainError:
        return _login_page(call, ["ログインIDまたはパスワードが正しくありません。"], login_id, 401)
    max_age = result.expires_at - _now()
    return redirect(
        target,
        headers={"Set-Cookie": [session_cookie(result.token, max_age), clear_cookie(LOGIN_NONCE_COOKIE)]},
    )


def logout_page(call: PageCall) -> Response:
    auth.logout(call.principal)
    login_path = AUDIENCES[call.audience or ""][1]
    return redirect(login_path, headers={"Set-Cookie": clear_cookie(SESSION_COOKIE)})


for _aud in AUDIENCES:
    page(bp, f"/{_aud}/login", ("GET", "POST"), audience=_aud, public=True)(login_page)
    page(bp, f"/{_aud}/logout", ("POST",), audience=_aud)(logout_page)
