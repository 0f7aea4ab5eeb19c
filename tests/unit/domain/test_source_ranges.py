"""domain/source_ranges.py: the CIDR blocks a machine client may be bound to."""

from __future__ import annotations

import pytest

from chalicelib.domain import source_ranges
from chalicelib.domain.errors import ValidationFailed


def test_ranges_are_kept_canonical_and_once():
    parsed = source_ranges.parse(["203.0.113.7", " 198.51.100.9/24 ", "2001:db8::/32", "198.51.100.0/24"])
    assert parsed == ("203.0.113.7/32", "198.51.100.0/24", "2001:db8::/32")
    assert source_ranges.parse(None) == () and source_ranges.parse([]) == ()


def test_what_is_no_range_is_a_400_on_its_own_index():
    with pytest.raises(ValidationFailed) as refused:
        source_ranges.parse(["203.0.113.0/24", "example.jp", "10.0.0.0/33", ""])
    assert [e.field for e in refused.value.errors] == ["allowed_sources[1]", "allowed_sources[2]", "allowed_sources[3]"]
    with pytest.raises(ValidationFailed) as too_many:
        source_ranges.parse([f"192.0.2.{i}" for i in range(source_ranges.MAX_RANGES + 1)])
    assert too_many.value.errors[0].field == "allowed_sources"


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        ("203.0.113.50", True),
        ("::ffff:203.0.113.50", True),  # the same address, IPv4-mapped
        ("2001:db8:1::5", True),
        ("203.0.114.1", False),
        ("198.51.100.66", False),
        ("2001:db9::1", False),
        (None, False),
        ("", False),
        ("not-an-address", False),
    ],
)
def test_a_bound_client_is_allowed_only_from_inside_its_ranges(source, allowed):
    assert source_ranges.allows(("203.0.113.0/24", "2001:db8::/32"), source) is allowed


def test_an_unbound_client_is_allowed_from_anywhere():
    assert source_ranges.allows((), "198.51.100.66") and source_ranges.allows((), None)
