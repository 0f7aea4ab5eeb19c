"""devstack/moto_data: the outbox's `service=ses` dump is moto's own SES section, without the rest of the run."""

from __future__ import annotations

import json
import uuid

import boto3
from moto import mock_aws
from moto.core.model_instances import reset_model_data
from moto.moto_api._internal.responses import MotoAPIResponse

from devstack import moto_data

REGION = "ap-northeast-1"
#: moto's register of models is process-wide: another test's mail may be in it too (pytest -n).
ADDRESS = f"moto-data-{uuid.uuid4().hex}@example.co.jp"


def _sent_mail_and_many_items() -> None:
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_email_identity(EmailAddress="noreply@example.jp")
    ses.send_raw_email(
        Source="noreply@example.jp",
        Destinations=[ADDRESS],
        RawMessage={"Data": b"Subject: test\r\nFrom: noreply@example.jp\r\nTo: " + ADDRESS.encode() + b"\r\n\r\nbody"},
    )
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(50):
        ddb.put_item(TableName="t", Item={"k": {"S": f"item-{i}"}})


@mock_aws
def test_the_ses_dump_is_moto_s_own_ses_section_and_nothing_else(monkeypatch):
    # moto's register of models is process-wide and outlives `mock_aws`: an S3 object an earlier test of this
    # worker left in it names a bucket this mock does not have, and moto's whole dump (the first call below)
    # then raises NoSuchBucket. Start from an empty register, as moto's own /moto-api/reset leaves it.
    reset_model_data()
    original = MotoAPIResponse.model_data
    monkeypatch.setattr(moto_data, "_patched", False)
    monkeypatch.setattr(MotoAPIResponse, "model_data", original)
    _sent_mail_and_many_items()
    moto_data.dump_one_service_on_request()
    api = MotoAPIResponse()

    status, _, everything = api.model_data(None, "http://127.0.0.1/moto-api/data.json", {})
    assert status == 200 and "dynamodb" in json.loads(everything)  # no query: moto's own answer, whole
    status, _, ses_only = api.model_data(None, "http://127.0.0.1/moto-api/data.json?service=ses", {})
    assert status == 200
    dump = json.loads(ses_only)
    assert set(dump) == {"ses"} and dump["ses"] == json.loads(everything)["ses"]
    assert len([m for m in dump["ses"]["RawMessage"] if ADDRESS in m["destinations"]]) == 1
