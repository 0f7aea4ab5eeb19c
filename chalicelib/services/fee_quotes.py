"""`POST /api/fees/quote`: the 保証料 (or 予約手数料) a body would carry once submitted.

The body is reviewed exactly as its submission would review it (services/applications.py
or services/reservations.py), then quoted from the stage's rate table by the fee ledger
(services/fees.py). Nothing is stored.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.services import applications, fees, reservations


def quote(principal: Principal, product: str, body: Any) -> dict[str, int | None]:
    """The fees the body would carry once submitted.

    The body is reviewed exactly as the submission would review it; its errors are
    answered with their fields under `body.` and nothing is stored. A contractor's notice
    address is checked as its submission's would be; staff quoting one have no such address.
    """
    reviewer = applications if product == "application" else reservations
    try:
        form = reviewer.review(principal if principal.role == "contractor" else None, body)
    except ValidationFailed as exc:
        raise ValidationFailed(
            [FieldError(f"body.{e.field}" if e.field else "body", e.message) for e in exc.errors]
        ) from None
    return fees.quote_form(product, form).as_api()
