"""保証料 (guarantee fees) in integer yen, from a rate table that is data (chalicelib/data/fee_rates.json).

Pure: no AWS, no I/O. The table is handed in (`RateTable`), so the rates live
in one DynamoDB table and never in code.

How a fee is computed (the rounding is also written next to the table):
- the basis amount (前払金保証金額, 契約保証金額, or the 入札金額 of a 予約) is cut into
  the table's amount bands; each slice is multiplied by its band's rate for the
  guarantee period's tier (rates are integers in 1/100,000, so 300 = 0.300%);
- the slices are summed exactly (integers), then cut down to whole yen and then
  to the product's `rounding_unit` (100円未満切り捨て);
- a result below the product's minimum fee is raised to the minimum.
Because the bands are progressive (like a tax table) and every rate is ≥ 0, the
fee never decreases when the amount grows, even where a higher band has a lower
rate; it cannot jump down at a band edge. Rates never decrease with the period
either (checked when a table is loaded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.dates import RESERVATION_VALID_DAYS

RATE_DENOMINATOR = 100_000
PRODUCTS = ("advance_payment", "contract_guarantee", "reservation")


class RateTableError(ValueError):
    """The rate data is not a usable table (an operator's mistake, caught at load time)."""


@dataclass(frozen=True)
class Band:
    lower: int  # inclusive, yen
    upper: int | None  # exclusive, yen; None = no upper end
    rates: tuple[int, ...]  # one per period tier, in 1/100,000


@dataclass(frozen=True)
class ProductRates:
    product: str
    label: str  # 前払金保証料 …
    basis_label: str  # 前払金保証金額 …
    minimum_fee: int
    rounding_unit: int
    period_tiers_days: tuple[int | None, ...]  # ascending upper bounds; the last is None
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class RateTable:
    products: Mapping[str, ProductRates]
    provenance: str = ""

    def __getitem__(self, product: str) -> ProductRates:
        return self.products[product]


@dataclass(frozen=True)
class Slice:
    lower: int
    upper: int | None
    portion: int  # yen of the basis that falls in this band
    rate: int  # in 1/100,000


@dataclass(frozen=True)
class FeeLine:
    """One product's fee with everything a 保証料計算書 prints."""

    product: str
    label: str
    basis_label: str
    basis: int
    days: int
    slices: tuple[Slice, ...]
    computed: int  # before the minimum
    minimum_fee: int
    amount: int  # what is charged

    def as_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "label": self.label,
            "basis_label": self.basis_label,
            "basis": self.basis,
            "days": self.days,
            "slices": [{"lower": s.lower, "upper": s.upper, "portion": s.portion, "rate": s.rate} for s in self.slices],
            "computed": self.computed,
            "minimum_fee": self.minimum_fee,
            "amount": self.amount,
        }


def rate_percent(rate: int) -> str:
    """300 → '0.300%' (how a rate in 1/100,000 is shown to people)."""
    return f"{rate / 1000:.3f}%"


def tier_index(rates: ProductRates, days: int) -> int:
    for i, limit in enumerate(rates.period_tiers_days):
        if limit is None or days <= limit:
            return i
    return len(rates.period_tiers_days) - 1  # unreachable for a validated table


def compute(rates: ProductRates, basis: int, days: int) -> FeeLine:
    """The fee for `basis` yen guaranteed for `days` days (see the module docstring)."""
    if basis < 0:
        raise ValueError("basis must be >= 0")
    tier = tier_index(rates, max(days, 0))
    slices: list[Slice] = []
    total = 0
    for band in rates.bands:
        if basis <= band.lower:
            break
        top = basis if band.upper is None else min(basis, band.upper)
        portion = top - band.lower
        rate = band.rates[tier]
        slices.append(Slice(band.lower, band.upper, portion, rate))
        total += portion * rate
    yen = total // RATE_DENOMINATOR
    computed = yen - yen % rates.rounding_unit
    return FeeLine(
        product=rates.product,
        label=rates.label,
        basis_label=rates.basis_label,
        basis=basis,
        days=days,
        slices=tuple(slices),
        computed=computed,
        minimum_fee=rates.minimum_fee,
        amount=max(computed, rates.minimum_fee),
    )


def period_days(start: str, end: str) -> int:
    """A guarantee period counted inclusively (工期始 to 工期末 = 保証期限)."""
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1


@dataclass(frozen=True)
class Quote:
    """API.md's `fees` before payment: one amount per product (None = not requested) and the total."""

    lines: tuple[FeeLine, ...]

    def amount(self, product: str) -> int | None:
        return next((line.amount for line in self.lines if line.product == product), None)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def as_api(self) -> dict[str, int | None]:
        return {
            "advance_payment": self.amount("advance_payment"),
            "contract_guarantee": self.amount("contract_guarantee"),
            "reservation": self.amount("reservation"),
            "total": self.total,
        }


