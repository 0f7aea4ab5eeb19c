"""handlers/query.py: query strings coerced by their spec, every bad field refused at once."""

from __future__ import annotations

import pytest

from chalicelib.handlers import query
from chalicelib.handlers.errors import ApiError


def test_query_parsing_coerces_and_rejects():
    spec = {
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "from": {"type": "string", "format": "date"},
        "flag": {"type": "boolean"},
    }
    assert query.parse_query({}, spec) == {"limit": 20}
    assert query.parse_query({"limit": "5", "from": "2026-01-02", "flag": "true"}, spec) == {
        "limit": 5,
        "from": "2026-01-02",
        "flag": True,
    }
    with pytest.raises(ApiError) as err:
        query.parse_query({"limit": "101", "from": "2026-13-01", "other": "x"}, spec)
    assert {e.field for e in err.value.errors} == {"limit", "from", "other"}
    assert err.value.status == 400
