"""The administrator's JSON routes (API.md "Accounts"): organisations, orderers, users, clients.

Each handler parses, demands the admin role, calls one service and shapes the
answer; every write is audited by the service's store call.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain import source_ranges
from chalicelib.domain.accounts import ROLES
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.handlers.endpoint import Call, api, created
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.schemas import COMPONENTS, STRING, enum, obj, paged, ref

admin = lazy("chalicelib.services.admin")
clients = lazy("chalicelib.services.clients")

bp = Blueprint(__name__)

ADMIN = ("admin",)
NAME = {"type": "string", "minLength": 1, "maxLength": 100}
PAGING = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "cursor": {"type": "string", "maxLength": 2048},
}
ORG_ID = {"type": "string", "minLength": 1, "maxLength": 32}


USER_CREATED = obj({"login": STRING, "role": enum(ROLES), "org_id": STRING, "status": enum(("invited",))})
MFA_RESET = obj({**COMPONENTS["User"]["properties"], "mfa": enum(("reset",))})
CLIENT_CREATED = obj(
    {
        "client_id": STRING,
        "client_secret": STRING,
        "orderer_id": STRING,
        "name": STRING,
        "created_at": STRING,
        "allowed_sources": COMPONENTS["MachineClient"]["properties"]["allowed_sources"],
    },
    required=["client_id", "client_secret", "orderer_id", "name", "created_at"],
)
#: Optional on registration: the CIDR blocks the client may act from (domain/source_ranges.py).
ALLOWED_SOURCES = {
    "type": "array",
    "maxItems": source_ranges.MAX_RANGES,
    "items": {"type": "string", "minLength": 1, "maxLength": 50},
    "description": "接続元の範囲 (CIDR、IPv4/IPv6)。指定したクライアントはこの範囲からだけトークンを得て使える",
}


def _body(required: list[str], props: dict) -> dict:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


@api(
    bp,
    "/api/admin/contractors",
    "POST",
    summary="受注者 (建設会社) の組織を登録する",
    roles=ADMIN,
    body=_body(["id", "name"], {"id": ORG_ID, "name": NAME}),
    responses={201: ("登録した", ref("Organisation")), 409: ("IDが使用済み", None)},
)
def create_contractor(call: Call) -> Response:
    out = admin.create_contractor(call.principal, call.body["id"], call.body["name"])
    return created(out, f"/api/admin/organisations/{out['id']}")


@api(
    bp,
    "/api/admin/orderers",
    "POST",
    summary="発注者 (地方公共団体) を登録する",
    roles=ADMIN,
    body=_body(["id", "name", "e_surety"], {"id": ORG_ID, "name": NAME, "e_surety": {"type": "boolean"}}),
    responses={201: ("登録した", ref("AdminOrderer")), 409: ("登録済み", None)},
)
def create_orderer(call: Call) -> Response:
    b = call.body
    out = admin.create_orderer(call.principal, b["id"], b["name"], b["e_surety"])
    return created(out, f"/api/admin/organisations/{out['id']}")


@api(
    bp,
    "/api/admin/orderers/{orderer_id}",
    "PATCH",
    summary="発注者の名称・電子保証対応を変更する (新しい申込から反映)",
    roles=ADMIN,
    body=_body([], {"name": NAME, "e_surety": {"type": "boolean"}}),
    responses={200: ("変更した", ref("AdminOrderer")), 404: ("見つからない", None)},
)
def update_orderer(call: Call) -> dict:
    return admin.update_orderer(
        call.principal, call.params["orderer_id"], call.body.get("name"), call.body.get("e_surety")
    )


@api(
    bp,
    "/api/admin/organisations/{org_id}/disable",
    "POST",
    summary="組織を利用停止にする (全利用者のセッションとマシンクライアントが直ちに止まる)",
    roles=ADMIN,
    responses={200: ("停止した", ref("Organisation")), 404: ("見つからない", None)},
)
def disable_organisation(call: Call) -> dict:
    return admin.disable_organisation(call.principal, call.params["org_id"])


@api(
    bp,
    "/api/admin/organisations/{org_id}",
    "GET",
    summary="受注者・発注者の組織",
    roles=ADMIN,
    responses={200: ("組織", ref("Organisation")), 404: ("見つからない", None)},
)
def get_organisation(call: Call) -> dict:
    return admin.get_organisation(call.params["org_id"])


@api(
    bp,
    "/api/admin/organisations",
    "GET",
    summary="受注者・発注者の組織の一覧 (種別ごと、ID順)",
    roles=ADMIN,
    query={"kind": {"type": "string", "enum": ["contractor", "orderer"]}, **PAGING},
    responses={200: ("組織の一覧", paged(ref("Organisation")))},
)
def list_organisations(call: Call) -> dict:
    q = call.query
    return admin.list_organisations(q.get("kind"), q.get("limit", DEFAULT_LIMIT), q.get("cursor"))


USER_BODY = _body(
    ["login", "name", "email", "role", "org_id"],
    {
        "login": {"type": "string", "minLength": 1, "maxLength": 64},
        "name": NAME,
        "email": {"type": "string", "minLength": 3, "maxLength": 254},
        "role": {"type": "string", "enum": list(ROLES)},
        "org_id": ORG_ID,
        "department_id": {"type": "string", "maxLength": 32, "description": "発注者の利用者のみ: 部署"},
    },
)


def _email(address: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationFailed([FieldError("email", "メールアドレスの形式が正しくありません。")]) from None


@api(
    bp,
    "/api/admin/users",
    "POST",
    summary="利用者を招待する (72時間有効の設定リンクをメールで送る)",
    roles=ADMIN,
    body=USER_BODY,
    responses={201: ("招待した", USER_CREATED), 409: ("ログインIDが使用済み", None)},
)
def create_user(call: Call) -> Response:
    b = call.body
    result = admin.create_user(
        call.principal, b["login"], b["name"], _email(b["email"]), b["role"], b["org_id"], b.get("department_id")
    )
    return created(result, f"/api/admin/users/{result['login']}")


@api(
    bp,
    "/api/admin/users/{login}",
    "GET",
    summary="利用者",
    roles=ADMIN,
    responses={200: ("利用者", ref("User")), 404: ("見つからない", None)},
)
def get_user(call: Call) -> dict:
    return admin.get_user(call.params["login"])


@api(
    bp,
    "/api/admin/users",
    "GET",
    summary="利用者の一覧",
    roles=ADMIN,
    query={"org_id": ORG_ID, "role": {"type": "string", "enum": list(ROLES)}, **PAGING},
    responses={200: ("利用者の一覧", paged(ref("User")))},
)
def list_users(call: Call) -> dict:
    q = call.query
    return admin.list_users(q.get("org_id"), q.get("role"), q.get("limit", DEFAULT_LIMIT), q.get("cursor"))


for _verb, _enable, _summary in (
    ("disable", False, "利用者を利用停止にする (セッションは直ちに終わる)"),
    ("enable", True, "利用者の利用停止を解除する"),
):

    def _status(call: Call, enable: bool = _enable) -> dict:
        return admin.set_user_status(call.principal, call.params["login"], enable)

    _status.__name__ = f"user_{_verb}"
    api(
        bp,
        f"/api/admin/users/{{login}}/{_verb}",
        "POST",
        summary=_summary,
        roles=ADMIN,
        responses={200: ("変更した", ref("User")), 404: ("見つからない", None), 409: ("自分自身は変更できない", None)},
    )(_status)


@api(
    bp,
    "/api/admin/users/{login}/reset-mfa",
    "POST",
    summary="二要素認証を初期化する (再設定リンクをメールで送る)",
    roles=ADMIN,
    responses={
        200: ("初期化した", MFA_RESET),
        400: ("職員・管理者以外", None),
        404: ("見つからない", None),
        409: ("自分自身は初期化できない", None),
    },
)
def reset_mfa(call: Call) -> dict:
    return admin.reset_mfa(call.principal, call.params["login"])


@api(
    bp,
    "/api/admin/clients",
    "POST",
    summary="マシンクライアント (発注者の契約システム) を登録する。シークレットはこの応答でだけ示す",
    roles=ADMIN,
    body=_body(["orderer_id", "name"], {"orderer_id": ORG_ID, "name": NAME, "allowed_sources": ALLOWED_SOURCES}),
    responses={201: ("登録した (シークレットはこの応答でだけ示す)", CLIENT_CREATED)},
)
def create_client(call: Call) -> Response:
    body = call.body
    made = clients.create(call.principal, body["orderer_id"], body["name"], body.get("allowed_sources"))
    answer = {"client_id": made.client.client_id, "client_secret": made.secret, **made.client.public()}
    return created(answer, f"/api/admin/clients/{answer['client_id']}", headers={"Cache-Control": "no-store"})


@api(
    bp,
    "/api/admin/clients",
    "GET",
    summary="マシンクライアントの一覧 (シークレットは含まない)",
    roles=ADMIN,
    query={"orderer_id": ORG_ID, **PAGING},
    responses={200: ("マシンクライアントの一覧", paged(ref("MachineClient")))},
)
def list_clients(call: Call) -> dict:
    q = call.query
    return clients.list_clients(q.get("orderer_id"), q.get("limit", DEFAULT_LIMIT), q.get("cursor"))


@api(
    bp,
    "/api/admin/clients/{client_id}",
    "GET",
    summary="マシンクライアント (シークレットは含まない)",
    roles=ADMIN,
    responses={200: ("マシンクライアント", ref("MachineClient")), 404: ("見つからない", None)},
)
def get_client(call: Call) -> dict:
    return clients.get_client(call.params["client_id"])


@api(
    bp,
    "/api/admin/clients/{client_id}",
    "DELETE",
    summary="マシンクライアントを失効させる (そのトークンは直ちに使えなくなる)",
    roles=ADMIN,
    responses={204: ("失効した", None), 404: ("見つからない", None)},
)
def revoke_client(call: Call) -> Response:
    clients.revoke(call.principal, call.params["client_id"])
    return Response(body="", status_code=204)
