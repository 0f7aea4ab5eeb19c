"""Everyone's own account (JSON): the MFA step of a login, set a password, ask for a reset;
the OAuth 2.0 token endpoint of machine clients; and the audit trail's read route."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from chalicelib.domain.audit import ADMIN_SCOPE
from chalicelib.domain.errors import Conflict, FieldError, TooManyAttempts, Unauthenticated
from chalicelib.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.handlers.endpoint import Call, api, json_response, source_address
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import session_cookie
from chalicelib.handlers.schemas import STRING, enum, obj, paged, ref

accounts = lazy("chalicelib.services.accounts")
audit_log = lazy("chalicelib.services.audit_log")
clients = lazy("chalicelib.services.clients")
mfa = lazy("chalicelib.services.mfa")

bp = Blueprint(__name__)

MFA_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["mfa_token", "code"],
    "properties": {
        "mfa_token": {"type": "string", "minLength": 1, "maxLength": 200},
        "code": {"type": "string", "minLength": 1, "maxLength": 10},
    },
}
PASSWORD_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["token", "password"],
    "properties": {
        "token": {"type": "string", "minLength": 1, "maxLength": 200},
        "password": {"type": "string", "minLength": 1, "maxLength": 256},
    },
}
RESET_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["login"],
    "properties": {"login": {"type": "string", "minLength": 1, "maxLength": 128}},
}
RESET_ANSWER = {"status": "accepted", "message": "登録されているメールアドレスに、再設定のご案内をお送りしました。"}


def session_answer(result) -> Response:  # noqa: ANN001 - auth.LoginResult (kept off the import path)
    """A completed login: the token in the body and as the session cookie."""
    import time

    p = result.principal
    body = {"token": result.token, "role": p.role, "org_id": p.org_id, "name": p.org_name}
    max_age = result.expires_at - int(time.time())
    return json_response(body, headers={"Set-Cookie": session_cookie(result.token, max_age)})


@api(
    bp,
    "/api/session/mfa",
    "POST",
    summary="ログインの第二段階: TOTP 確認コード (職員・管理者)",
    roles=None,
    body=MFA_BODY,
    responses={200: ("ログイン成功", ref("Session")), 401: ("コード誤り", None), 429: ("ロック中", None)},
)
def complete_mfa(call: Call) -> Response:
    return session_answer(mfa.complete(call.body["mfa_token"], call.body["code"]))


@api(
    bp,
    "/api/account/password",
    "POST",
    summary="招待・再設定のリンクのトークンでパスワードを設定する (職員・管理者は招待と二要素の再設定のときだけ TOTP を登録)",
    roles=None,
    body=PASSWORD_BODY,
    responses={
        200: ("職員・管理者の招待・二要素の再設定: 認証アプリの登録URI", obj({"totp_uri": STRING})),
        204: ("設定した", None),
        400: ("トークン無効・パスワード不適", None),
    },
)
def set_password(call: Call) -> Response:
    result = accounts.set_password(call.body["token"], call.body["password"])
    if result.totp_uri:
        return json_response({"totp_uri": result.totp_uri}, headers={"Cache-Control": "no-store"})
    return Response(body="", status_code=204)


@api(
    bp,
    "/api/account/reset",
    "POST",
    summary="パスワード再設定のリンクをメールで送る (ログインIDの有無にかかわらず同じ応答)",
    roles=None,
    body=RESET_BODY,
    responses={
        202: ("受け付けた", obj({"status": enum(("accepted",)), "message": STRING})),
        429: ("同じ送信元からの申し出が多すぎる (Retry-After)", None),
    },
)
def request_reset(call: Call) -> Response:
    accounts.request_reset(call.body["login"], source_address(call.request))
    return json_response(RESET_ANSWER, 202)


TOKEN_FORM = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]}},
}
TOKEN_OUT = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer"},
    },
}


def _oauth_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """RFC 6749 §5.2's `error`, beside API.md's `errors` list."""
    body = {"error": code, "error_description": message, "errors": [FieldError("", message).as_dict(status)]}
    return json_response(body, status, headers={"Cache-Control": "no-store", **(headers or {})})


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id or not secret:
        return None
    from urllib.parse import unquote

    return unquote(client_id), unquote(secret)


@api(
    bp,
    "/api/oauth/token",
    "POST",
    summary="マシンクライアントのアクセストークン (OAuth 2.0 client credentials, HTTP Basic)",
    roles=None,
    content_types=("application/x-www-form-urlencoded",),
    raw_body=True,
    max_body=4096,
    request_bodies={"application/x-www-form-urlencoded": TOKEN_FORM},
    responses={
        200: ("トークン (15分有効)", TOKEN_OUT),
        400: ("grant_type 誤り", ref("OAuthError")),
        401: ("認証失敗 (WWW-Authenticate: Basic)", ref("OAuthError")),
        429: ("ロック中", ref("OAuthError")),
    },
)
def oauth_token(call: Call) -> Response:
    try:
        form = parse_qs(call.body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "リクエストの形式が正しくありません。")
    if form.get("grant_type", [""])[-1] != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "grant_type は client_credentials を指定してください。")
    creds = _basic(call.header("authorization"))
    challenge = {"WWW-Authenticate": 'Basic realm="e-Surety"'}
    if creds is None:
        return _oauth_error(401, "invalid_client", "HTTP Basic 認証でクライアントを示してください。", challenge)
    try:
        token = clients.issue_token(*creds, source=source_address(call.request))
    except TooManyAttempts as exc:
        return _oauth_error(429, "invalid_client", exc.errors[0].message, {"Retry-After": str(exc.retry_after)})
    except (Unauthenticated, Conflict) as exc:  # Conflict: store contention past its retries, as before
        return _oauth_error(401, "invalid_client", exc.errors[0].message if exc.errors else "", challenge)
    body = {"access_token": token.token, "token_type": "Bearer", "expires_in": token.expires_in}
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@api(
    bp,
    "/api/staff/audit",
    "GET",
    summary="監査記録 (新しい順)。職員は自支店の記録、管理者はすべて",
    roles=("staff", "admin"),
    query={
        "number": {"type": "string", "maxLength": 40},
        "actor": {"type": "string", "maxLength": 128},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "cursor": {"type": "string", "maxLength": 2048},
    },
    responses={200: ("監査記録 (新しい順)", paged(ref("AuditRecord")))},
)
def audit_records(call: Call) -> dict:
    p = call.principal
    scope = None if p.role == "admin" else p.org_id
    q = call.query
    return audit_log.search(scope, q.get("number"), q.get("actor"), q.get("limit", DEFAULT_LIMIT), q.get("cursor"))


assert ADMIN_SCOPE  # admins' own writes are scoped "hq"; they read every scope
