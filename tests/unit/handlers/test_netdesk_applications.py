"""handlers/netdesk_applications.py's error summary order: top to bottom as the form shows its fields."""

from __future__ import annotations

from chalicelib.domain.errors import FieldError
from chalicelib.handlers.netdesk_applications import FORM_FIELDS, in_form_order


def test_the_summary_lists_errors_in_the_forms_order_sections_with_their_first_field_unknown_last():
    found = [
        FieldError("delivery.email", "e"),
        FieldError("somewhere.else", "x"),
        FieldError("bid.award_date", "b"),
        FieldError("delivery.visit_at", "v"),
        FieldError("advance_payment", "a"),
        FieldError("project.name", "p"),
    ]
    assert list(in_form_order(found, FORM_FIELDS)) == [
        "project.name",
        "advance_payment",
        "bid.award_date",
        "delivery.visit_at",
        "delivery.email",
        "somewhere.else",
    ]
