"""The contractor's guarantees (保証契約一覧, 電子保証概要, certificate, downloads, 閲覧履歴).

Everything here is read through keys: the list is a Query on the contractor
index (the 期間 filter is its key condition, the other filters are `keep`
predicates so pages stay full), the rest are Gets and Queries by 保証契約番号.
Another organisation's guarantee is answered exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import clock
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.status import effective_status
from chalicelib.store import objects, paging
from chalicelib.store.models import AccessLogModel, CertificateModel, GuaranteeModel, GuaranteesByContractorIndex

NUMBER_PATTERN = re.compile(r"^\d{5}-\d{6}[A-Z]$")
MAX_NUMBER_LENGTH = 32  # anything longer cannot be a 保証契約番号; never sent to DynamoDB
BAD_CURSOR = FieldError("cursor", "cursor が正しくありません。最初のページからやり直してください。")
INDEX_KEYS = {"number", "contractor_org", "issued_at"}
LOG_KEYS = {"number", "at"}


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


def normalise_number(raw: str) -> str:
    """A typed 保証契約番号: full-width digits/letters and stray spaces are forgiven."""
    text = unicodedata.normalize("NFKC", raw).strip().upper().replace("ー", "-").replace("－", "-")
    return re.sub(r"\s+", "", text)


def _status(g: GuaranteeModel) -> str:
    return effective_status(g.status, g.deadline, clock.today())


def list_item(g: GuaranteeModel) -> dict[str, Any]:
    d = g.details or {}
    return {
        "number": g.number,
        "kind": g.kind,
        "form": g.form,
        "status": _status(g),
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


def _range_condition(low: str | None, high: str | None) -> Any:
    key = GuaranteesByContractorIndex.issued_at
    if low and high:
        return key.between(low, high)
    if low:
        return key >= low
    if high:
        return key < high
    return None


def _keep(filters: Filters) -> Callable[[GuaranteeModel], bool]:
    needle = _fold(filters.project) if filters.project else None

    def keep(g: GuaranteeModel) -> bool:
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


def _is_string_value(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)


def _check_start(start: dict[str, Any] | None, org: str, low: str | None, high: str | None) -> None:
    """A signed cursor is still checked against this Query: another list's or another
    organisation's key, or one outside the period, would make DynamoDB fail."""
    if start is None:
        return
    try:
        if set(start) != INDEX_KEYS or not all(_is_string_value(v) for v in start.values()):
            raise ValueError
        issued = start["issued_at"]["S"]
        if start["contractor_org"]["S"] != org:
            raise ValueError
        if (low and issued < low) or (high and issued >= high):
            raise ValueError
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed([BAD_CURSOR]) from None


