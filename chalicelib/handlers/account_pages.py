"""Account pages for people: /account/setup (password, and TOTP enrolment for staff/admin)
and /account/reset. Anonymous forms, so CSRF is the login pages' nonce-cookie pair, checked by
`@page` (`anonymous_csrf`) before the form is parsed."""

from __future__ import annotations

import secrets

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.handlers.endpoint import cookies, source_address
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import AUDIENCES, PageCall, form_field, page
from chalicelib.render import links
from chalicelib.services import session_check

accounts = lazy("chalicelib.services.accounts")

bp = Blueprint(__name__)

NONCE_COOKIE = "esurety_login"
_EXPIRED = "画面の有効期限が切れました。もう一度お試しください。"


def _nonce(call: PageCall) -> str:
    return cookies(call.request).get(NONCE_COOKIE) or secrets.token_urlsafe(18)


def _render(call: PageCall, template: str, status: int = 200, **context: object) -> Response:
    nonce = _nonce(call)
    response = call.render(
        template, status=status, no_store=True, form_token=session_check.anonymous_csrf_token(nonce), **context
    )
    secure = "" if settings.current().is_local else "; Secure"  # issue 26: it never had Secure
    response.headers["Set-Cookie"] = (
        f"{NONCE_COOKIE}={nonce}; Path={links.cookie_path()}; HttpOnly; SameSite=Strict; Max-Age=1800{secure}"
    )
    return response


def _setup_expired(call: PageCall) -> Response:
    """A set-up post whose nonce pair fails (checked by `@page` before the form is parsed): the form
    again with its link's token (read by the same bounded scan) and a fresh pair."""
    token = form_field(call.request, "token") or (call.request.query_params or {}).get("token", "")
    return _render(call, "html/account/setup.html", 403, token=token, login="", errors=[FieldError("", _EXPIRED)])


def _reset_expired(call: PageCall) -> Response:
    return _render(call, "html/account/reset.html", 403, sent=False, errors=[FieldError("", _EXPIRED)])


def _qr_data_uri(uri: str) -> str:
    import segno  # on first use only (cold start)

    return segno.make(uri, error="m").png_data_uri(scale=5, border=2)


def _login_of(token: str) -> str:
    """The login a still-live link is for, so the form shown again keeps it (a refused password
    does not use the link up); "" when the link itself is no good."""
    try:
        return accounts.check_token(token)
    except ValidationFailed:
        return ""


@page(bp, "/account/setup", ("GET", "POST"), audience=None, public=True, anonymous_csrf=(NONCE_COOKIE, _setup_expired))
def setup(call: PageCall) -> Response:
    """パスワード設定 (招待・再設定のリンク先)。職員・管理者は認証アプリも登録する。"""
    token = (call.form.get("token") if call.request.method == "POST" else None) or (
        call.request.query_params or {}
    ).get("token", "")
    if call.request.method == "GET":
        try:
            login = accounts.check_token(token)
        except ValidationFailed as exc:  # unknown, used or expired
            return _render(call, "html/account/setup.html", 400, token="", login="", errors=exc.errors)
        return _render(call, "html/account/setup.html", token=token, login=login, errors=[])
    password = call.form.get("password", "")
    if password != call.form.get("password_confirm", ""):
        errors = [FieldError("password_confirm", "確認用のパスワードが一致しません。")]
        return _render(call, "html/account/setup.html", 400, token=token, login=_login_of(token), errors=errors)
    try:
        result = accounts.set_password(token, password)
    except (ValidationFailed, Conflict) as exc:  # Conflict: store contention past its retries, as before
        return _render(call, "html/account/setup.html", 400, token=token, login=_login_of(token), errors=exc.errors)
    qr = _qr_data_uri(result.totp_uri) if result.totp_uri else None
    return _render(
        call,
        "html/account/done.html",
        portal=next(
            ((f"/{aud}/login", title) for aud, (role, _l, title) in AUDIENCES.items() if role == result.role), None
        ),
        login=result.login,
        totp_uri=result.totp_uri,
        totp_secret=result.totp_secret,
        qr=qr,
    )


@page(bp, "/account/reset", ("GET", "POST"), audience=None, public=True, anonymous_csrf=(NONCE_COOKIE, _reset_expired))
def reset(call: PageCall) -> Response:
    """パスワードを忘れた方: 登録のメールアドレスに再設定リンクを送る (有無は答えない)。"""
    if call.request.method == "GET":
        return _render(call, "html/account/reset.html", sent=False, errors=[])
    accounts.request_reset(call.form.get("login", ""), source_address(call.request))
    return _render(call, "html/account/reset.html", sent=True, errors=[])
