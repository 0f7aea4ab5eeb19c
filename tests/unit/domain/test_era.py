"""Issue 2, pure parts: era dates, status, schema messages, query parsing, cursors, settings, pump records."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from chalicelib import settings
from chalicelib.domain import validation
from chalicelib.domain.era import era_date, era_datetime
from chalicelib.domain.status import effective_status
from chalicelib.handlers import query
from chalicelib.handlers.errors import ApiError
from chalicelib.render.formatting import thousand_yen, yen
from chalicelib.store import paging
from devstack.pump import to_lambda_record
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("iso", "shown"),
    [
        ("2023-10-30", "令和5年10月30日"),
        ("2019-05-01", "令和元年5月1日"),
        ("2019-04-30", "平成31年4月30日"),
        ("1989-01-08", "平成元年1月8日"),
        ("1989-01-07", "昭和64年1月7日"),
        ("2027-11-15", "令和9年11月15日"),
    ],
)
def test_era_dates(iso, shown):
    assert era_date(iso) == shown


def test_era_datetime_keeps_the_clock_time():
    assert era_datetime("2023-10-31T13:15:00+09:00") == "令和5年10月31日 13:15"


def test_amounts_have_separators():
    assert yen(20000000) == "20,000,000円"
    assert thousand_yen(49500) == "49,500千円"
    assert yen(None) == ""


@pytest.mark.parametrize(
    ("stored", "deadline", "today", "expected"),
    [
        ("valid", "2027-11-15", dt.date(2027, 11, 15), "valid"),
        ("valid", "2027-11-15", dt.date(2027, 11, 16), "expired"),
        ("cancelled", "2099-01-01", dt.date(2027, 1, 1), "cancelled"),
        ("cancelled", "2000-01-01", dt.date(2027, 1, 1), "cancelled"),
    ],
)
def test_effective_status(stored, deadline, today, expected):
    assert effective_status(stored, deadline, today) == expected


SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "amount"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 5},
        "amount": {"type": "integer", "minimum": 1},
        "kind": {"enum": ["a", "b"]},
        "nested": {
            "type": "object",
            "additionalProperties": False,
            "required": ["x"],
            "properties": {"x": {"type": "integer"}},
        },
    },
}


def test_schema_reports_every_field_in_japanese():
    errors = validation.validate({"name": "toolong", "kind": "c", "nested": {"y": 1}, "zz": 1}, SCHEMA)
    by_field = {e.field: e.message for e in errors}
    assert by_field == {
        "amount": "必須項目です。",
        "name": "5文字以内で入力してください。",
        "kind": "選択肢の中から選んでください。",
        "nested.x": "必須項目です。",
        "nested.y": "この項目は受け付けていません。",
        "zz": "この項目は受け付けていません。",
    }


def test_schema_type_errors_name_the_expected_type():
    errors = validation.validate({"name": "a", "amount": "10"}, SCHEMA)
    assert [(e.field, e.message) for e in errors] == [("amount", "整数で入力してください。")]
    assert validation.validate([1], SCHEMA)[0].message == "オブジェクトで入力してください。"


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


def test_table_names_follow_the_stage(monkeypatch):
    monkeypatch.setenv("STAGE", "feature-x")
    s = settings.current()
    assert s.table_name("certificates") == "esurety-feature-x-certificates"
    assert s.bucket == "esurety-feature-x-pdf"
    monkeypatch.setenv("STAGE", "prod")
    assert settings.current().table_name("accounts") == "esurety-prod-accounts"


def test_secret_comes_from_ssm_parameter_outside_local(monkeypatch):
    monkeypatch.delenv("SESSION_SECRET")
    monkeypatch.setenv("SESSION_SECRET_PARAM", "/esurety/prod/session-secret")
    calls = []

    def fake(name, region):
        calls.append(name)
        return b"from-ssm"

    monkeypatch.setattr(settings, "_ssm_secret", fake)
    assert settings.signing_secret() == b"from-ssm"
    assert calls == ["/esurety/prod/session-secret"]
    monkeypatch.delenv("SESSION_SECRET_PARAM")
    with pytest.raises(RuntimeError):
        settings.signing_secret()


def test_pump_converts_boto3_records_to_lambda_shape():
    record = {
        "eventID": "e1",
        "eventName": "INSERT",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": dt.datetime(2026, 11, 24, 1, 2, 3, tzinfo=dt.UTC),
            "Keys": {"number": {"S": "n"}},
            "SequenceNumber": "1",
            "SizeBytes": 1,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    out = to_lambda_record(record, "arn:aws:dynamodb:ap-northeast-1:1:table/t/stream/s", "ap-northeast-1")
    assert out["dynamodb"]["ApproximateCreationDateTime"] == int(
        dt.datetime(2026, 11, 24, 1, 2, 3, tzinfo=dt.UTC).timestamp()
    )
    assert out["eventSourceARN"].endswith("/stream/s")
    assert out["awsRegion"] == "ap-northeast-1"
    assert record["dynamodb"]["ApproximateCreationDateTime"].year == 2026  # input untouched


def test_importing_the_app_does_not_import_heavy_modules():
    code = (
        "import sys, app; "
        "heavy = [m for m in ('fpdf', 'fontTools', 'jsonschema', 'segno', 'pypdf', 'moto', "
        "'jwt', 'argon2', 'cryptography', 'jinja2', 'email_validator', 'uharfbuzz', 'jaconv', 'PIL') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    env = {k: v for k, v in os.environ.items()}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_session_cookie_is_secure_outside_local(monkeypatch):
    from chalicelib.handlers.page import session_cookie

    monkeypatch.setenv("STAGE", "local")
    local = session_cookie("tok", 60)
    assert "HttpOnly" in local and "SameSite=Lax" in local and "Secure" not in local
    monkeypatch.setenv("STAGE", "prod")
    assert session_cookie("tok", 60).endswith("; Secure")
