"""The application body's shape (API.md "Application body") and the values its choices may take.

The JSON Schema checks types, presence and unknown fields; the rules
(`rules.py`) do the rest. The same dict is the JSON route's declared body, so
the OpenAPI document publishes exactly what is enforced. The value tuples are
the vocabulary the rules and `domain/labels.py` share.
"""

from __future__ import annotations

from typing import Any

PRODUCTS = ("advance_payment", "contract_guarantee")
CONTRACT_TYPES = ("construction", "design_survey")
ORDER_TYPES = ("general", "designated", "negotiated", "other")
FORMS = ("paper", "electronic")
FEE_PAYMENTS = ("lump_sum",)
RECEIPTS = ("mail", "counter")


def _s(max_len: int = 200, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "maxLength": max_len}


def _i(nullable: bool = False) -> dict[str, Any]:
    return {"type": ["integer", "null"] if nullable else "integer", "minimum": 0, "maximum": 10**13}


def _enum(values: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _obj(required: list[str], properties: dict[str, Any], nullable: bool = False) -> dict[str, Any]:
    return {
        "type": ["object", "null"] if nullable else "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


_BOOL = {"type": "boolean"}

_PROJECT = _obj(
    ["name", "orderer_id", "contract_type", "contract_amount", "period_start", "period_end", "location"],
    {
        "name": _s(),
        "orderer_id": _s(16),
        "contract_type": _enum(CONTRACT_TYPES),
        "jv_name": _s(100, nullable=True),
        "contract_amount": _i(),
        "period_start": _s(20),
        "period_end": _s(20),
        "location": _s(),
    },
)

_ADVANCE_PAYMENT = _obj(
    ["amount", "deposit_bank", "fee_payment", "form"],
    {
        "amount": _i(),
        "this_year_amount": _i(nullable=True),
        "intermediate_amount": _i(nullable=True),
        "deposit_bank": _s(100),
        "redeposit": _BOOL,
        "fee_payment": _enum(FEE_PAYMENTS),
        "intermediate": _BOOL,
        "intermediate_planned": _BOOL,
        "form": _enum(FORMS),
    },
    nullable=True,
)

_CONTRACT_GUARANTEE = _obj(
    ["amount", "fee_payment", "form"],
    {"amount": _i(), "fee_payment": _enum(FEE_PAYMENTS), "form": _enum(FORMS), "low_bid": _BOOL},
    nullable=True,
)

_BID = _obj(
    ["order_type", "award_date"],
    {
        "order_type": _enum(ORDER_TYPES),
        "award_date": _s(20),
        "rounds": _i(nullable=True),
        "bidders": _i(nullable=True),
        "disqualified": _i(nullable=True),
        "second_bidder": _s(100, nullable=True),
        "second_amount_k": _i(nullable=True),
        "highest_bidder": _s(100, nullable=True),
        "highest_amount_k": _i(nullable=True),
    },
)

_DELIVERY = _obj(
    ["branch_id", "receipt", "notify"],
    {
        "branch_id": _s(32),
        "receipt": _enum(RECEIPTS),
        "receipt_date": _s(20, nullable=True),
        "visit_at": _s(40, nullable=True),
        "notify": _BOOL,
        "email": _s(254, nullable=True),
        "mail_to": _obj(
            [],
            {"name": _s(100, nullable=True), "postal_code": _s(10, nullable=True), "address": _s(200, nullable=True)},
            nullable=True,
        ),
    },
)

#: JSON Schema of the body: types, presence and unknown fields. The rules do the rest.
APPLICATION_SCHEMA: dict[str, Any] = _obj(
    ["project", "bid", "delivery"],
    {
        "project": _PROJECT,
        "advance_payment": _ADVANCE_PAYMENT,
        "contract_guarantee": _CONTRACT_GUARANTEE,
        "bid": _BID,
        "delivery": _DELIVERY,
    },
)
