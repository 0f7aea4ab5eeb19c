"""render/formatting.py: amounts, numbers and dates as people read them."""

from __future__ import annotations

from chalicelib.render.formatting import application_number, era_of_input, thousand_yen, yen


def test_amounts_have_separators():
    assert yen(20000000) == "20,000,000円"
    assert thousand_yen(49500) == "49,500千円"
    assert yen(None) == ""


def test_display_forms():
    assert application_number("3f9a0c21b7e4d5a6c8b9") == "3F9A-0C21"
    assert era_of_input("20231030") == era_of_input("2023/10/30") == "令和5年10月30日"
    assert era_of_input("2023-13-01") == "" and era_of_input("") == ""
