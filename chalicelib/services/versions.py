"""訂正 / 変更 / 取消 as new certificate versions, and 認証キー reissue (DESIGN.md §1 step 7).

A version is a new immutable CertificateModel row plus the guarantee's new
current state, written in one transaction. The guarantee row carries a
VersionAttribute (`lock_version`): the transaction's put is conditioned on the
lock version read, so of two concurrent versions one commits and the other is
retried from a fresh read — versions are numbered 1, 2, 3… without gaps or
duplicates (the certificate put is also conditioned on the row not existing).
"""

from __future__ import annotations

import time
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib import logs
from chalicelib.domain import auth_key as keys
from chalicelib.domain import certificate as cert_domain
from chalicelib.domain import clock, limits
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.status import effective_status
from chalicelib.services import issuance
from chalicelib.store.models import ApplicationModel, CertificateModel, GuaranteeModel

MAX_ATTEMPTS = 20
#: Which `changes` fields each kind may carry. 訂正 fixes clerical text; 変更 the amounts and the period.
ALLOWED = {
    "correction": {"project_name"},
    "change": {"guarantee_amount", "contract_amount", "period_end"},
    "cancellation": set(),
}


def get_guarantee(principal: Principal, number: str) -> GuaranteeModel:
    """A guarantee of the clerk's branch; another branch's is a 404 like a missing one."""
    try:
        g = GuaranteeModel.get(number)
    except DoesNotExist:
        raise NotFound() from None
    if (g.details or {}).get("branch_id") != principal.org_id:
        raise NotFound()
    return g


def history(number: str) -> list[CertificateModel]:
    return list(CertificateModel.query(number, scan_index_forward=True))


def guarantee_view(g: GuaranteeModel, versions: list[CertificateModel]) -> dict[str, Any]:
    d = g.details
    return {
        "number": g.number,
        "kind": g.kind,
        "form": g.form,
        "status": effective_status(g.status, g.deadline, clock.today()),
        "application_id": g.application_id,
        "contractor_name": d["contractor_name"],
        "jv_name": d.get("jv_name"),
        "project_name": d["project_name"],
        "orderer_id": g.orderer_id,
        "orderer_name": d["orderer_name"],
        "contract_amount": d["contract_amount"],
        "guarantee_amount": d["guarantee_amount"],
        "deposit_bank": d.get("deposit_bank"),
        "period_start": d["period_start"],
        "period_end": d["period_end"],
        "deadline": g.deadline,
        "auth_key": g.auth_key if g.form == "electronic" else None,
        "versions": [
            {"version": int(v.version), "kind": v.kind, "issued_at": v.issued_at, "sha256": v.sha256, "reason": v.reason}
            for v in versions
        ],
    }


def _validate_changes(kind: str, changes: dict[str, Any], g: GuaranteeModel) -> None:
    errors = [
        FieldError(f"changes.{name}", "この種類の手続では変更できない項目です。")
        for name in sorted(changes)
        if name not in ALLOWED[kind]
    ]
    if kind != "cancellation" and not changes:
        errors.append(FieldError("changes", "変更する項目を入力してください。"))
    if errors:
        raise ValidationFailed(errors)
    if "project_name" in changes:
        from chalicelib.render import pdf

        missing = pdf.unsupported_characters([changes["project_name"]])
        if missing:
            raise ValidationFailed(
                [FieldError("changes.project_name", "証書に印字できない文字が含まれています: " + "、".join(missing))]
            )


def _application_terms(g: GuaranteeModel) -> tuple[str, bool]:
    """(contract_type, low_bid) from the application the guarantee came from; defaults if gone."""
    try:
        form = ApplicationModel.get(g.application_id).form
    except DoesNotExist:
        return "construction", False
    section = form.get(g.kind) or {}
    return form.get("project", {}).get("contract_type", "construction"), bool(section.get("low_bid"))


def _check_rules(g: GuaranteeModel, details: dict[str, Any], changes: dict[str, Any]) -> None:
    contract_type, low_bid = _application_terms(g)
    orderer = issuance._orderer(g.orderer_id)
    errors = limits.check_guarantee(
        g.kind,
        guarantee_amount=int(details["guarantee_amount"]),
        contract_amount=int(details["contract_amount"]),
        period_start=details["period_start"],
        period_end=details["period_end"],
        today=clock.today() if "period_end" in changes else None,
        contract_type=contract_type,
        advance_tenths=issuance.advance_tenths(orderer, contract_type),
        low_bid=low_bid,
        fields={k: f"changes.{k}" for k in ("guarantee_amount", "contract_amount", "period_end")}
        | {"period_start": "changes.period_end"},
    )
    if errors:
        raise ValidationFailed(errors)


