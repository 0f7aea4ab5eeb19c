"""The OpenAPI 3 document, built only from the route declarations in `endpoint.REGISTRY`.

What a route declares (its roles, body, query, path parameters, responses) decides which statuses
it documents, so the document says what the route answers: 401/403 for a route that needs a login,
400/413/415 for one that reads a body, 400 for one with a query, 404 for one naming an object,
503 everywhere (a store outage), each with the one shared error body (`schemas.ERRORS`) and the
headers API.md promises (`WWW-Authenticate`, `Retry-After`, `Location`).
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib import settings
from chalicelib.handlers import schemas
from chalicelib.handlers.endpoint import REGISTRY, Endpoint
from chalicelib.handlers.errors import MESSAGES
from chalicelib.services.clients import CLIENT_PATHS

#: Audiences (tags), in the order a reader meets them.
TAGS = [
    ("public", "誰でも呼べる: 稼働確認、発注者一覧、署名証明書、この文書"),
    ("accounts", "ログイン・二要素認証・パスワード設定・マシンクライアントのトークン"),
    ("netdesk", "受注者 (建設会社): 保証申込、契約保証予約、保証契約一覧 (Net Desk)"),
    ("dsure", "発注者 (地方公共団体) とその契約システム: 電子保証の確認 (D-Sure)"),
    ("staff", "保証会社の職員: 審査・発行・訂正・決裁・監査"),
    ("admin", "保証会社の管理者: 組織・利用者・マシンクライアント"),
    ("dev", "ローカル環境のみ"),
]
_ROLE_TAGS = {"contractor": "netdesk", "orderer": "dsure", "staff": "staff", "admin": "admin"}
_ACCOUNT_PATHS = ("/api/session", "/api/account/", "/api/oauth/")

_RETRY_AFTER = {"Retry-After": {"description": "再試行までの秒数", "schema": {"type": "integer"}}}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer (トークン要求は Basic)", "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
_LOCATION = {"Location": {"description": "作成したものを読むパス", "schema": {"type": "string"}}}


def tag_of(ep: Endpoint) -> str:
    if ep.path.startswith("/api/dev/"):
        return "dev"
    if ep.path.startswith(_ACCOUNT_PATHS):
        return "accounts"
    if ep.roles is None:
        return "public"
    return next((_ROLE_TAGS[r] for r in ep.roles if r in _ROLE_TAGS), "accounts")


def _error_statuses(ep: Endpoint) -> dict[int, str]:
    """The error statuses a route answers by what it declares (beyond those it names itself)."""
    found: dict[int, str] = {503: "ストアが一時的に利用できない (Retry-After 秒後に再試行)"}
    if ep.roles is not None:
        found[401] = "認証が必要 (トークンなし・無効)"
        found[403] = "権限がない (役割・CSRF)"
    if ep.body is not None or ep.request_bodies:
        found.update(
            {400: "入力誤り (誤りのある項目をすべて列挙)", 413: "本文が大きすぎる", 415: "Content-Type が違う"}
        )
    if ep.query:
        found[400] = "条件の誤り"
    if "{" in ep.path:
        found[404] = "見つからない (他の組織のものも同じ応答)"
    return found


def _response(status: int, description: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"description": description}
    if status >= 400:
        schema = schema or schemas.ERRORS
    if schema is not None:
        entry["content"] = {"application/json": {"schema": schema}}
    headers = {**_HEADERS.get(status, {}), **(_LOCATION if status == 201 else {})}
    if headers:
        entry["headers"] = headers
    return entry


def _responses(ep: Endpoint) -> dict[str, Any]:
    declared = dict(ep.responses)
    for status, description in _error_statuses(ep).items():
        declared.setdefault(status, (description, None))
    return {str(status): _response(status, desc, schema) for status, (desc, schema) in sorted(declared.items())}


def _request_body(ep: Endpoint) -> dict[str, Any] | None:
    if ep.request_bodies:
        return {"required": ep.body_required, "content": {t: {"schema": s} for t, s in ep.request_bodies.items()}}
    if ep.body is not None:
        return {"required": True, "content": {ep.body_content_type: {"schema": ep.body}}}
    return None


def _security(ep: Endpoint) -> list[dict[str, list[str]]] | None:
    if ep.path == "/api/oauth/token":
        return [{"client_basic": []}]
    if ep.roles is None:
        return []
    found: list[dict[str, list[str]]] = [{"bearer": []}, {"cookie": []}]  # the roles: x-roles
    if ep.path in CLIENT_PATHS:
        found.append({"oauth2": []})
    return found


def _operation(ep: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": ep.summary,
        "tags": [tag_of(ep)],
        "operationId": f"{ep.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', ep.path.lower()).strip('_')}",
    }
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", ep.path)
    ]
    for name, rule in ep.query.items():
        params.append({"name": name, "in": "query", "required": False, "schema": rule})
    for name, rule in ep.headers.items():
        params.append({"name": name, "in": "header", "required": False, "schema": rule})
    if params:
        op["parameters"] = params
    body = _request_body(ep)
    if body is not None:
        op["requestBody"] = body
    op["responses"] = _responses(ep)
    op["security"] = _security(ep)
    if ep.roles:
        op["x-roles"] = list(ep.roles)
    op["description"] = _who(ep)
    return op


def _who(ep: Endpoint) -> str:
    if ep.roles is None:
        return "ログイン不要"
    if not ep.roles:
        return "ログインしている利用者なら誰でも"
    machine = " (発注者のマシンクライアントも可)" if ep.path in CLIENT_PATHS else ""
    return "呼べる役割: " + ", ".join(ep.roles) + machine


def _security_schemes() -> dict[str, Any]:
    return {
        "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/session のトークン"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "esurety_session", "description": "画面のセッション"},
        # Issue 13: municipal systems' machine clients (RFC 6749 §4.4).
        "oauth2": {
            "type": "oauth2",
            "description": "発注者の契約システム (マシンクライアント)",
            "flows": {"clientCredentials": {"tokenUrl": "/api/oauth/token", "scopes": {}}},
        },
        "client_basic": {"type": "http", "scheme": "basic", "description": "client_id:client_secret"},
    }


_WEBHOOK_HEADERS = (
    ("webhook-id", "イベント ID (本文の id と同じ。再送しても同じ)"),
    ("webhook-timestamp", "送信時刻 (UNIX 秒)"),
    ("webhook-signature", 'v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}", シークレットを base64 復号したバイト列)>'),
)
_WEBHOOK_TEXT = (
    "Standard Webhooks 形式で署名して POST する。2xx 以外・タイムアウト (5 秒)・接続失敗・リダイレクト (追わない) は"
    "同じイベント ID で 24 時間まで再送 (5 秒, 5 分, 30 分, 2 時間, 5 時間, 10 時間, 24 時間後に最後)。"
    "送信先は登録時に https:// と公開 IP かを名前解決なしで確かめ、送信のたびに名前解決して全アドレスが公開かを確かめ、"
    "確かめたアドレスへ接続する (拒否は refused_target として記録し、再送する)。"
)


def webhooks_section() -> dict[str, Any]:
    """API.md "Webhooks": what each event POSTs to a registered URL (OpenAPI 3.1 `webhooks`)."""
    headers = [
        {"name": name, "in": "header", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in _WEBHOOK_HEADERS
    ]
    section = {}
    for event in schemas.WEBHOOK_TYPES:
        section[event] = {
            "post": {
                "summary": f"イベント {event}",
                "description": _WEBHOOK_TEXT,
                "operationId": "webhook_" + event.replace(".", "_"),
                "tags": ["dsure"],
                "parameters": headers,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schemas.ref("WebhookEvent")}},
                },
                "responses": {"200": {"description": "受け取った (2xx ならどれでも)"}},
            }
        }
    return section


def document() -> dict[str, Any]:
    current = settings.current()
    paths: dict[str, dict[str, Any]] = {}
    for ep in REGISTRY:
        if not ep.path.startswith("/api/") or (ep.path.startswith("/api/dev/") and not current.is_local):
            continue
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    used = {tag for ops in paths.values() for op in ops.values() for tag in op["tags"]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "e-Surety (電子保証) API",
            "version": "1.0.0",
            "contact": {"name": "東日本建設業保証 e-Surety", "url": current.public_base_url.rstrip("/") + "/"},
            "description": "誤りの応答はすべて Errors (field, code, message)。" + MESSAGES[503],
        },
        "servers": [{"url": current.public_base_url.rstrip("/"), "description": f"stage {current.stage}"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS if name in used],
        "paths": dict(sorted(paths.items())),
        "webhooks": webhooks_section(),
        "components": {"schemas": schemas.COMPONENTS, "securitySchemes": _security_schemes()},
    }
