"""The merge template and stage policies are generated from the models and committed as generated."""

from __future__ import annotations

import json

import pytest

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
    # Issue 12 replaced the bounded count (a lease could spend it all): retry until the record's
    # age limit, which leaves time to replay the failure queue within the stream's 24 h.
    assert mapping["MaximumRetryAttempts"] == -1
    assert 0 < mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600 - 12 * 3600
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
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


# --- issue 12: correct on real AWS ---------------------------------------------------------------


def test_bucket_expires_noncurrent_versions_and_delete_markers_and_refuses_plain_http():
    resources = cfn.template()["Resources"]
    rules = {r["Id"]: r for r in resources["PdfBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    noncurrent = rules["expire-noncurrent-versions"]
    assert noncurrent["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert noncurrent["ExpiredObjectDeleteMarker"] is True and noncurrent["Status"] == "Enabled"
    (deny,) = resources["PdfBucketTlsOnly"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "s3:*" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(deny["Resource"]) == 2  # the bucket and its objects


def _statements(role: str) -> list[dict]:
    return cfn.template()["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def test_mail_is_sent_only_as_the_stages_sender():
    # The stream function sends the completion mail and, since issue 13, the API function the
    # account mails (invitations, resets), since issue 14 the events function the staff notices;
    # the SES feedback function sends none.
    assert not [s for s in _statements("SesFeedbackRole") if any(a.startswith("ses:") for a in s["Action"])]
    for role in ("CertificateStreamRole", "EventStreamRole", "ApiHandlerRole"):
        (ses,) = [s for s in _statements(role) if any(a.startswith("ses:") for a in s["Action"])]
        assert ses["Action"] == ["ses:SendRawEmail"]
        assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SesSender"}}}


def test_ses_feedback_reaches_the_stages_own_function_through_its_configuration_set():
    resources = cfn.template()["Resources"]
    topic = {"Ref": "SesFeedbackTopic"}
    (event,) = resources["SesFeedback"]["Properties"]["Events"].values()
    # The stack's own topic (its Ref is its ARN), not the name chalice package read from STAGE.
    assert event["Properties"]["Topic"] == {"Fn::Sub": "${SesFeedbackTopic}"}
    destination = resources["SesFeedbackDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "SesConfigurationSet"}
    assert destination["EventDestination"]["SnsDestination"] == {"TopicARN": topic}
    assert sorted(destination["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint"]
    (publish,) = resources["SesFeedbackTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert publish["Principal"] == {"Service": "ses.amazonaws.com"} and publish["Action"] == "sns:Publish"
    for fn in ("APIHandler", "CertificateStream", "EventStream"):  # every mail goes through the set
        variables = resources[fn]["Properties"]["Environment"]["Variables"]
        assert variables["SES_CONFIGURATION_SET"] == {"Ref": "SesConfigurationSet"}
    (feedback,) = [s for s in _statements("SesFeedbackRole") if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert feedback["Action"] == ["dynamodb:PutItem"]


def test_alarms_watch_the_failure_queue_and_the_stream_iterator_age():
    resources = cfn.template()["Resources"]
    queue = resources["StreamFailuresAlarm"]["Properties"]
    assert queue["Namespace"] == "AWS/SQS" and queue["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert queue["Threshold"] == 1 and queue["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    age = resources["StreamIteratorAgeAlarm"]["Properties"]
    assert age["Namespace"] == "AWS/Lambda" and age["MetricName"] == "IteratorAge"
    assert age["Dimensions"] == [{"Name": "FunctionName", "Value": {"Fn::Sub": "esurety-${Stage}-certificate-stream"}}]
    events = resources["EventStreamIteratorAgeAlarm"]["Properties"]  # issue 14: the staff events' stream
    assert events["Dimensions"] == [{"Name": "FunctionName", "Value": {"Fn::Sub": "esurety-${Stage}-event-stream"}}]


def test_the_custom_domain_is_optional_and_switched_on_by_a_parameter():
    t = cfn.template()
    assert t["Parameters"]["DomainName"]["Default"] == ""
    door = [k for k, r in t["Resources"].items() if r.get("Condition") == "HasDomain"]
    assert sorted(door) == ["ApiBasePathMapping", "ApiDnsRecord", "ApiDomain", "DomainCertificate"]
    assert t["Resources"]["ApiBasePathMapping"]["Properties"]["Stage"] == "api"
    url = t["Outputs"]["PublicBaseUrl"]["Value"]["Fn::If"]
    assert url[0] == "HasDomain" and url[2]["Fn::Sub"].endswith("/api")  # the execute-api URL keeps its segment


def test_stateful_resources_are_retained_unless_the_package_step_says_otherwise():
    resources = cfn.template()["Resources"]
    stateful = [r for r in resources.values() if r.get("Type") in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")]
    assert len(stateful) == len(ALL_MODELS) + 1
    assert all(r["DeletionPolicy"] == "Retain" and r["UpdateReplacePolicy"] == "Retain" for r in stateful)


def test_api_gateway_treats_csv_and_multipart_request_bodies_as_binary_but_the_function_answers_csv_as_text():
    import app as app_module
    from chalicelib.handlers import binary

    body = cfn.template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert {"text/csv", "multipart/form-data"} <= set(body["x-amazon-apigateway-binary-media-types"])
    assert body["x-amazon-apigateway-binary-media-types"] == binary.GATEWAY
    assert "text/csv" not in app_module.app.api.binary_types  # a browser's first Accept is text/html
    assert set(app_module.app.api.binary_types) <= set(binary.GATEWAY)


def test_gateway_answers_are_static_bodies_in_our_error_shape():
    """API Gateway's own answers (no route, wrong content type, throttling, its 5xx) never reach a client in
    its shape: each has a status and a static body `{"errors": [{field, code, message}]}`, and none refers to
    `$context.error.*` (its message echoes the caller's Authorization header for an unknown path)."""
    body = cfn.template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    answers = body["x-amazon-apigateway-gateway-responses"]
    expected = {
        "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),
        "UNSUPPORTED_MEDIA_TYPE": ("415", "unsupported_media_type"),
        "REQUEST_TOO_LARGE": ("413", "too_large"),
        "THROTTLED": ("429", "locked"),
        "QUOTA_EXCEEDED": ("429", "locked"),
        "INTEGRATION_TIMEOUT": ("503", "unavailable"),
        "DEFAULT_4XX": (None, "invalid"),
        "DEFAULT_5XX": ("503", "unavailable"),
    }
    assert set(answers) == set(expected)
    for kind, (status, code) in expected.items():
        answer = answers[kind]
        assert answer.get("statusCode") == status, kind
        template = answer["responseTemplates"]["application/json"]
        assert "$" not in template and "#" not in template, kind  # static: no VTL at all
        (item,) = json.loads(template)["errors"]
        assert item["field"] is None and item["code"] == code and item["message"], kind
        assert answer["responseParameters"]["gatewayresponse.header.Content-Type"].startswith("'application/json")
        if status in ("429", "503"):
            assert answer["responseParameters"]["gatewayresponse.header.Retry-After"] == "'2'"
    assert "$context" not in json.dumps(answers)
    # The access log's format names $context variables, never the error message (it echoes the caller's header).
    assert "$context.error.message" not in json.dumps(cfn.template())


def test_the_stage_throttles_every_method_before_the_function():
    """Issue 26: the packaged API had no stage throttling (SECURITY.md states the limits)."""
    [setting] = cfn.template()["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert setting == {
        "ResourcePath": "/*",
        "HttpMethod": "*",
        "ThrottlingRateLimit": cfn.THROTTLE_RATE,
        "ThrottlingBurstLimit": cfn.THROTTLE_BURST,
    }
    assert "50 requests per second" in (ROOT / "SECURITY.md").read_text(encoding="utf-8")


# --- observable and safe to change: tracing, logs, alarms, aliases, canary ----------------------------


def _if_prod(value, prod: bool):
    """A value of the merge template as the package step pins it for prod or another stage."""
    from devstack import package

    return package._resolve_stage_conditions(value, prod)


def test_every_function_traces_logs_into_its_own_retained_group_and_publishes_the_live_alias():
    resources = cfn.template()["Resources"]
    for logical, short in cfn.FUNCTIONS.items():
        props = resources[logical]["Properties"]
        assert props["Tracing"] == "Active", logical
        assert props["AutoPublishAlias"] == "live", logical
        group = resources[props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert group["Type"] == "AWS::Logs::LogGroup"
        # New names: /aws/lambda/<fn> already exists in deployed stages, and creating it would fail.
        assert group["Properties"]["LogGroupName"] == {"Fn::Sub": f"/esurety/${{Stage}}/{short}"}
    for logical, group in resources.items():
        if group.get("Type") == "AWS::Logs::LogGroup":
            assert _if_prod(group["Properties"]["RetentionInDays"], True) == 365, logical
            assert _if_prod(group["Properties"]["RetentionInDays"], False) == 30, logical
    # The role writes only into its own group and sends traces; it no longer creates groups.
    (logs_grant,) = [s for s in _statements("ApiHandlerRole") if s["Action"][0].startswith("logs:")]
    assert logs_grant["Resource"] == {"Fn::GetAtt": ["APIHandlerLogGroup", "Arn"]}
    assert any(
        s["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] for s in _statements("ApiHandlerRole")
    )


def test_the_api_stage_traces_and_writes_an_access_log_with_the_request_id():
    resources = cfn.template()["Resources"]
    api = resources["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fmt = json.loads(api["AccessLogSetting"]["Format"])
    assert fmt["requestId"] == "$context.requestId" and fmt["status"] == "$context.status"
    assert resources["ApiAccessLogGroup"]["Properties"]["LogGroupName"] == {"Fn::Sub": "/esurety/${Stage}/api-access"}


def test_alarms_see_application_errors_and_throttles_and_roll_a_prod_canary_back():
    from chalicelib import logs

    resources = cfn.template()["Resources"]
    five = resources["Api5xxAlarm"]["Properties"]
    assert (five["Namespace"], five["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert {d["Name"]: d["Value"] for d in five["Dimensions"]} == {
        "ApiName": resources["RestAPI"]["Properties"]["Name"],
        "Stage": "api",
    }
    metric_filter = resources["ApiUnhandledFilter"]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "APIHandlerLogGroup"}
    assert (
        metric_filter["FilterPattern"] == '{ $.event = "unhandled_exception" }'
        and logs.UNHANDLED == "unhandled_exception"
    )
    (transform,) = metric_filter["MetricTransformations"]
    unhandled = resources["ApiUnhandledAlarm"]["Properties"]
    assert (unhandled["Namespace"], unhandled["MetricName"]) == (transform["MetricNamespace"], transform["MetricName"])
    for logical, short in cfn.FUNCTIONS.items():
        throttles = resources[f"{logical}ThrottlesAlarm"]["Properties"]
        assert throttles["MetricName"] == "Throttles"
        assert throttles["Dimensions"] == [
            {"Name": "FunctionName", "Value": {"Fn::Sub": f"esurety-${{Stage}}-{short}"}}
        ]
        preference = resources[logical]["Properties"]["DeploymentPreference"]
        prod, other = _if_prod(preference, True), _if_prod(preference, False)
        assert prod["Type"].startswith(("Canary", "Linear")), logical
        assert prod["Alarms"] == [{"Ref": "Api5xxAlarm"}, {"Ref": "ApiUnhandledAlarm"}, {"Ref": "ApiErrorsAlarm"}]
        assert other == {"Type": "AllAtOnce"}, logical
    dashboard = resources["Dashboard"]["Properties"]
    body = json.loads(dashboard["DashboardBody"]["Fn::Sub"])
    titles = " ".join(w["properties"]["title"] for w in body["widgets"])
    for word in ("API requests", "throttles", "Verifications", "Mail", "PDF", "lag"):
        assert word in titles, word


def test_async_functions_keep_failed_events_and_prod_reserves_the_stream_functions_and_protects_tables():
    resources = cfn.template()["Resources"]
    for logical in cfn.ASYNC_FUNCTIONS:  # SNS and the schedule invoke asynchronously: two retries, then lost
        dlq = resources[logical]["Properties"]["DeadLetterQueue"]
        assert dlq == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}}
    assert resources["AsyncFailuresAlarm"]["Properties"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["AsyncFailureQueue", "QueueName"]
    }
    for logical in (cfn.STREAM_FN, cfn.EVENTS_FN, cfn.FEEDBACK_FN, cfn.RECONCILE_FN):
        reserved = {"Reserved": resources[logical]["Properties"]["ReservedConcurrentExecutions"]}
        assert _if_prod(reserved, True) == {"Reserved": cfn.RESERVED_CONCURRENCY[logical]}
        assert _if_prod(reserved, False) == {}
    assert cfn.RESERVED_CONCURRENCY[cfn.STREAM_FN] == cfn.STREAM_RESERVED_CONCURRENCY
    assert "ReservedConcurrentExecutions" not in resources[cfn.API_FN]["Properties"]
    for name in ALL_MODELS:
        protection = resources[cfn.logical_id(name)]["Properties"]["DeletionProtectionEnabled"]
        assert (_if_prod(protection, True), _if_prod(protection, False)) == (True, False)


def test_a_pdf_that_could_not_be_signed_raises_the_alarm_on_the_metric_signing_emits(monkeypatch):
    from chalicelib import logs
    from chalicelib.domain.errors import Unavailable
    from chalicelib.services import signing
    from chalicelib.store.tsa import TsaUnavailable

    emitted = []
    monkeypatch.setattr(logs, "metric", lambda name, *args, **dims: emitted.append((name, dims)))
    monkeypatch.setattr(signing, "_sign", lambda data, ref: (_ for _ in ()).throw(TsaUnavailable("down")))
    with pytest.raises(Unavailable):
        signing.sign(b"%PDF-", signing.DocumentRef("certificate", "30026-000601M", 1))
    ((name, dims),) = emitted
    resources = cfn.template()["Resources"]
    alarm = resources["SignFailuresAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (logs.NAMESPACE, name) and not dims  # Stage only
    assert alarm["Dimensions"] == [{"Name": "Stage", "Value": {"Ref": "Stage"}}]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] and alarm["OKActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_every_function_is_given_the_stages_timestamp_authority_whose_default_roots_are_committed():
    from asn1crypto import x509

    from chalicelib.domain import pki
    from devstack import stage

    template = cfn.template()
    parameter = template["Parameters"]["SigningTsaUrl"]
    assert parameter["Default"] == stage.DEFAULT_TSA_URL and parameter["AllowedPattern"] == r"^https?://\S+$"
    for logical in cfn.FUNCTIONS:
        env = template["Resources"][logical]["Properties"]["Environment"]["Variables"]
        assert env["SIGNING_TSA_URL"] == {"Ref": "SigningTsaUrl"}, logical
    roots = pki.from_pem((ROOT / stage.DEFAULT_TSA_ROOTS).read_text(encoding="ascii"))
    assert roots and all(x509.Certificate.load(der).ca for der in roots)
