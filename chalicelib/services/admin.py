"""The administrator's writes: organisations, orderers and users, each with its audit record.

Every write goes to the store together with an AuditEntry, which the store puts
in the same transaction (store/audit.py). Disabling ends sessions at once: the
user (or every user of the organisation) loses every session row, their logins
are refused from then on, and a disabled orderer's machine clients stop because
client tokens are checked against the organisation on every call.
"""

from __future__ import annotations

import time

from chalicelib import logs, settings
from chalicelib.domain import names
from chalicelib.domain.accounts import (
    JIS_CODE_PATTERN,
    LOGIN_PATTERN,
    ORG_ID_PATTERN,
    ROLE_ORG_KIND,
    TOKEN_TTL_SECONDS,
)
from chalicelib.domain.audit import ADMIN_SCOPE, AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Account, Organisation
from chalicelib.render.charset import font_charset
from chalicelib.services import account_mail
from chalicelib.store import accounts, departments, orderers, organisations, sessions, tokens


def _entry(admin: Principal, action: str, target: str, reason: str | None = None) -> AuditEntry:
    return AuditEntry(actor=admin.login, action=action, target=target, scope=ADMIN_SCOPE, reason=reason)


def _printable_name(name: str, field: str = "name") -> str:
    """The organisation's name checked against the certificate font (domain/names.py)."""
    return names.printable_name(name, font_charset(), field)


def create_contractor(admin: Principal, org_id: str, name: str) -> dict[str, object]:
    if not ORG_ID_PATTERN.match(org_id):
        raise ValidationFailed([FieldError("id", "IDは英数字・ハイフン・下線で32文字以内にしてください。")])
    org = Organisation(org_id, "contractor", _printable_name(name))
    if not organisations.create(org, _entry(admin, "org_created", f"org:{org_id}")):
        raise Conflict([FieldError("id", "このIDの組織はすでに登録されています。")])
    return {"id": org_id, "name": org.name, "kind": "contractor", "status": "active"}


def create_orderer(admin: Principal, orderer_id: str, name: str, e_surety: bool) -> dict[str, object]:
    if not JIS_CODE_PATTERN.match(orderer_id):
        raise ValidationFailed([FieldError("id", "発注者IDは5桁の全国地方公共団体コード (例: 08216) です。")])
    org = Organisation(orderer_id, "orderer", _printable_name(name))
    if orderers.get(orderer_id) or not organisations.create(
        org, _entry(admin, "orderer_created", f"orderer:{orderer_id}"), e_surety=e_surety
    ):
        raise Conflict([FieldError("id", "この発注者はすでに登録されています。")])
    return {"id": orderer_id, "name": org.name, "e_surety": e_surety}


def update_orderer(admin: Principal, orderer_id: str, name: str | None, e_surety: bool | None) -> dict[str, object]:
    entry = _entry(admin, "orderer_updated", f"orderer:{orderer_id}")
    if not organisations.update_orderer(
        orderer_id, _printable_name(name) if name is not None else None, e_surety, entry
    ):
        raise NotFound()
    found = orderers.get(orderer_id)  # this container's cache was cleared by the write
    assert found is not None
    return {"id": found.orderer_id, "name": found.name, "e_surety": found.e_surety}


def disable_organisation(admin: Principal, org_id: str) -> dict[str, object]:
    org = organisations.get(org_id)
    if org is None or org.kind not in organisations.LISTED_KINDS:
        raise NotFound()
    organisations.disable(
        Organisation(org.org_id, org.kind, org.name, "disabled"), _entry(admin, "org_disabled", f"org:{org_id}")
    )
    for login in accounts.logins_of_org(org_id):
        sessions.end_all(login)
    return {"id": org_id, "kind": org.kind, "name": _organisation(org)["name"], "status": "disabled"}


def _organisation(org: Organisation) -> dict[str, object]:
    """The admin's view of a contractor or orderer. An orderer's name and 電子保証対応 come from its
    reference row, the one `PATCH /api/admin/orderers/{id}` changes (its organisation row keeps the
    name it was created with)."""
    out: dict[str, object] = {"id": org.org_id, "kind": org.kind, "name": org.name, "status": org.status}
    if org.kind == "orderer":
        found = orderers.get(org.org_id)
        out["e_surety"] = bool(found and found.e_surety)
        if found:
            out["name"] = found.name
    return out


def get_organisation(org_id: str) -> dict[str, object]:
    """A contractor or orderer organisation (what `POST /api/admin/contractors|orderers` created)."""
    org = organisations.get(org_id)
    if org is None or org.kind not in organisations.LISTED_KINDS:
        raise NotFound()
    return _organisation(org)


def list_organisations(kind: str | None, limit: int, cursor: str | None) -> dict[str, object]:
    """Contractors and orderers (or one kind), each as `get_organisation` answers it."""
    found, next_cursor = organisations.list_organisations(kind, limit, cursor)
    return {"items": [_organisation(org) for org in found], "next_cursor": next_cursor}


def get_user(login: str) -> dict[str, object]:
    account = accounts.get(login)
    if account is None:
        raise NotFound()
    return account.public()


