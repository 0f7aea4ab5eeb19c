"""The merge template and stage policies are generated from the models and committed as generated."""

from __future__ import annotations

import json

from chalicelib.store.models import ALL_MODELS
from devstack import cfn
from tests.conftest import ROOT


def test_committed_resources_json_is_the_generated_one():
    committed = (ROOT / ".chalice" / "resources.json").read_text(encoding="utf-8")
    assert committed == cfn.dump(cfn.template()), "run: .venv/bin/python -m devstack.cfn"
    for stage in ("dev", "prod"):
        policy = (ROOT / ".chalice" / f"policy-{stage}.json").read_text(encoding="utf-8")
        assert policy == cfn.dump(cfn.stage_policy(stage))


def test_every_model_has_a_table_named_after_the_stage():
    resources = cfn.template()["Resources"]
    for name, model in ALL_MODELS.items():
        props = resources[cfn.logical_id(name)]["Properties"]
        assert props["TableName"] == {"Fn::Sub": f"esurety-${{Stage}}-{name}"}
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert props["KeySchema"][0]["KeyType"] == "HASH"
        assert props["KeySchema"][0]["AttributeName"] == model._hash_keyname
        index_names = {g["IndexName"] for g in props.get("GlobalSecondaryIndexes", [])}
        assert index_names == set(model._indexes)


def test_certificates_stream_and_its_mapping():
    t = cfn.template()["Resources"]
    assert t["CertificatesTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    mapping = t["CertificateStream"]["Properties"]["Events"][cfn.STREAM_EVENT]["Properties"]
    assert mapping["Stream"] == {"Fn::GetAtt": ["CertificatesTable", "StreamArn"]}
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}
    # The stream ARN is never written into config.json (DESIGN.md §2).
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert "stream" not in json.dumps(config).lower()


def test_bucket_is_private_encrypted_versioned_and_expires_pending_uploads():
    props = cfn.template()["Resources"]["PdfBucket"]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    rule = props["LifecycleConfiguration"]["Rules"][0]
    assert rule["TagFilters"] == [{"Key": "state", "Value": "pending"}] and rule["ExpirationInDays"] == 7


def test_ttl_attributes_are_enabled():
    t = cfn.template()["Resources"]
    for name in ("sessions", "idempotency", "attempts"):
        assert t[cfn.logical_id(name)]["Properties"]["TimeToLiveSpecification"]["Enabled"] is True