def quote_application(table: RateTable, form: Mapping[str, Any]) -> Quote:
    """The 前払金保証料 and 契約保証料 of a normalised application form (工期 as the period)."""
    project = form["project"]
    days = period_days(project["period_start"], project["period_end"])
    lines = []
    for product in ("advance_payment", "contract_guarantee"):
        section = form.get(product)
        if section:
            lines.append(compute(table[product], int(section["amount"]), days))
    return Quote(tuple(lines))


def quote_reservation(table: RateTable, form: Mapping[str, Any]) -> Quote:
    """The 契約保証予約手数料 of a normalised reservation form (basis: the 入札金額)."""
    return Quote((compute(table["reservation"], int(form["bid_amount"]), RESERVATION_VALID_DAYS),))


def parse_table(data: Mapping[str, Any]) -> RateTable:
    """The JSON rate data as a validated `RateTable`; RateTableError says what is wrong."""
    products: dict[str, ProductRates] = {}
    for raw in data.get("products") or []:
        p = parse_product(raw)
        products[p.product] = p
    missing = [p for p in PRODUCTS if p not in products]
    if missing:
        raise RateTableError(f"rate table lacks products: {missing}")
    return RateTable(products, str(data.get("provenance") or ""))


def parse_product(raw: Mapping[str, Any]) -> ProductRates:
    try:
        tiers = tuple(None if t is None else int(t) for t in raw["period_tiers_days"])
        bands = tuple(
            Band(int(b["from"]), None if b["to"] is None else int(b["to"]), tuple(int(r) for r in b["rates"]))
            for b in raw["bands"]
        )
        p = ProductRates(
            product=str(raw["product"]),
            label=str(raw["label"]),
            basis_label=str(raw["basis"]),
            minimum_fee=int(raw["minimum_fee"]),
            rounding_unit=int(raw["rounding_unit"]),
            period_tiers_days=tiers,
            bands=bands,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RateTableError(f"malformed rate entry: {exc}") from None
    _validate(p)
    return p


def _validate(p: ProductRates) -> None:
    name = p.product
    if name not in PRODUCTS:
        raise RateTableError(f"unknown product {name!r}")
    if p.minimum_fee < 0 or p.rounding_unit < 1:
        raise RateTableError(f"{name}: minimum_fee must be >= 0 and rounding_unit >= 1")
    tiers = p.period_tiers_days
    if not tiers or tiers[-1] is not None or any(t is None for t in tiers[:-1]):
        raise RateTableError(f"{name}: period tiers must end with null (no upper limit), and only there")
    bounded = [t for t in tiers if t is not None]
    if bounded != sorted(set(bounded)):
        raise RateTableError(f"{name}: period tiers must ascend")
    if not p.bands or p.bands[0].lower != 0 or p.bands[-1].upper is not None:
        raise RateTableError(f"{name}: bands must start at 0 and the last must have no upper end")
    for a, b in zip(p.bands, p.bands[1:], strict=False):
        if a.upper is None or a.upper != b.lower or a.upper <= a.lower:
            raise RateTableError(f"{name}: bands must be contiguous and ascending")
    for band in p.bands:
        if len(band.rates) != len(tiers) or any(r < 0 for r in band.rates):
            raise RateTableError(f"{name}: each band needs one rate >= 0 per period tier")
        if list(band.rates) != sorted(band.rates):
            raise RateTableError(f"{name}: a longer period must not cost less")


class AlreadySettled(Exception):
    """A payment or waiver is already recorded for this fee (a second one is a 409)."""


@dataclass(frozen=True)
class FeeRecord:
    """The stored 保証料 of one application or reservation (the quote frozen at submission)."""

    subject: str  # application#<id> | reservation#<id>
    total: int
    amounts: Mapping[str, int | None]
    lines: tuple[Mapping[str, Any], ...]
    quoted_at: str
    paid_on: str | None = None
    paid_amount: int | None = None
    waived: Mapping[str, str] | None = None

    @property
    def settled(self) -> bool:
        """Paid or waived: only then may the guarantee (or 予約証書) be issued."""
        return self.paid_on is not None or self.waived is not None

    def as_api(self) -> dict[str, Any]:
        """API.md's `fees` of a read: the amounts, the total, `paid_on` and `waived` (null until then)."""
        return {
            "advance_payment": self.amounts.get("advance_payment"),
            "contract_guarantee": self.amounts.get("contract_guarantee"),
            "reservation": self.amounts.get("reservation"),
            "total": self.total,
            "paid_on": self.paid_on,
            "waived": dict(self.waived) if self.waived else None,
        }


def subject(kind: str, ident: str) -> str:
    """The fee's key: one per application or reservation."""
    if kind not in ("application", "reservation"):
        raise ValueError(f"unknown fee subject kind: {kind!r}")
    return f"{kind}#{ident}"
