"""Issue or reject a submitted application (DESIGN.md §1 step 2, §2 "Data").

Issuing, per requested guarantee: a 保証契約番号 (all numbers of the
application come from ONE counter update), a 認証キー for an electronic one,
the certificate content of version 1 (新規), and its PDFs. The PDFs are
uploaded first, tagged `pending` (services/documents.py); then ONE DynamoDB
transaction puts every guarantee and its version 1 and moves the application
from `submitted` to `issued` — conditioned on it still being `submitted`, so a
second issue (even a concurrent one) is a 409 and creates nothing. Whatever
fails before the commit, the uploaded objects are deleted and the application
stays `submitted`, so a retry issues normally; after an ambiguous failure (a
timeout, a lost reply) the version row is read back and decides
(services/documents.py); once the transaction commits the objects are
released (untagged). Serials taken by a failed attempt are gaps.

DynamoDB calls for an application with two guarantees: the application's Get,
one counter update and the transaction (the orderer comes from the
per-container reference cache, the contractor's name from the application).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import logs, settings
from chalicelib.domain import auth_key as keys
from chalicelib.domain import branches, clock, limits, numbering, reasons
from chalicelib.domain import certificate as cert_domain
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Application, CertificateVersion, Guarantee, Orderer, advance_tenths
from chalicelib.domain.reservation import Reservation
from chalicelib.services import bounces, documents
from chalicelib.store import accounts, counters, events, orderers
from chalicelib.store import applications as applications_store
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store.tx import Writes

KINDS = ("advance_payment", "contract_guarantee")
STATUSES = ("submitted", "issued", "rejected")
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


def _application(principal: Principal, application_id: str) -> Application:
    """An application sent to the clerk's branch; another branch's is a 404 like a missing one."""
    app = applications_store.get(application_id)
    if app is None or app.branch_id != principal.org_id:
        raise NotFound()
    return app


def get_application(principal: Principal, application_id: str) -> dict[str, Any]:
    """The staff view of one application of the clerk's branch, with its 保証料 (`fees`) and its
    address's bounce flag."""
    return bounces.flag_applications(with_fees([application_view(_application(principal, application_id))]))[0]


