"""保証料, the ledger: a subject's fee quoted, frozen at submission, read, and required settled.

The surety company concludes a guarantee only once its fee is received
(「保証料を受領後、保証契約を締結」): every application and reservation gets its
fee frozen when it is submitted (the amount the contractor was shown on 申込確認
and in the 201), and issuing refuses a fee that is neither paid nor waived (409
on `fees`). Staff record the payment or waiver in services/fee_payments.py; a
quote of an unsubmitted body is services/fee_quotes.py; the 保証料計算書 is
services/fee_statements.py.

A subject whose fee row is missing (submitted before fees existed, or a crash
between the two writes) gets it computed and frozen on first read.

This module is the leaf the other fee rooms, submission and issuance build on:
it imports no other service (tests/unit/test_layers.py holds that).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain import fees as fee_domain
from chalicelib.domain.errors import Conflict, FieldError
from chalicelib.domain.fees import FeeRecord, Quote
from chalicelib.store import fees as fee_store

UNPAID = FieldError("fees", "保証料の入金 (または免除) が記録されていないため発行できません。")


def quote_form(kind: str, form: Mapping[str, Any]) -> Quote:
    """The quote of a normalised application or reservation form, from the stage's rate table."""
    table = fee_store.rate_table()
    if kind == "application":
        return fee_domain.quote_application(table, form)
    return fee_domain.quote_reservation(table, form)


def ensure(kind: str, ident: str, form: Mapping[str, Any]) -> FeeRecord:
    """The subject's frozen fee, creating it from the current rates if it has none yet."""
    subject = fee_domain.subject(kind, ident)
    record = fee_store.get(subject)
    if record is None:
        record = fee_store.create(subject, quote_form(kind, form))
    return record


def views(kind: str, items: list[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """`fees` for a page of subjects (id, form): one BatchGet, missing ones created."""
    found = fee_store.get_many([fee_domain.subject(kind, ident) for ident, _ in items])
    out: dict[str, dict[str, Any]] = {}
    for ident, form in items:
        record = found.get(fee_domain.subject(kind, ident)) or ensure(kind, ident, form)
        out[ident] = record.as_api()
    return out


def frozen(kind: str, ident: str, form: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """For a submission: the writes that freeze its fee (to join its own transaction) and the `fees` it answers."""
    writes, record = fee_store.create_writes(fee_domain.subject(kind, ident), quote_form(kind, form))
    return writes, record.as_api()


def require_settled(kind: str, ident: str, form: Mapping[str, Any], *, settled: bool = False) -> FeeRecord | None:
    """Called by issuance: a Conflict on `fees` unless the fee is paid or waived.

    `settled`: the subject's own row already says so (an application's `fee_settled`,
    written with the payment or waiver), so no read is needed."""
    if settled:
        return None
    record = ensure(kind, ident, form)
    if not record.settled:
        raise Conflict([UNPAID])
    return record
