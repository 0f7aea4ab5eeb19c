"""`review_application`: the whole 保証申込 normalised and checked, every error at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from chalicelib.domain.application import rules
from chalicelib.domain.application.collect import Review
from chalicelib.domain.application.normalise import as_dict
from chalicelib.domain.errors import FieldError
from chalicelib.domain.orderers import DEFAULT_ORDERER, Orderer, offers_e_surety


def review_application(
    body: Any,
    *,
    orderer: Orderer | None,
    today: dt.date,
    now: dt.datetime | None = None,
    charset: Collection[int] | None = None,
    registered_emails: Collection[str] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Normalise an application body and check every DESIGN.md §1 rule.

    `orderer` is the record named by `project.orderer_id` (None when unknown),
    `today`/`now` are JST, `charset` holds the code points the PDF font can draw
    (None skips that check), `registered_emails` the contractor's users' addresses (lower-case;
    None skips that check).
    Returns (normalised form, errors); the form is only meaningful without errors.
    Never raises, whatever the body's shape.
    """
    r = Review(charset)
    body = as_dict(body)
    project = rules.review_project(r, as_dict(body.get("project")), orderer=orderer, today=today)
    # No 発注者 chosen (or an unknown one) is its own error: the 形式 is not refused for it as well.
    e_surety = orderer is None or offers_e_surety(orderer)
    advance_in, contract_in = body.get("advance_payment"), body.get("contract_guarantee")
    advance = rules.review_advance_payment(r, advance_in, contract_amount=project["contract_amount"], e_surety=e_surety)
    contract = rules.review_contract_guarantee(r, contract_in, e_surety=e_surety)
    rules.check_requested(r, advance_in, contract_in)
    rules.check_amounts(r, project, advance, contract, orderer or DEFAULT_ORDERER)
    form = {
        "project": project,
        "advance_payment": advance,
        "contract_guarantee": contract,
        "bid": rules.review_bid(r, as_dict(body.get("bid")), today),
        "delivery": rules.review_delivery(r, as_dict(body.get("delivery")), today, now, registered_emails),
    }
    return form, list(r.errors.values())
