"""Issue or reject a submitted application (DESIGN.md §1 step 2, §2 "Data").

Issuing, per requested guarantee: a 保証契約番号 from the atomic counter, a
認証キー for an electronic one, the certificate content of version 1 (新規),
and its PDFs. The PDFs are uploaded first, tagged `pending`; then ONE
DynamoDB transaction puts every guarantee and its version 1 and moves the
application from `submitted` to `issued` — conditioned on it still being
`submitted`, so a second issue (even a concurrent one) is a 409 and creates
nothing. Whatever fails, the uploaded objects are deleted and the application
stays `submitted`, so a retry issues normally; once the transaction commits the
objects are released (untagged). Serials taken by a failed attempt are gaps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import logs, settings
from chalicelib.domain import auth_key as keys
from chalicelib.domain import branches, clock, limits, numbering
from chalicelib.domain import certificate as cert_domain
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.store import counters, objects, paging
from chalicelib.store.models import ApplicationModel, CertificateModel, GuaranteeModel, OrdererModel

KINDS = ("advance_payment", "contract_guarantee")
STATUSES = ("submitted", "issued", "rejected")


def issuer() -> dict[str, str]:
    s = settings.current()
    return {"name": s.issuer_name, "branch": s.issuer_branch, "address": s.issuer_address, "phone": s.issuer_phone}


def transaction() -> TransactWrite:
    """A write transaction on the stage's region (the endpoint comes from the environment)."""
    return TransactWrite(connection=Connection(region=settings.current().region))


def condition_failed(exc: TransactWriteError) -> bool:
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons)


@dataclass
class Upload:
    """The PDFs of one version, uploaded `pending` until the transaction that references them commits."""

    pdf_key: str
    key_notice_key: str | None

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.pdf_key, self.key_notice_key) if k]


def render_and_upload(content: dict[str, Any], sha: str, auth_key: str | None, uploaded: list[str]) -> Upload:
    """Render the version's PDFs and upload them tagged `pending`; every key put is appended
    to `uploaded` at once so the caller can discard exactly what exists."""
    from chalicelib.render import pdf

    try:
        docs = pdf.render_documents(content, sha, auth_key)
    except pdf.UnsupportedCharacters as exc:
        chars = "、".join(exc.chars)
        raise ValidationFailed([FieldError("project_name", f"証書に印字できない文字が含まれています: {chars}")]) from None
    pdf_key = objects.new_key("certificates")
    objects.put_pending(pdf_key, docs.certificate)
    uploaded.append(pdf_key)
    notice_key = None
    if docs.key_notice is not None:
        notice_key = objects.new_key("key-notices")
        objects.put_pending(notice_key, docs.key_notice)
        uploaded.append(notice_key)
    return Upload(pdf_key, notice_key)


def upload_key_notice(content: dict[str, Any], sha: str, auth_key: str) -> str:
    """Render and upload (pending) only a key notice, for a reissued key."""
    from chalicelib.render import pdf

    key = objects.new_key("key-notices")
    objects.put_pending(key, pdf.render_key_notice(content, sha, auth_key))
    return key


def discard_all(uploaded: list[str]) -> None:
    """Best effort: whatever is left is still tagged pending and expires by lifecycle."""
    for key in uploaded:
        try:
            objects.discard(key)
        except Exception as exc:  # noqa: BLE001 - never mask the original failure
            logs.warning("pdf_discard_failed", error=type(exc).__name__)


def release_all(uploaded: list[str]) -> None:
    """Untag after commit. Retried: an object left `pending` would be expired by the lifecycle rule."""
    for key in uploaded:
        for attempt in range(3):
            try:
                objects.release(key)
                break
            except Exception as exc:  # noqa: BLE001
                logs.error("pdf_release_failed", attempt=attempt + 1, error=type(exc).__name__)
                time.sleep(0.05 * (attempt + 1))


