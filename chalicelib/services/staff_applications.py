"""The clerk's reads of applications: the queue, one application, its review, the console's top
page and what 発行 answered — all for the clerk's own branch (another branch's is a 404).

Deciding (issuing, rejecting) is services/issuance.py's; it reads the application the same way.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import branches, clock, limits
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed
from chalicelib.domain.orderers import offers_e_surety
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Application
from chalicelib.domain.status import APPLICATION_STATUSES
from chalicelib.services import approvals, bounces, fees, staff_search
from chalicelib.store import accounts, orderers
from chalicelib.store import applications as applications_store
from chalicelib.store import guarantees as guarantees_store

STATUSES = APPLICATION_STATUSES
#: The application was decided (or its fee recorded) by another request first.
ALREADY_DONE = FieldError("status", "この申込はすでに処理されています。")


def application_view(app: Application) -> dict[str, Any]:
    """The application as API.md shows it: the form's sections at the top level."""
    return {
        "id": app.application_id,
        "status": app.status,
        "submitted_at": app.submitted_at,
        "owner_org": app.owner_org,
        "decided_at": app.decided_at,
        "reject_reason": app.reject_reason,
        "guarantee_numbers": list(app.guarantee_numbers),
        **app.form,
    }


def branch_application(principal: Principal, application_id: str) -> Application:
    """An application sent to the clerk's branch; another branch's is a 404 like a missing one."""
    app = applications_store.get(application_id)
    if app is None or app.branch_id != principal.org_id:
        raise NotFound()
    return app


def with_fees(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Staff reads of applications carry `fees` like the contractor's."""
    sections = ("project", "advance_payment", "contract_guarantee")
    found = fees.views("application", [(v["id"], {k: v.get(k) for k in sections}) for v in views])
    return [{**v, "fees": found[v["id"]]} for v in views]


def with_names(apps: list[Application], views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The staff's lists name the contractor and the 発注者 (not `c-0001` and `08216`)."""
    out = []
    for app, view in zip(apps, views, strict=True):
        orderer = orderers.get(app.form.get("project", {}).get("orderer_id", ""))
        out.append({**view, "applicant_name": contractor_name(app), "orderer_name": orderer.name if orderer else None})
    return out


def get_application(principal: Principal, application_id: str) -> dict[str, Any]:
    """The staff view of one application of the clerk's branch, with its 保証料 (`fees`) and its
    address's bounce flag."""
    return bounces.flag_applications(with_fees([application_view(branch_application(principal, application_id))]))[0]


def list_applications(
    principal: Principal, status: str, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    """The clerks' queue: a Query on the status index, oldest first, this branch only."""
    items, next_cursor = applications_store.list_by_status(
        status, limit, cursor, keep=lambda a: a.branch_id == principal.org_id, scope=principal.org_id
    )
    return with_fees([application_view(a) for a in items]), next_cursor


def queue(principal: Principal, status: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """The queue as the console's pages show it: `list_applications` with the names."""
    items, next_cursor = applications_store.list_by_status(
        status, limit, cursor, keep=lambda a: a.branch_id == principal.org_id, scope=principal.org_id
    )
    return with_names(items, with_fees([application_view(a) for a in items])), next_cursor


def contractor_name(app: Application) -> str:
    """Kept on the application since it was submitted; older rows ask the account."""
    if app.owner_name:
        return app.owner_name
    account = accounts.get(app.owner_login)
    if account is not None:
        return account.org_name
    mail_to = (app.form.get("delivery") or {}).get("mail_to") or {}
    return mail_to.get("name") or app.owner_org


def review(principal: Principal, application_id: str) -> dict[str, Any]:
    """The clerk's review of one application: every field the contractor sent, the names behind
    the codes (発注者 笠間市長 (08216), 申込送信先 茨城支店), the rule checks as they stand today
    (those issuing makes, domain/limits.py), and the contractor's other guarantees still in force
    at this branch."""
    app = branch_application(principal, application_id)
    orderer_id = app.form.get("project", {}).get("orderer_id", "")
    orderer = orderers.get(orderer_id)
    branch = branches.branch(app.branch_id or "")
    checks: list[FieldError] = []
    if app.status == "submitted":
        try:
            limits.check_issuable(app.form, orderer, clock.today())
        except ValidationFailed as exc:
            checks = exc.errors
    return {
        "application": bounces.flag_applications(with_fees([application_view(app)]))[0],
        "applicant_name": contractor_name(app),
        "orderer_name": orderer.name if orderer else None,
        "orderer_e_surety": offers_e_surety(orderer),
        "branch_name": branch.name if branch else None,
        "checks": checks,
        "outstanding": staff_search.outstanding_for_contractor(principal, app.owner_org),
    }


def dashboard(principal: Principal) -> dict[str, Any]:
    """The console's top page: the two queues (審査待ち, 決裁待ち)."""
    waiting, more = queue(principal, "submitted", 20, None)
    pending, more_pending = approvals.queue(principal, 20)
    return {
        "submitted": waiting,
        "more_submitted": more is not None,
        "pending": pending,
        "more_pending": more_pending is not None,
    }


def issued_result(principal: Principal, application_id: str) -> list[dict[str, Any]]:
    """What 発行 answered, read again (the result page after Post/Redirect/Get): the
    application's guarantees with their keys, for the clerk's branch only."""
    app = branch_application(principal, application_id)
    if app.status != "issued":
        raise NotFound()
    found = guarantees_store.get_many(app.guarantee_numbers)
    return [
        {
            "number": g.number,
            "kind": g.kind,
            "form": g.form,
            "auth_key": g.auth_key if g.status != "cancelled" else None,
        }
        for n in app.guarantee_numbers
        if (g := found.get(n)) is not None
    ]
