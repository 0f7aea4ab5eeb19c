"""The contractor's guarantees (保証契約一覧, 電子保証概要, certificate, downloads, 閲覧履歴).

Everything here is read through keys: the list is a Query on the contractor
index (the 期間 filter is its key condition, the other filters are `keep`
predicates so pages stay full), the rest are Gets and Queries by 保証契約番号.
Another organisation's guarantee is answered exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed
from chalicelib.domain.numbers import SHAPE, normalise_number, read_number
from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import AccessLogEntry, Guarantee
from chalicelib.services import deliveries, documents, orderers, views
from chalicelib.store import access_log, list_counts, objects
from chalicelib.store import guarantees as store

NUMBER_PATTERN = SHAPE
VIEW_LIMIT_ON_PAGE = 50

__all__ = [
    "Filters",
    "certificate",
    "certificate_pdf_url",
    "detail",
    "key_notice_pdf_url",
    "history",
    "list_guarantees",
    "normalise_number",
    "overview",
    "views_of",
]


@dataclass(frozen=True)
class Filters:
    """The search of 保証契約一覧 (API.md `GET /api/guarantees`). Dates are ISO `YYYY-MM-DD`."""

    kind: str | None = None
    form: str | None = None
    issued_from: str | None = None
    issued_to: str | None = None
    project: str | None = None
    number: str | None = None


def _fold(text: str) -> str:
    """Full-width and half-width, upper and lower case compare equal in 工事名 searches."""
    return unicodedata.normalize("NFKC", text).casefold()


def list_item(g: Guarantee) -> dict[str, Any]:
    d = g.details or {}
    return {
        "number": g.number,
        "kind": g.kind,
        "form": g.form,
        "status": views.status(g, clock.today()),
        "orderer_id": g.orderer_id,
        "orderer_name": d.get("orderer_name"),
        "project_name": d.get("project_name"),
        "contract_amount": d.get("contract_amount"),
        "guarantee_amount": d.get("guarantee_amount"),
        "issued_at": g.issued_at,
    }


def _period(filters: Filters) -> tuple[str | None, str | None]:
    """Inclusive dates → bounds on the ISO `issued_at` sort key (all written in +09:00).

    `issued_at` strings start with their JST date, so `from` is the bare date
    (sorts before that day's first time) and `to` is the next day's bare date
    (sorts after every time of the last day, before any of the next day)."""
    errors = []
    low = high = None
    if filters.issued_from:
        low = filters.issued_from
    if filters.issued_to:
        high = (dt.date.fromisoformat(filters.issued_to) + dt.timedelta(days=1)).isoformat()
    if low and filters.issued_to and low > filters.issued_to:
        errors.append(FieldError("issued_to", "期間の終わりは始まり以降の日付を指定してください。"))
    if errors:
        raise ValidationFailed(errors)
    return low, high


def _keep(filters: Filters) -> Callable[[Guarantee], bool]:
    needle = _fold(filters.project) if filters.project else None

    def keep(g: Guarantee) -> bool:
        if g.kind == "contract_reservation":  # issue 17: reservations have their own list and tab
            return False
        if filters.kind and g.kind != filters.kind:
            return False
        if filters.form and g.form != filters.form:
            return False
        if needle and needle not in _fold((g.details or {}).get("project_name") or ""):
            return False
        return True

    return keep


def list_total(principal: Principal, filters: Filters) -> int | None:
    """How many items the unfiltered list (or its 電子保証 tab) holds, from the kept count; None
    for a filtered list or before the count exists (the pager then says next/previous only)."""
    narrowed = (filters.kind, filters.issued_from, filters.issued_to, filters.project, filters.number)
    if any(narrowed) or filters.form not in (None, "electronic"):
        return None
    return list_counts.count("electronic" if filters.form == "electronic" else "guarantees", principal.org_id)


def list_guarantees(
    principal: Principal, filters: Filters, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """保証契約一覧: the caller's organisation's guarantees, newest first, full pages."""
    low, high = _period(filters)
    keep = _keep(filters)
    if filters.number:
        return _pinpoint(principal, filters, low, high, keep), None
    scope = repr(sorted((k, v) for k, v in vars(filters).items() if k != "number"))
    found, next_cursor = store.list_by_contractor(principal.org_id, low, high, limit, cursor, keep, scope)
    return [list_item(g) for g in found], next_cursor


def _pinpoint(
    principal: Principal, filters: Filters, low: str | None, high: str | None, keep: Callable[[Guarantee], bool]
) -> list[dict[str, Any]]:
    """ピンポイント検索: one Get by 保証契約番号; the other conditions still apply."""
    number = read_number(filters.number)
    g = _find(number, principal)
    if g is None or not keep(g):
        return []
    if (low and g.issued_at < low) or (high and g.issued_at >= high):
        return []
    return [list_item(g)]


def _find(number: str, principal: Principal) -> Guarantee | None:
    g = store.get(number)
    if g is None or g.contractor_org != principal.org_id:
        return None
    return g


def _own(number: str, principal: Principal) -> Guarantee:
    """The guarantee if it is the caller's; NotFound (one body) if missing or not theirs."""
    g = _find(number, principal)
    if g is None:
        raise NotFound()
    return g


def detail(principal: Principal, number: str) -> dict[str, Any]:
    """電子保証概要: the latest state, the 認証キー (electronic only) and the version history."""
    g = _own(number, principal)
    return views.guarantee_view(g, store.history(g.number), clock.today())


def certificate(principal: Principal, number: str, version: int | None = None) -> dict[str, Any]:
    """The certificate content of one version as issued (the latest by default)."""
    g = _own(number, principal)
    wanted = int(version) if version is not None else g.latest_version
    cert = store.version(g.number, wanted)
    if cert is None:
        raise NotFound()
    return cert.content


def certificate_pdf_url(principal: Principal, number: str) -> str:
    """A 60-second URL of the newest certificate PDF."""
    g = _own(number, principal)
    key = _present(g, "pdf_key")
    return objects.presigned_url(key, f"{g.number}_certificate.pdf")


def key_notice_pdf_url(principal: Principal, number: str) -> str:
    """A 60-second URL of 「電子保証にかかる「認証キー」のお知らせ」; paper and cancelled guarantees have none."""
    return key_notice_url_of(_own(number, principal))


def key_notice_url_of(g: Guarantee) -> str:
    """The key notice's 60-second URL for a guarantee the caller may see (the contractor's own, or
    a clerk's branch's: the approver hands it to the contractor after a reissue)."""
    if not g.electronic or g.status == "cancelled":
        raise NotFound()
    key = _present(g, "key_notice_key")
    return objects.presigned_url(key, f"{g.number}_key_notice.pdf")


def _present(g: Guarantee, attribute: str) -> str:
    """The newest version's object for a document, re-rendered from the stored content if the
    object itself was lost (never a link to nothing); NotFound when no version has one."""
    version = next((v for v in reversed(store.history(g.number)) if getattr(v, attribute)), None)
    if version is None:
        raise NotFound()
    key = getattr(version, attribute)
    if not objects.exists(key):
        documents.restore(version, attribute, g.auth_key)
    return key


def _view_row(row: AccessLogEntry) -> dict[str, Any]:
    return {"at": row.time, "orderer_id": row.orderer_id, "result": row.result}


def _is_view(g: Guarantee) -> Callable[[AccessLogEntry], bool]:
    """閲覧履歴 lists what the orderer the guarantee names saw; other attempts are only counted."""
    return lambda row: row.orderer_id == g.orderer_id and row.result in access_log.SUCCESS_RESULTS


def views_of(
    principal: Principal, number: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> dict[str, Any]:
    """閲覧履歴 (API.md): the named orderer's views, newest first, and failed attempts by anyone
    only as `{count, last_at}` — so nobody else can fill the contractor's list."""
    g = _own(number, principal)
    rows, next_cursor = access_log.for_number(g.number, limit, cursor, _is_view(g), scope="views")
    return {
        "items": [_view_row(r) for r in rows],
        "next_cursor": next_cursor,
        "failed_attempts": _failed(g.number),
    }


def _failed(number: str) -> dict[str, Any]:
    failed = access_log.failed_attempts(number)
    return {"count": failed["count"], "last_at": failed["last_at"]}


def overview(principal: Principal, number: str) -> dict[str, Any]:
    """The 電子保証概要 page: `detail` plus the newest 閲覧履歴 with the orderers' names."""
    g = _own(number, principal)
    summary = views.guarantee_view(g, store.history(g.number), clock.today())
    rows, more = access_log.for_number(g.number, VIEW_LIMIT_ON_PAGE, None, _is_view(g), scope="views")
    recent = [_view_row(r) for r in rows]
    names = orderers.names() if recent else {}
    for row in recent:
        row["orderer_name"] = names.get(row["orderer_id"], row["orderer_id"])
    return {
        "guarantee": summary,
        "views": recent,
        "more_views": more is not None,
        "failed_attempts": _failed(g.number),
        **deliveries.for_overview(g),  # issue 29: 提出
    }


#: The 電子保証履歴一覧 reads at most this many guarantees (newest issue first) per request.
HISTORY_CAP = 2000


def history(principal: Principal, page_no: int, size: int) -> dict[str, Any]:
    """電子保証履歴一覧: every electronic-certificate event (新規・訂正・変更・取消 of each version)
    across the organisation's guarantees, newest first, one page of `size`, with the totals."""
    events = [
        {
            "number": g.number,
            "kind": g.kind,
            "version": v.version,
            "version_kind": v.kind,
            "issued_at": v.issued_at,
            "project_name": (g.details or {}).get("project_name"),
            "orderer_name": (g.details or {}).get("orderer_name"),
        }
        for g in store.all_of_contractor(principal.org_id, HISTORY_CAP)
        if g.form == "electronic"
        for v in g.history
    ]
    events.sort(key=lambda e: (e["issued_at"], e["number"], e["version"]), reverse=True)
    total = len(events)
    pages = max(1, -(-total // size))
    page_no = min(max(page_no, 1), pages)
    start = (page_no - 1) * size
    return {
        "items": events[start : start + size],
        "total": total,
        "pages": pages,
        "page": page_no,
        "first_index": start + 1,
    }
