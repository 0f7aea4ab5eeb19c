"""The 保証申込 (guarantee application): normalisers, one rule per form section, and the schema.

Pure Python: the caller hands in what the rules need from outside (the
orderer's record as `orderers.Orderer`, today's date, and the set of characters the
certificate font can draw), so the same rules run for the JSON API, the
three-step form and, through `amount_rule_errors`, for a later 変更.

- `normalise`: what a person typed → stored values (total, idempotent);
- `rules`: one function per section (project, advance_payment,
  contract_guarantee, bid, delivery) and the rules across them;
- `amounts`: the ratio limits, shared with issuance and 変更 (`domain.limits`);
- `schema`: the body's JSON Schema and the values its choices take;
- `review`: `review_application`, which runs them all and returns every error.

This module re-exports what callers use, so `from chalicelib.domain.application
import …` keeps working.
"""

from __future__ import annotations

from chalicelib.domain.application.amounts import amount_rule_errors
from chalicelib.domain.application.normalise import (
    half_width_leftovers,
    normalise_date,
    normalise_datetime,
    normalise_postal_code,
    normalise_text,
    parse_amount,
    to_full_width,
)
from chalicelib.domain.application.review import review_application
from chalicelib.domain.application.schema import (
    APPLICATION_SCHEMA,
    CONTRACT_TYPES,
    FEE_PAYMENTS,
    FORMS,
    ORDER_TYPES,
    PRODUCTS,
    RECEIPTS,
)

__all__ = [
    "APPLICATION_SCHEMA",
    "CONTRACT_TYPES",
    "FEE_PAYMENTS",
    "FORMS",
    "ORDER_TYPES",
    "PRODUCTS",
    "RECEIPTS",
    "amount_rule_errors",
    "half_width_leftovers",
    "normalise_date",
    "normalise_datetime",
    "normalise_postal_code",
    "normalise_text",
    "parse_amount",
    "review_application",
    "to_full_width",
]
