"""handlers/staff.py: a version's body as the JSON route checks it before any service runs — the
schema (a known kind, known fields); the dates are domain/version_changes.py's (tests/unit/domain/test_version_changes.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain import validation
from chalicelib.handlers import staff


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "change", "changes": {"bogus": 1}}, "changes.bogus"),
        ({"kind": "renewal"}, "kind"),
    ],
)
def test_the_version_body_refuses_an_unknown_kind_or_field(payload, field):
    errors = validation.validate({**payload, "reason": "発注者からの依頼"}, staff.VERSION_BODY)
    assert field in [e.field for e in errors]


def test_a_version_body_within_the_schema_passes():
    body = {"kind": "change", "changes": {"guarantee_amount": 1, "period_end": "2027-02-28"}, "reason": "増額"}
    assert validation.validate(body, staff.VERSION_BODY) == []