def application_view(app: ApplicationModel) -> dict[str, Any]:
    """The application as API.md shows it: the form's sections at the top level."""
    return {
        "id": app.application_id,
        "status": app.status,
        "submitted_at": app.submitted_at,
        "owner_org": app.owner_org,
        "decided_at": app.decided_at,
        "reject_reason": app.reject_reason,
        **app.form,
    }


def _branch_of(app: ApplicationModel) -> str | None:
    return ((app.form or {}).get("delivery") or {}).get("branch_id")


def get_application(principal: Principal, application_id: str) -> ApplicationModel:
    """An application sent to the clerk's branch; another branch's is a 404 like a missing one."""
    try:
        app = ApplicationModel.get(application_id)
    except DoesNotExist:
        raise NotFound() from None
    if _branch_of(app) != principal.org_id:
        raise NotFound()
    return app


def list_applications(principal: Principal, status: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """The clerks' queue: a Query on the status index, oldest first, this branch only."""

    def run(start: dict | None, size: int) -> Any:
        return ApplicationModel.by_status.query(status, limit=size, last_evaluated_key=start, page_size=size)

    items, next_cursor = paging.page(run, limit, cursor, keep=lambda a: _branch_of(a) == principal.org_id)
    return with_fees([application_view(a) for a in items]), next_cursor


def _orderer(orderer_id: str) -> OrdererModel | None:
    try:
        return OrdererModel.get(orderer_id)
    except DoesNotExist:
        return None


def advance_tenths(orderer: OrdererModel | None, contract_type: str) -> int | None:
    if orderer is None:
        return None
    if contract_type == "design_survey":
        return int(orderer.advance_rate_design_survey)
    return int(orderer.advance_rate_construction)


def _check(form: dict[str, Any], orderer: OrdererModel | None, today: Any) -> None:
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


def _contractor_name(app: ApplicationModel) -> str:
    from chalicelib.store.models import AccountModel

    try:
        return AccountModel.get(app.owner_login).org_name
    except DoesNotExist:
        mail_to = (app.form.get("delivery") or {}).get("mail_to") or {}
        return mail_to.get("name") or app.owner_org


def issue(principal: Principal, application_id: str) -> list[dict[str, Any]]:
    """Issue every guarantee the application asks for; see the module docstring for the flow."""
    app = get_application(principal, application_id)
    if app.status != "submitted":
        raise Conflict([FieldError("status", "この申込はすでに処理されています。")])
    form = app.form
    _require_fee_settled(app)  # issue 17
    cited = _cited_reservation(app)  # issue 17: a converted 契約保証予約, marked used below
    today = clock.today()
    orderer = _orderer(form["project"]["orderer_id"])
    _check(form, orderer, today)
    branch = branches.branch(_branch_of(app) or "")
    if branch is None:
        raise ValidationFailed([FieldError("delivery.branch_id", "申込送信先の支店が見つかりません。")])

    now = clock.iso_now()
    fy = numbering.fiscal_year_code(today)
    orderer_name = orderer.name if orderer else form["project"]["orderer_id"]
    contractor_name = _contractor_name(app)
    uploaded: list[str] = []
    rows: list[tuple[GuaranteeModel, CertificateModel]] = []
    answer: list[dict[str, Any]] = []
    try:
        for kind in KINDS:
            section = form.get(kind)
            if not section:
                continue
            serial = counters.next_value(numbering.counter_name(branch.code, fy), numbering.MAX_SERIAL)
            number = numbering.format_number(branch.code, fy, serial, kind)
            electronic = section.get("form") == "electronic"
            key = keys.generate() if electronic else None
            details = guarantee_details(form, kind, orderer_name, contractor_name)
            content = cert_domain.build_content(
                number=number,
                kind=kind,
                form="electronic" if electronic else "paper",
                version=1,
                version_kind="new",
                orderer_id=form["project"]["orderer_id"],
                deadline=details["period_end"],
                details=details,
                issued_on=now[:10],
                issuer=issuer(),
            )
            sha = cert_domain.sha256(content)
            upload = render_and_upload(content, sha, key, uploaded)
            g = GuaranteeModel(
                number,
                application_id=app.application_id,
                kind=kind,
                form=content["form"],
                status="valid",
                contractor_org=app.owner_org,
                orderer_id=form["project"]["orderer_id"],
                issued_at=now,
                deadline=details["period_end"],
                auth_key=key,
                latest_version=1,
                details=details,
            )
            c = CertificateModel(
                number,
                1,
                kind="new",
                content=content,
                sha256=sha,
                pdf_key=upload.pdf_key,
                key_notice_key=upload.key_notice_key,
                issued_at=now,
                reason=None,
            )
            rows.append((g, c))
            answer.append({"number": number, "kind": kind, "form": content["form"], "auth_key": key})

        try:
            with transaction() as tx:
                for g, c in rows:
                    tx.save(g, condition=GuaranteeModel.number.does_not_exist())
                    tx.save(c, condition=CertificateModel.number.does_not_exist())
                tx.update(
                    app,
                    actions=[ApplicationModel.status.set("issued"), ApplicationModel.decided_at.set(now)],
                    condition=ApplicationModel.status == "submitted",
                )
                if cited is not None:
                    _mark_reservation_used(tx, cited, app.application_id, now)
        except TransactWriteError as exc:
            if condition_failed(exc):
                if cited is not None and _reservation_lost(exc, first=len(rows) * 2 + 1):
                    raise Conflict([_RESERVATION_TAKEN]) from None
                raise Conflict([FieldError("status", "この申込はすでに処理されています。")]) from None
            raise
    except BaseException:
        discard_all(uploaded)
        raise
    release_all(uploaded)
    logs.info("application_issued", application_id=app.application_id, numbers=[a["number"] for a in answer])
    return answer


# ---------------------------------------------------------------- issue 17 (保証料, 契約保証予約)


def _require_fee_settled(app: ApplicationModel) -> None:
    """No guarantee before its 保証料 is paid or waived: a Conflict on `fees` otherwise."""
    from chalicelib.services import fees

    fees.require_settled("application", app.application_id, app.form)


_RESERVATION_TAKEN = FieldError(
    "contract_guarantee.reservation_number", "この契約保証予約はすでに別の保証申込で使用されています。"
)


def _cited_reservation(app: ApplicationModel) -> Any:
    """The reservation the application converts, re-checked now (it may have been used or expired since)."""
    from chalicelib.services import reservations

    try:
        return reservations.check_citation(app.owner_org, app.form)
    except ValidationFailed as exc:
        raise Conflict(exc.errors) from None


def _mark_reservation_used(tx: TransactWrite, cited: Any, application_id: str, now: str) -> None:
    from chalicelib.services import reservations

    reservations.mark_used_in(tx, cited, application_id, now)


def _reservation_lost(exc: TransactWriteError, first: int) -> bool:
    """Whether the failed condition was the reservation's (another application converted it first)."""
    from chalicelib.store.reservations import failed_items

    return any(i >= first for i in failed_items(exc))


def with_fees(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Staff reads of applications carry `fees` like the contractor's."""
    from chalicelib.services import fees

    found = fees.views("application", [(v["id"], {k: v.get(k) for k in ("project", "advance_payment", "contract_guarantee")}) for v in views])
    return [{**v, "fees": found[v["id"]]} for v in views]


def reject(principal: Principal, application_id: str, reason: str) -> dict[str, Any]:
    """却下: only a submitted application, and only once (a conditional update)."""
    from pynamodb.exceptions import UpdateError

    app = get_application(principal, application_id)
    now = clock.iso_now()
    try:
        app.update(
            actions=[
                ApplicationModel.status.set("rejected"),
                ApplicationModel.reject_reason.set(reason),
                ApplicationModel.decided_at.set(now),
            ],
            condition=ApplicationModel.status == "submitted",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict([FieldError("status", "この申込はすでに処理されています。")]) from None
        raise
    logs.info("application_rejected", application_id=app.application_id)
    return application_view(app)
