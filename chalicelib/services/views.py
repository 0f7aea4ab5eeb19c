"""The one builder of what people and API clients see of a guarantee.

電子保証概要 (API.md `GET /api/guarantees/{number}`) is the base shape; the
staff console sees the same plus what a clerk needs (`contractor_id`, the
application, the period, each version's reason); D-Sure's answer (`POST
/api/verify`) is built from the same status and version list. Every page and
route that shows a guarantee goes through here, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.domain.records import CertificateVersion, Guarantee
from chalicelib.domain.status import effective_status


def status(g: Guarantee, today: dt.date) -> str:
    """valid | cancelled | expired, as of `today`."""
    return effective_status(g.status, g.deadline, today)


def version_items(versions: list[CertificateVersion], *, with_reason: bool = False) -> list[dict[str, Any]]:
    """電子保証履歴, oldest first."""
    items = []
    for v in sorted(versions, key=lambda v: v.version):
        item: dict[str, Any] = {"version": v.version, "kind": v.kind, "issued_at": v.issued_at, "sha256": v.sha256}
        if with_reason:
            item["reason"] = v.reason
        items.append(item)
    return items


def guarantee_view(
    g: Guarantee, versions: list[CertificateVersion], today: dt.date, *, staff: bool = False
) -> dict[str, Any]:
    """電子保証概要; with `staff`, plus contractor_id, application_id, the period and the reasons."""
    d = g.details or {}
    view: dict[str, Any] = {
        "number": g.number,
        "kind": g.kind,
        "form": g.form,
        "status": status(g, today),
        "contractor_name": d.get("contractor_name"),
        "jv_name": d.get("jv_name"),
        "project_name": d.get("project_name"),
        "orderer_id": g.orderer_id,
        "orderer_name": d.get("orderer_name"),
        "contract_amount": d.get("contract_amount"),
        "guarantee_amount": d.get("guarantee_amount"),
        "deposit_bank": d.get("deposit_bank"),
        "deadline": g.deadline,
        "auth_key": g.auth_key if g.electronic and g.status != "cancelled" else None,  # cancelled: no key
        "versions": version_items(versions, with_reason=staff),
    }
    if staff:
        view.update(
            contractor_id=g.contractor_org,
            application_id=g.application_id,
            period_start=d.get("period_start"),
            period_end=d.get("period_end"),
        )
    return view


def latest(g: Guarantee, versions: list[CertificateVersion]) -> CertificateVersion:
    """The version the guarantee names as its latest (the newest one read if it is missing)."""
    ordered = sorted(versions, key=lambda v: v.version)
    return next((v for v in ordered if v.version == g.latest_version), ordered[-1])


def verification_view(
    g: Guarantee, versions: list[CertificateVersion], today: dt.date, pdf_url: str | None
) -> dict[str, Any]:
    """D-Sure's answer: the status, the latest certificate as issued, its history and its PDF."""
    newest = latest(g, versions)
    return {
        "status": status(g, today),
        "kind": g.kind,
        "certificate": newest.content,
        "versions": version_items(versions),
        "sha256": newest.sha256,
        "pdf_url": pdf_url,
    }
