"""The administrator's console (/admin/): users, organisations, orderers, machine clients.

Every form posts to `/admin/actions` with an `op` field and the session's CSRF
token (checked by `page()`); each op calls the same service as its JSON route.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.accounts import ROLES
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page

admin = lazy("chalicelib.services.admin")
clients = lazy("chalicelib.services.clients")

bp = Blueprint(__name__)


def _console(call: PageCall, status: int = 200, **extra: object) -> Response:
    users = admin.list_users(None, None, 100, None)["items"]
    machine = clients.list_clients(None, 100, None)["items"]
    orgs = admin.list_organisations(None, 100, None)["items"]
    context = {
        "users": users,
        "clients": machine,
        "organisations": orgs,
        "org_names": {o["id"]: o["name"] for o in orgs},
        "roles": ROLES,
        "errors": [],
        "done": None,
        "secret": None,
        "kept": {},
    }
    context.update(extra)
    return call.render("html/admin/console.html", status=status, no_store=True, **context)


@page(bp, "/admin", audience="admin")  # API.md's /admin/ (Chalice serves both)
def console(call: PageCall) -> Response:
    return _console(call)


def _run(call: PageCall) -> tuple[str, dict | None]:
    f, who = call.form, call.principal
    op = f.get("op", "")
    if op == "contractor":
        admin.create_contractor(who, f.get("id", "").strip(), _need(f, "name"))
        return "受注者を登録しました。", None
    if op == "orderer":
        admin.create_orderer(who, f.get("id", "").strip(), _need(f, "name"), f.get("e_surety") == "on")
        return "発注者を登録しました。", None
    if op == "invite":
        from chalicelib.handlers.admin import _email

        admin.create_user(
            who,
            f.get("login", "").strip(),
            _need(f, "name"),
            _email(f.get("email", "")),
            f.get("role", ""),
            f.get("org_id", "").strip(),
        )
        return "利用者を招待しました (設定リンクをメールで送りました)。", None
    if op in ("disable", "enable"):
        admin.set_user_status(who, f.get("login", ""), op == "enable")
        return ("利用停止にしました。" if op == "disable" else "利用停止を解除しました。"), None
    if op == "reset_mfa":
        admin.reset_mfa(who, f.get("login", ""))
        return "二要素認証を初期化しました (再設定リンクをメールで送りました)。", None
    if op == "disable_org":
        admin.disable_organisation(who, f.get("org_id", "").strip())
        return "組織を利用停止にしました。", None
    if op == "client":
        created = clients.create(who, f.get("orderer_id", "").strip(), _need(f, "name"))
        return "マシンクライアントを登録しました。シークレットは今だけ表示されます。", {
            "client_id": created.client.client_id,
            "client_secret": created.secret,
        }
    if op == "revoke":
        clients.revoke(who, f.get("client_id", ""))
        return "マシンクライアントを失効させました。", None
    raise ValidationFailed([FieldError("op", "操作が正しくありません。")])


def _need(form: dict[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value or len(value) > 100:
        raise ValidationFailed([FieldError(name, "1〜100文字で入力してください。")])
    return value


@page(bp, "/admin/actions", ("POST",), audience="admin")
def actions(call: PageCall) -> Response:
    try:
        done, secret = _run(call)
    except (ValidationFailed, NotFound, Conflict) as exc:  # the console shows each refusal above its forms
        # ... with what was typed kept in the form that was refused (never a secret: none is typed here)
        return _console(call, exc.status, errors=exc.errors, kept=dict(call.form))
    return _console(call, done=done, secret=secret)