def create_user(
    admin: Principal, login: str, name: str, email: str, role: str, org_id: str, department_id: str | None = None
) -> dict[str, object]:
    errors = _department_errors(role, org_id, department_id)
    if not LOGIN_PATTERN.match(login):
        errors.append(FieldError("login", "ログインIDは英小文字・数字・「.」「_」「-」で3〜64文字にしてください。"))
    org = organisations.get(org_id)
    want_kind = ROLE_ORG_KIND.get(role)
    if org is None or org.kind != want_kind:
        errors.append(FieldError("org_id", "この役割の利用者が所属できる組織ではありません。"))
    elif org.disabled:
        errors.append(FieldError("org_id", "この組織は利用停止中です。"))
    if errors:
        raise ValidationFailed(errors)
    assert org is not None
    user = Account(
        login,
        role,
        org_id,
        org.name,
        email=email.strip(),
        name=name.strip(),
        status="invited",
        department_id=department_id,
    )
    token, value = tokens.new("invitation", login, int(time.time()), TOKEN_TTL_SECONDS["invitation"])
    if not accounts.create(user, value, _entry(admin, "user_created", f"user:{login}")):
        raise Conflict([FieldError("login", "このログインIDはすでに使われています。")])
    account_mail.send_link(user, "invitation", token)
    return {"login": login, "role": role, "org_id": org_id, "status": "invited"}


def _department_errors(role: str, org_id: str, department_id: str | None) -> list[FieldError]:
    """Issue 29: an orderer user may be bound to one of its orderer's departments."""
    if department_id is None:
        return []
    if role != "orderer":
        return [FieldError("department_id", "部署を指定できるのは発注者の利用者だけです。")]
    if departments.get(org_id, department_id) is None:
        return [FieldError("department_id", "この発注者に登録されていない部署です。")]
    return []


def list_users(org_id: str | None, role: str | None, limit: int, cursor: str | None) -> dict[str, object]:
    found, next_cursor = accounts.list_accounts(org_id=org_id, role=role, limit=limit, cursor=cursor)
    return {"items": [u.public() for u in found], "next_cursor": next_cursor}


def set_user_status(admin: Principal, login: str, enable: bool) -> dict[str, object]:
    user = accounts.get(login)
    if user is None:
        raise NotFound()
    if not enable and login == admin.login:
        raise Conflict([FieldError("login", "自分自身を利用停止にすることはできません。")])
    status = ("active" if user.password_hash else "invited") if enable else "disabled"
    action = "user_enabled" if enable else "user_disabled"
    if not accounts.set_status(login, status, _entry(admin, action, f"user:{login}"), was=user):
        if user.role == "admin" and not enable:
            raise Conflict([FieldError("login", "有効な管理者が一人もいなくなるため、利用停止にできません。")])
        raise NotFound()
    if not enable:
        sessions.end_all(login)
    return {**user.public(), "status": status}


def reset_mfa(admin: Principal, login: str) -> dict[str, object]:
    user = accounts.get(login)
    if user is None:
        raise NotFound()
    if not user.needs_mfa:
        raise ValidationFailed([FieldError("login", "二要素認証を使うのは保証会社の職員と管理者だけです。")])
    if login == admin.login:  # as with disabling: an admin never locks themself out
        raise Conflict([FieldError("login", "自分自身の二要素認証は初期化できません。別の管理者に依頼してください。")])
    token, value = tokens.new("mfa_reset", login, int(time.time()), TOKEN_TTL_SECONDS["mfa_reset"])
    if not accounts.reset_mfa(login, value, _entry(admin, "mfa_reset", f"user:{login}")):
        raise NotFound()
    sessions.end_all(login)
    account_mail.send_link(user, "mfa_reset", token)
    return {**user.public(), "mfa": "reset"}


def encrypt_secrets() -> int:
    """`bin/admin encrypt-secrets` (run by `bin/stage up`): seal the TOTP secrets of rows written
    before issue 26, which are read as they are until then. Returns how many were sealed."""
    count = accounts.seal_plain_secrets()
    logs.info("secrets_sealed", count=count)
    return count


class AdminExists(Exception):
    """A stage has its first admin already: `create_first_admin` is usable once."""


def create_first_admin(login: str, email: str, name: str = "管理者") -> str:
    """The first admin of a stage (bin/admin create-first): invited like any user, the
    organisation `hq` made if missing. Returns the set-up link, which the command leaves in an
    SSM SecureString, never on its output (a new account's SES sandbox may not deliver the mail).
    Refused once an admin exists."""
    if accounts.any_with_role("admin"):
        raise AdminExists(login)
    if not LOGIN_PATTERN.match(login):
        raise ValidationFailed(
            [FieldError("login", "ログインIDは英小文字・数字・「.」「_」「-」で3〜64文字にしてください。")]
        )
    if organisations.get(ADMIN_SCOPE) is None:
        organisations.put(Organisation(ADMIN_SCOPE, "hq", settings.current().issuer_name))
    org = organisations.get(ADMIN_SCOPE)
    assert org is not None
    user = Account(login, "admin", ADMIN_SCOPE, org.name, email=email, name=name, status="invited")
    token, value = tokens.new("invitation", login, int(time.time()), TOKEN_TTL_SECONDS["invitation"])
    entry = AuditEntry(actor="bin/admin", action="user_created", target=f"user:{login}", scope=ADMIN_SCOPE)
    if not accounts.create(user, value, entry):
        raise Conflict([FieldError("login", "このログインIDはすでに使われています。")])
    try:
        account_mail.send_link(user, "invitation", token)
    except Exception as exc:  # noqa: BLE001 - the stored link is the fallback (SES sandbox)
        logs.warning("first_admin_mail_failed", login=login, error=type(exc).__name__)
    return account_mail.setup_url(token)
