"""The clerks' search of guarantees (API.md "Staff: search, approvals, audit").

A clerk finds a guarantee again by its number (typed as a person types it),
by contractor or orderer (code, or part of the name), or by status — always within their own branch: another
branch's guarantee is not found, exactly like a missing one. Each search is one
Get or one Query on an index (by_contractor, by_orderer, by_branch), never a Scan;
the other conditions are applied to what the Query returns, and paging reads on
until the page is full (store/paging.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.errors import NotFound
from chalicelib.domain.numbers import normalise_number, read_number
from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import Guarantee
from chalicelib.domain.status import SEARCHABLE_GUARANTEE_STATUSES
from chalicelib.services import deliveries, views
from chalicelib.services.guarantees import key_notice_url_of, list_item
from chalicelib.store import guarantees as store

STATUSES = SEARCHABLE_GUARANTEE_STATUSES


@dataclass(frozen=True)
class Search:
    """What the clerk asked for; every field optional."""

    number: str | None = None
    contractor_id: str | None = None
    orderer_id: str | None = None
    status: str | None = None
    name: str | None = None  # part of the contractor's or the 発注者's name, as typed


def _fold(text: str) -> str:
    """Full and half width, upper and lower case, spaces: compare equal in a name search."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def staff_item(g: Guarantee) -> dict[str, Any]:
    """The contractor's list item plus who the contractor is."""
    return {
        **list_item(g),
        "contractor_id": g.contractor_org,
        "contractor_name": (g.details or {}).get("contractor_name"),
    }


def _keep(principal: Principal, search: Search) -> Callable[[Guarantee], bool]:
    today = clock.today()
    needle = _fold(search.name) if search.name else ""

    def keep(g: Guarantee) -> bool:
        if g.branch_id != principal.org_id:
            return False
        d = g.details or {}
        if needle and needle not in _fold(f"{d.get('contractor_name') or ''}\n{d.get('orderer_name') or ''}"):
            return False
        if search.contractor_id and g.contractor_org != search.contractor_id:
            return False
        if search.orderer_id and g.orderer_id != search.orderer_id:
            return False
        return not search.status or views.status(g, today) == search.status

    return keep


def _own(principal: Principal, number: str) -> Guarantee | None:
    g = store.get(number)
    return g if g is not None and g.branch_id == principal.org_id else None


def search(
    principal: Principal, wanted: Search, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The branch's guarantees matching `wanted`, newest first; a number is a pinpoint Get."""
    keep = _keep(principal, wanted)
    if wanted.number:
        g = _own(principal, read_number(wanted.number))
        return ([staff_item(g)] if g is not None and keep(g) else []), None
    # A cursor is bound to the list and every filter it was made with (store/paging.py).
    scope = (
        f"staff:{principal.org_id}:c={wanted.contractor_id or ''}:o={wanted.orderer_id or ''}:s={wanted.status or ''}"
        f":n={_fold(wanted.name or '')}"
    )
    if wanted.contractor_id:
        found, next_cursor = store.list_by_contractor(wanted.contractor_id, None, None, limit, cursor, keep, scope)
    elif wanted.orderer_id:
        found, next_cursor = store.list_by_orderer(wanted.orderer_id, limit, cursor, keep, scope)
    else:
        found, next_cursor = store.list_by_branch(principal.org_id, limit, cursor, keep, scope)
    return [staff_item(g) for g in found], next_cursor


def detail(principal: Principal, number: str) -> dict[str, Any]:
    """電子保証概要 plus `contractor_id` (and what else a clerk needs), for the clerk's branch only."""
    g = _own(principal, normalise_number(number))
    if g is None:
        raise NotFound()
    view = views.guarantee_view(g, store.history(g.number), clock.today(), staff=True)
    return {**view, "deliveries": deliveries.staff_items(g)}  # where it was handed over


def key_notice_pdf_url(principal: Principal, number: str) -> str:
    """The current 認証キーのお知らせ of a guarantee of the clerk's branch (after an approved reissue
    the approver prints it for the contractor); 404 for another branch's, paper or cancelled."""
    g = _own(principal, normalise_number(number))
    if g is None:
        raise NotFound()
    return key_notice_url_of(g)


def outstanding_for_contractor(principal: Principal, contractor_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The contractor's other guarantees still in force at this branch (the review's side panel)."""
    items, _ = search(principal, Search(contractor_id=contractor_id, status="valid"), limit, None)
    return items