def list_applications(
    principal: Principal, status: str, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    """The clerks' queue: a Query on the status index, oldest first, this branch only."""
    items, next_cursor = applications_store.list_by_status(
        status, limit, cursor, keep=lambda a: a.branch_id == principal.org_id, scope=principal.org_id
    )
    return with_fees([application_view(a) for a in items]), next_cursor


def _check(form: dict[str, Any], orderer: Orderer | None, today: Any) -> None:
    project = form["project"]
    errors: list[FieldError] = []
    for kind in KINDS:
        section = form.get(kind)
        if not section:
            continue
        errors += limits.check_guarantee(
            kind,
            guarantee_amount=int(section["amount"]),
            contract_amount=int(project["contract_amount"]),
            period_start=project["period_start"],
            period_end=project["period_end"],
            today=today,
            contract_type=project.get("contract_type", "construction"),
            advance_tenths=advance_tenths(orderer, project.get("contract_type", "construction")),
            low_bid=bool(section.get("low_bid")),
            fields={
                "guarantee_amount": f"{kind}.amount",
                "contract_amount": "project.contract_amount",
                "period_start": "project.period_start",
                "period_end": "project.period_end",
            },
        )
        if section.get("form") == "electronic" and (orderer is None or not orderer.e_surety):
            errors.append(FieldError(f"{kind}.form", "この発注者は電子保証に対応していません。"))
    if not any(form.get(k) for k in KINDS):
        errors.append(FieldError("", "前払金保証・契約保証のいずれも申し込まれていません。"))
    if errors:
        seen: dict[str, FieldError] = {}
        for e in errors:
            seen.setdefault(e.field, e)
        raise ValidationFailed(list(seen.values()))


def guarantee_details(form: dict[str, Any], kind: str, orderer_name: str, contractor_name: str) -> dict[str, Any]:
    """CONTRACTS.md `details`, with notify/email copied from the application's delivery section."""
    project, delivery, section = form["project"], form.get("delivery") or {}, form[kind]
    return {
        "contractor_name": contractor_name,
        "jv_name": project.get("jv_name"),
        "project_name": project["name"],
        "orderer_name": orderer_name,
        "contract_amount": int(project["contract_amount"]),
        "guarantee_amount": int(section["amount"]),
        "period_start": project["period_start"],
        "period_end": project["period_end"],
        "location": project.get("location"),
        "deposit_bank": section.get("deposit_bank") if kind == "advance_payment" else None,
        "branch_id": delivery.get("branch_id"),
        "notify": bool(delivery.get("notify")),
        "email": delivery.get("email") if delivery.get("notify") else None,
    }


def _contractor_name(app: Application) -> str:
    """Kept on the application since it was submitted; older rows ask the account."""
    if app.owner_name:
        return app.owner_name
    account = accounts.get(app.owner_login)
    if account is not None:
        return account.org_name
    mail_to = (app.form.get("delivery") or {}).get("mail_to") or {}
    return mail_to.get("name") or app.owner_org


def issue(principal: Principal, application_id: str) -> list[dict[str, Any]]:
    """Issue every guarantee the application asks for; see the module docstring for the flow."""
    app = _application(principal, application_id)
    if app.status != "submitted":
        raise Conflict([ALREADY_DONE])
    form = app.form
    _require_fee_settled(app)  # issue 17
    cited = _cited_reservation(app)  # issue 17: a converted 契約保証予約, marked used below
    today = clock.today()
    orderer_id = form["project"]["orderer_id"]
    orderer = orderers.get(orderer_id)
    _check(form, orderer, today)
    branch = branches.branch(app.branch_id or "")
    if branch is None:
        raise ValidationFailed([FieldError("delivery.branch_id", "申込送信先の支店が見つかりません。")])

    now = clock.iso_now()
    fy = numbering.fiscal_year_code(today)
    orderer_name = orderer.name if orderer else orderer_id
    contractor_name = _contractor_name(app)
    kinds = [kind for kind in KINDS if form.get(kind)]
    issuer = settings.current().issuer
    rows: list[tuple[Guarantee, CertificateVersion]] = []
    answer: list[dict[str, Any]] = []
    with documents.pending() as docs:
        serials = counters.take(numbering.counter_name(branch.code, fy), len(kinds), numbering.MAX_SERIAL)
        for kind, serial in zip(kinds, serials, strict=True):
            section = form[kind]
            number = numbering.format_number(branch.code, fy, serial, kind)
            form_kind = "electronic" if section.get("form") == "electronic" else "paper"
            key = keys.generate() if form_kind == "electronic" else None
            details = guarantee_details(form, kind, orderer_name, contractor_name)
            content = cert_domain.build_content(
                number=number,
                kind=kind,
                form=form_kind,
                version=1,
                version_kind="new",
                orderer_id=orderer_id,
                deadline=details["period_end"],
                details=details,
                issued_on=now[:10],
                issuer=issuer,
            )
            sha = cert_domain.sha256(content)
            upload = docs.version(content, sha, key)
            guarantee = Guarantee(
                number=number,
                application_id=app.application_id,
                kind=kind,
                form=form_kind,
                status="valid",
                contractor_org=app.owner_org,
                orderer_id=orderer_id,
                issued_at=now,
                deadline=details["period_end"],
                details=details,
                auth_key=key,
                latest_version=1,
            )
            v1 = CertificateVersion(
                number=number,
                version=1,
                kind="new",
                content=content,
                sha256=sha,
                issued_at=now,
                pdf_key=upload.pdf_key,
                key_notice_key=upload.key_notice_key,
            )
            rows.append((guarantee, v1))
            answer.append({"number": number, "kind": kind, "form": form_kind, "auth_key": key})
        first, v1 = rows[0]
        docs.committed_if(lambda: _references(first.number, 1, "pdf_key", v1.pdf_key))
        also = _issue_writes(principal, app, answer, cited, now)  # issue 17: reservation used + audit
        try:
            guarantees_store.issue(app.application_id, now, rows, also=also)
        except guarantees_store.ConditionFailed:
            if cited is not None and _reservation_taken(cited):
                raise Conflict([_RESERVATION_TAKEN]) from None
            # A retried call whose first try committed is refused by its own write: the documents
            # helper reads the record back (committed_if above) and the block counts as done.
            raise Conflict([ALREADY_DONE]) from None
    logs.info("application_issued", application_id=app.application_id, numbers=[a["number"] for a in answer])
    return answer


def _references(number: str, version: int, attribute: str, key: str | None) -> bool:
    """Read back (strongly) whether the committed version row points at our object."""
    row = guarantees_store.version(number, version, consistent=True)
    return row is not None and key is not None and getattr(row, attribute) == key


# ---------------------------------------------------------------- issue 17 (保証料, 契約保証予約)


def _require_fee_settled(app: Application) -> None:
    """No guarantee before its 保証料 is paid or waived: a Conflict on `fees` otherwise."""
    from chalicelib.services import fees

    fees.require_settled("application", app.application_id, app.form, settled=app.fee_settled)


_RESERVATION_TAKEN = FieldError(
    "contract_guarantee.reservation_number", "この契約保証予約はすでに別の保証申込で使用されています。"
)


def _cited_reservation(app: Application) -> Reservation | None:
    """The reservation the application converts, re-checked now (it may have been used or expired since)."""
    from chalicelib.services import reservations

    try:
        return reservations.check_citation(app.owner_org, app.form)
    except ValidationFailed as exc:
        raise Conflict(exc.errors) from None


def _mark_reservation_used(cited: Reservation | None, app: Application, now: str) -> Writes | None:
    """The writes that mark the cited reservation used; they join the issuing transaction."""
    if cited is None:
        return None
    from chalicelib.store import reservations as reservations_store

    return reservations_store.mark_used(cited, app.application_id, now)


def issue_audit_numbers(numbers: list[str], cited: Reservation | None) -> tuple[str, ...]:
    """What the application's `issue` audit record names: its guarantees, then the 契約保証予約 it
    converted, so the reservation's trail (found by its number) shows where it went, like a guarantee's."""
    return (*numbers, *([cited.number] if cited is not None and cited.number else []))


def _issue_writes(
    principal: Principal, app: Application, answer: list[dict[str, Any]], cited: Reservation | None, now: str
) -> Writes:
    """The writes that join the issuing transaction: the cited reservation marked used, and the
    `issue` audit record (API.md audit actions), so neither exists without the issuance."""
    from chalicelib.store import audit

    writes = _mark_reservation_used(cited, app, now) or Writes()
    entry = AuditEntry(
        actor=principal.login,
        action="issue",
        target=f"application:{app.application_id}",
        scope=principal.org_id,  # the clerk's branch (as fee_payment and issue 14's staff writes)
        numbers=issue_audit_numbers([a["number"] for a in answer], cited),
        at=now,
    )
    return audit.add(writes, entry)


def _reservation_taken(cited: Reservation) -> bool:
    """After a failed issuing transaction: was it the reservation's condition (another application won)?"""
    from chalicelib.store import reservations as reservations_store

    now = reservations_store.get(cited.reservation_id)
    return now is None or now.status != "issued"


def with_fees(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Staff reads of applications carry `fees` like the contractor's."""
    from chalicelib.services import fees

    sections = ("project", "advance_payment", "contract_guarantee")
    found = fees.views("application", [(v["id"], {k: v.get(k) for k in sections}) for v in views])
    return [{**v, "fees": found[v["id"]]} for v in views]


def review(principal: Principal, application_id: str) -> dict[str, Any]:
    """The clerk's review of one application: every field the contractor sent, the names behind
    the codes (発注者 笠間市長 (08216), 申込送信先 茨城支店), the rule checks as they stand today,
    and the contractor's other guarantees still in force at this branch."""
    from chalicelib.services import staff_search

    app = _application(principal, application_id)
    orderer_id = app.form.get("project", {}).get("orderer_id", "")
    orderer = orderers.get(orderer_id)
    branch = branches.branch(app.branch_id or "")
    checks: list[FieldError] = []
    if app.status == "submitted":
        try:
            _check(app.form, orderer, clock.today())
        except ValidationFailed as exc:
            checks = exc.errors
    return {
        "application": bounces.flag_applications(with_fees([application_view(app)]))[0],
        "applicant_name": _contractor_name(app),
        "orderer_name": orderer.name if orderer else None,
        "orderer_e_surety": bool(orderer and orderer.e_surety),
        "branch_name": branch.name if branch else None,
        "checks": checks,
        "outstanding": staff_search.outstanding_for_contractor(principal, app.owner_org),
    }


def dashboard(principal: Principal) -> dict[str, Any]:
    """The console's top page: the two queues (審査待ち, 決裁待ち)."""
    from chalicelib.services import approvals

    waiting, more = list_applications(principal, "submitted", 20, None)
    pending, more_pending = approvals.list_approvals(principal, "pending", 20, None)
    return {
        "submitted": waiting,
        "more_submitted": more is not None,
        "pending": pending,
        "more_pending": more_pending is not None,
    }


def issued_result(principal: Principal, application_id: str) -> list[dict[str, Any]]:
    """What 発行 answered, read again (the result page after Post/Redirect/Get): the
    application's guarantees with their keys, for the clerk's branch only."""
    app = _application(principal, application_id)
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


def reject(principal: Principal, application_id: str, reason: Any) -> dict[str, Any]:
    """却下: only a submitted application, only once (a conditional write), always with a reason,
    and with its audit record in the same transaction."""
    text = reasons.required(reason)
    app = _application(principal, application_id)
    now = clock.iso_now()
    entry = AuditEntry(
        actor=principal.login,
        action="reject",
        target=f"application:{app.application_id}",
        scope=principal.org_id,
        reason=text,
        at=now,
    )
    delivery = app.form.get("delivery") or {}
    event = events.Event(
        kind="application_rejected",
        application_id=app.application_id,
        email=(delivery.get("email") or None) if delivery.get("notify") else None,  # only if mail was asked for
        reason=text,
        project_name=(app.form.get("project") or {}).get("name"),
        at=now,
    )
    if not applications_store.reject(app.application_id, text, now, entry, lambda w: events.add(w, event)):
        raise Conflict([ALREADY_DONE])
    logs.info("application_rejected", application_id=app.application_id)
    return application_view(replace(app, status="rejected", reject_reason=text, decided_at=now))
