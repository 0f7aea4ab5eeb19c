"""store/paging.py: signed cursors, and full pages when a filter drops items."""

from __future__ import annotations

import pytest

from chalicelib.store import paging


def test_cursor_round_trip_and_tamper_refusal():
    key = {"number": {"S": "30026-000001M"}, "issued_at": {"S": "2026-11-24T10:00:00+09:00"}}
    cursor = paging.encode_cursor(key)
    assert paging.decode_cursor(cursor) == key
    assert paging.encode_cursor(None) is None and paging.decode_cursor(None) is None
    body, mac = cursor.split(".")
    from chalicelib.domain.errors import ValidationFailed

    for bad in (body + ".0000", "x" + cursor, "not-a-cursor", cursor[:-1]):
        with pytest.raises(ValidationFailed):
            paging.decode_cursor(bad)


class _FakeResults:
    """A stand-in for PynamoDB's ResultIterator: yields items, tracks the last key."""

    def __init__(self, data, start, size):
        begin = 0 if start is None else start["i"] + 1
        self._items = data[begin : begin + size]
        self._more = begin + size < len(data)
        self.last_evaluated_key = None

    def __iter__(self):
        for item in self._items:
            self.last_evaluated_key = {"i": item}
            yield item
        if not self._more:
            self.last_evaluated_key = None


@pytest.mark.parametrize("limit", [1, 3, 7, 20])
def test_paging_with_a_filter_returns_full_pages_without_loss_or_repeat(limit):
    data = list(range(100))

    def run(start, size):
        return _FakeResults(data, start, size)

    def keep(i):
        return i % 3 != 0

    seen, cursor = [], None
    while True:
        items, cursor = paging.page(run, limit, cursor, keep)
        if cursor is not None:
            assert len(items) == limit
        seen.extend(items)
        if cursor is None:
            break
    assert seen == [i for i in data if keep(i)]
