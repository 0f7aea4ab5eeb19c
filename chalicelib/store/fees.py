"""The 保証料 repositories: the rate table (fee_rates) and each subject's fee (fees).

Plain dataclasses of `domain.fees` go in and out; PynamoDB stays here.

`load_rate_table()` is the one way rates get into a stage: the local stack and
the test seed call it, and so must a deploy (after the stack exists:
`python -m chalicelib.store.fees` with the stage's environment). The JSON is
validated by `domain.fees.parse_table` before anything is written, so a bad
file never replaces a good table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib import settings
from chalicelib.domain import clock
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.fees import (
    PRODUCTS,
    AlreadySettled,
    FeeRecord,
    Quote,
    RateTable,
    RateTableError,
    parse_product,
    parse_table,
)
from chalicelib.store import audit, tx
from chalicelib.store.models import ApplicationModel, FeeModel, FeeRateModel

RATES_FILE = settings.PACKAGE_DIR / "data" / "fee_rates.json"


# ---------------------------------------------------------------- rates


#: The stage's rate table, read once per container (reference data, like the orderers): a
#: submission's fee costs no read. `load_rate_table` replaces it; `clear_cache` forgets it.
_CACHE: dict[str, RateTable] = {}


def clear_cache() -> None:
    _CACHE.clear()


def load_rate_table(path: Path | str | None = None) -> RateTable:
    """Validate the JSON rate data and write one item per product. Returns the table loaded."""
    data = json.loads(Path(path or RATES_FILE).read_text(encoding="utf-8"))
    table = parse_table(data)  # raises RateTableError before any write
    now = clock.iso_now()
    raw_by_product = {p["product"]: p for p in data["products"]}
    for product in PRODUCTS:
        FeeRateModel(product, table=raw_by_product[product], provenance=table.provenance, loaded_at=now).save()
    _CACHE["table"] = table
    return table


def rate_table() -> RateTable:
    """The stage's rate table (one BatchGet per container). RateTableError when it was never loaded."""
    if "table" in _CACHE:
        return _CACHE["table"]
    found = {row.product: row for row in FeeRateModel.batch_get(list(PRODUCTS))}
    missing = [p for p in PRODUCTS if p not in found]
    if missing:
        raise RateTableError(f"fee_rates table lacks {missing}: run chalicelib.store.fees.load_rate_table()")
    products = {p: parse_product(found[p].table) for p in PRODUCTS}
    _CACHE["table"] = RateTable(products, found[PRODUCTS[0]].provenance or "")
    return _CACHE["table"]


# ---------------------------------------------------------------- fees


def _record(row: FeeModel) -> FeeRecord:
    return FeeRecord(
        subject=row.subject,
        total=int(row.total),
        amounts=dict(row.amounts or {}),
        lines=tuple(row.lines or ()),
        quoted_at=row.quoted_at,
        paid_on=row.paid_on,
        paid_amount=None if row.paid_amount is None else int(row.paid_amount),
        waived=row.waived,
    )


def get(subject: str) -> FeeRecord | None:
    try:
        return _record(FeeModel.get(subject, consistent_read=True))
    except FeeModel.DoesNotExist:
        return None


def get_many(subjects: list[str]) -> dict[str, FeeRecord]:
    """The fees of a page of applications or reservations in one BatchGet."""
    wanted = list(dict.fromkeys(subjects))
    if not wanted:
        return {}
    return {row.subject: _record(row) for row in FeeModel.batch_get(wanted)}


def _new_row(subject: str, quote: Quote) -> FeeModel:
    row = FeeModel(
        subject,
        total=quote.total,
        amounts=quote.as_api(),
        lines=[line.as_dict() for line in quote.lines],
        quoted_at=clock.iso_now(),
    )
    row.amounts.pop("total", None)
    return row


def create_writes(subject: str, quote: Quote) -> tuple[tx.Writes, FeeRecord]:
    """The put of a subject's frozen fee, for its submission's own transaction, and the record it makes."""
    row = _new_row(subject, quote)
    return tx.Writes().put(row, condition=FeeModel.subject.does_not_exist()), _record(row)


def create(subject: str, quote: Quote) -> FeeRecord:
    """Freeze a quote for a subject; a repeat (a retried submission) keeps the first one."""
    row = FeeModel(
        subject,
        total=quote.total,
        amounts=quote.as_api(),
        lines=[line.as_dict() for line in quote.lines],
        quoted_at=clock.iso_now(),
    )
    row.amounts.pop("total", None)
    try:
        row.save(condition=FeeModel.subject.does_not_exist())
    except PutError as exc:
        if not tx.condition_failed(exc):
            raise
        return _record(FeeModel.get(subject, consistent_read=True))
    return _record(row)


def _settle(subject: str, actions: list[Any], entry: AuditEntry) -> FeeRecord:
    """The payment or waiver and its audit record in ONE transaction, only if the fee is still open."""
    writes = tx.Writes().update(
        FeeModel(subject),
        actions=actions,
        condition=FeeModel.subject.exists() & FeeModel.paid_on.does_not_exist() & FeeModel.waived.does_not_exist(),
    )
    kind, _, ident = subject.partition("#")
    if kind == "application":  # the flag issuing reads with the application itself (no extra read)
        writes.update(
            ApplicationModel(ident),
            actions=[ApplicationModel.fee_settled.set(True)],
            condition=ApplicationModel.application_id.exists(),
        )
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="fee")
    except tx.ConditionFailed:
        raise AlreadySettled(subject) from None
    stored = get(subject)
    if stored is None:  # pragma: no cover - the update's condition required the row
        raise AlreadySettled(subject)
    return stored


def record_payment(subject: str, amount: int, paid_on: str, by: str, entry: AuditEntry) -> FeeRecord:
    """入金の記録: once only (a conditional update), never over a waiver; audited (fee_payment)."""
    return _settle(
        subject,
        [
            FeeModel.paid_on.set(paid_on),
            FeeModel.paid_amount.set(amount),
            FeeModel.paid_by.set(by),
            FeeModel.paid_at.set(clock.iso_now()),
        ],
        entry,
    )


def record_waiver(subject: str, reason: str, by: str, entry: AuditEntry) -> FeeRecord:
    """免除の記録 `{reason, by, at}`: once only, never over a payment; audited (fee_waiver)."""
    return _settle(subject, [FeeModel.waived.set({"reason": reason, "by": by, "at": clock.iso_now()})], entry)


if __name__ == "__main__":  # the deploy's step: load the rates into the stage's table
    loaded = load_rate_table()
    print(json.dumps({"loaded": sorted(loaded.products), "provenance": loaded.provenance}, ensure_ascii=False))