def record_version(
    principal: Principal, number: str, kind: str, changes: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """Write the next version (訂正/変更/取消); retried from a fresh read when another version won."""
    for attempt in range(MAX_ATTEMPTS):
        g = get_guarantee(principal, number)
        if g.kind == "contract_reservation":  # issue 17: a 予約証書 has no 訂正/変更/取消 versions
            raise Conflict([FieldError("kind", "契約保証予約には訂正・変更・取消の手続はできません。")])
        if g.status == "cancelled":
            raise Conflict([FieldError("kind", "取消済みの保証には手続できません。")])
        _validate_changes(kind, changes, g)
        details = dict(g.details)
        details.update(changes)
        if kind == "change":
            _check_rules(g, details, changes)
        version = int(g.latest_version) + 1
        now = clock.iso_now()
        content = cert_domain.build_content(
            number=g.number,
            kind=g.kind,
            form=g.form,
            version=version,
            version_kind=kind,
            orderer_id=g.orderer_id,
            deadline=details["period_end"],
            details=details,
            issued_on=now[:10],
            issuer=issuance.issuer(),
            reason=reason,
        )
        sha = cert_domain.sha256(content)
        uploaded: list[str] = []
        try:
            upload = issuance.render_and_upload(content, sha, g.auth_key if g.form == "electronic" else None, uploaded)
            g.details = details
            g.deadline = details["period_end"]  # 保証期限 follows 工期末
            g.latest_version = version
            if kind == "cancellation":
                g.status = "cancelled"
            cert = CertificateModel(
                g.number,
                version,
                kind=kind,
                content=content,
                sha256=sha,
                pdf_key=upload.pdf_key,
                key_notice_key=upload.key_notice_key,
                issued_at=now,
                reason=reason,
            )
            with issuance.transaction() as tx:
                tx.save(g)  # conditioned on lock_version as read (VersionAttribute)
                tx.save(cert, condition=CertificateModel.number.does_not_exist())
        except TransactWriteError as exc:
            issuance.discard_all(uploaded)
            if issuance.condition_failed(exc):
                time.sleep(0.01 * (attempt + 1))
                continue  # another version won: read again and renumber
            raise
        except BaseException:
            issuance.discard_all(uploaded)
            raise
        issuance.release_all(uploaded)
        logs.info("guarantee_version", number=g.number, version=version, kind=kind)
        return {"version": version, "kind": kind, "issued_at": now, "sha256": sha}
    raise Conflict([FieldError("", "同時に他の手続が行われました。もう一度お試しください。")])


def reissue_key(principal: Principal, number: str) -> str:
    """A new 認証キー; the old one fails from the moment this commits.

    The latest version's key notice PDF is replaced by one with the new key (the
    certificate content and its SHA-256 do not contain the key and stay as issued).
    """
    for attempt in range(MAX_ATTEMPTS):
        g = get_guarantee(principal, number)
        if g.form != "electronic":
            raise Conflict([FieldError("form", "紙の保証証書には認証キーがありません。")])
        if g.status == "cancelled":
            raise Conflict([FieldError("status", "取消済みの保証です。")])
        latest = CertificateModel.get(g.number, int(g.latest_version))
        new_key = keys.generate()
        old_notice = latest.key_notice_key
        notice_key = issuance.upload_key_notice(latest.content, latest.sha256, new_key)
        try:
            g.auth_key = new_key
            with issuance.transaction() as tx:
                tx.save(g)  # lock_version condition: a concurrent version or reissue forces a re-read
                tx.update(
                    latest,
                    actions=[CertificateModel.key_notice_key.set(notice_key)],
                    condition=CertificateModel.sha256 == latest.sha256,
                )
        except TransactWriteError as exc:
            issuance.discard_all([notice_key])
            if issuance.condition_failed(exc):
                time.sleep(0.01 * (attempt + 1))
                continue
            raise
        except BaseException:
            issuance.discard_all([notice_key])
            raise
        issuance.release_all([notice_key])
        if old_notice:
            issuance.discard_all([old_notice])  # it carries a key that no longer works
        logs.info("auth_key_reissued", number=g.number)
        return new_key
    raise Conflict([FieldError("", "同時に他の手続が行われました。もう一度お試しください。")])