def list_guarantees(
    principal: Principal, filters: Filters, limit: int = paging.DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """保証契約一覧: the caller's organisation's guarantees, newest first, full pages."""
    low, high = _period(filters)
    keep = _keep(filters)
    if filters.number:
        return _pinpoint(principal, filters, low, high, keep), None
    org = principal.org_id
    condition = _range_condition(low, high)

    def run_query(start: dict[str, Any] | None, size: int) -> Any:
        _check_start(start, org, low, high)
        return GuaranteeModel.by_contractor.query(
            org,
            range_key_condition=condition,
            scan_index_forward=False,
            limit=size,
            page_size=size,
            last_evaluated_key=start,
        )

    found, next_cursor = paging.page(run_query, limit, cursor, keep)
    return [list_item(g) for g in found], next_cursor


def _pinpoint(
    principal: Principal, filters: Filters, low: str | None, high: str | None, keep: Callable[[GuaranteeModel], bool]
) -> list[dict[str, Any]]:
    """ピンポイント検索: one Get by 保証契約番号; the other conditions still apply."""
    number = normalise_number(filters.number or "")
    if not NUMBER_PATTERN.match(number):
        raise ValidationFailed([FieldError("number", "保証契約番号は 30072-000001M の形式で入力してください。")])
    g = _find(number, principal)
    if g is None or not keep(g):
        return []
    if (low and g.issued_at < low) or (high and g.issued_at >= high):
        return []
    return [list_item(g)]


def _find(number: str, principal: Principal) -> GuaranteeModel | None:
    if not number or len(number) > MAX_NUMBER_LENGTH:
        return None
    try:
        g = GuaranteeModel.get(number)
    except DoesNotExist:
        return None
    if g.contractor_org != principal.org_id:
        return None
    return g


def _own(number: str, principal: Principal) -> GuaranteeModel:
    """The guarantee if it is the caller's; NotFound (one body) if missing or not theirs."""
    g = _find(number, principal)
    if g is None:
        raise NotFound()
    return g


def _versions(number: str) -> list[CertificateModel]:
    return list(CertificateModel.query(number, scan_index_forward=True))


def detail(principal: Principal, number: str) -> dict[str, Any]:
    """電子保証概要: the latest state, the 認証キー (electronic only) and the version history."""
    g = _own(number, principal)
    d = g.details or {}
    return {
        "number": g.number,
        "kind": g.kind,
        "form": g.form,
        "status": _status(g),
        "contractor_name": d.get("contractor_name"),
        "jv_name": d.get("jv_name"),
        "project_name": d.get("project_name"),
        "orderer_id": g.orderer_id,
        "orderer_name": d.get("orderer_name"),
        "contract_amount": d.get("contract_amount"),
        "guarantee_amount": d.get("guarantee_amount"),
        "deposit_bank": d.get("deposit_bank"),
        "deadline": g.deadline,
        "auth_key": g.auth_key if g.form == "electronic" else None,
        "versions": [
            {"version": int(c.version), "kind": c.kind, "issued_at": c.issued_at, "sha256": c.sha256}
            for c in _versions(g.number)
        ],
    }


def certificate(principal: Principal, number: str, version: int | None = None) -> dict[str, Any]:
    """The certificate content of one version as issued (the latest by default)."""
    g = _own(number, principal)
    wanted = int(version) if version is not None else int(g.latest_version)
    try:
        cert = CertificateModel.get(g.number, wanted)
    except DoesNotExist:
        raise NotFound() from None
    return cert.content


def _latest_object(number: str, attribute: str) -> str | None:
    """The newest version's object key for a document (a version without one keeps the older)."""
    for cert in CertificateModel.query(number, scan_index_forward=False):
        key = getattr(cert, attribute)
        if key:
            return key
    return None


def certificate_pdf_url(principal: Principal, number: str) -> str:
    """A 60-second URL of the newest certificate PDF."""
    g = _own(number, principal)
    key = _latest_object(g.number, "pdf_key")
    if not key:
        raise NotFound()
    return objects.presigned_url(key, f"{g.number}_certificate.pdf")


def key_notice_pdf_url(principal: Principal, number: str) -> str:
    """A 60-second URL of 「電子保証にかかる「認証キー」のお知らせ」; paper guarantees have none."""
    g = _own(number, principal)
    if g.form != "electronic":
        raise NotFound()
    key = _latest_object(g.number, "key_notice_key")
    if not key:
        raise NotFound()
    return objects.presigned_url(key, f"{g.number}_key_notice.pdf")


def _view(row: AccessLogModel) -> dict[str, Any]:
    return {"at": row.at.split("#", 1)[0], "orderer_id": row.orderer_id, "result": row.result}


def views(
    principal: Principal, number: str, limit: int = paging.DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """閲覧履歴: who verified this guarantee, when, with what result; newest first."""
    g = _own(number, principal)

    def run_query(start: dict[str, Any] | None, size: int) -> Any:
        valid = start is None or (
            set(start) == LOG_KEYS
            and all(_is_string_value(v) for v in start.values())
            and start["number"]["S"] == g.number
        )
        if not valid:
            raise ValidationFailed([BAD_CURSOR])
        return AccessLogModel.query(
            g.number, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start
        )

    rows, next_cursor = paging.page(run_query, limit, cursor)
    return [_view(r) for r in rows], next_cursor


VIEW_LIMIT_ON_PAGE = 50


def overview(principal: Principal, number: str) -> dict[str, Any]:
    """The 電子保証概要 page: `detail` plus the newest 閲覧履歴 with the orderers' names."""
    from chalicelib.services import orderers

    summary = detail(principal, number)
    recent, more = views(principal, summary["number"], VIEW_LIMIT_ON_PAGE)
    names = {o["id"]: o["name"] for o in orderers.list_orderers()} if recent else {}
    for row in recent:
        row["orderer_name"] = names.get(row["orderer_id"], row["orderer_id"])
    return {"guarantee": summary, "views": recent, "more_views": more is not None}
