"""domain/reminders.py: which reminder a guarantee is owed on a day, and its key."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain import reminders

DEADLINE = dt.date(2027, 3, 31)


@pytest.mark.parametrize(("days", "owed"), [(31, None), (30, 30), (8, 30), (7, 7), (1, 7), (0, 7), (-1, None)])
def test_the_nearest_threshold_is_owed(days, owed):
    assert reminders.threshold(DEADLINE, DEADLINE - dt.timedelta(days=days)) == owed


def test_reservations_and_guarantees_no_longer_valid_are_not_reminded():
    assert reminders.wanted("advance_payment", "valid") and reminders.wanted("contract_guarantee", "valid")
    assert not reminders.wanted("contract_reservation", "valid")
    assert not reminders.wanted("advance_payment", "cancelled")


def test_the_key_names_the_deadline_so_moving_it_re_arms():
    assert reminders.key("N", "2027-03-31", 30) != reminders.key("N", "2027-05-31", 30)
    assert len(reminders.days_ahead(DEADLINE)) == 31
