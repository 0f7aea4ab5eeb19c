"""Generate `.chalice/resources.json` (the CloudFormation merge template) from the models.

The tables, their keys, indexes, stream and TTL are read from the PynamoDB
models, so the deployed schema cannot drift from the code; a unit test checks
that the committed file equals this output. Run: `python -m devstack.cfn`.

Everything is named after the CloudFormation parameter `Stage`, so one package
serves any stage (a git branch included) and stages share nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pynamodb.attributes import TTLAttribute

from chalicelib import logs
from chalicelib.handlers import binary
from chalicelib.services import signing
from chalicelib.store.models import ALL_MODELS
from devstack.names import STAGE_PATTERN
from devstack.stage import DEFAULT_TSA_URL

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / ".chalice" / "resources.json"
API_FN, STREAM_FN, FEEDBACK_FN = "APIHandler", "CertificateStream", "SesFeedback"
RECONCILE_FN = "ReconcilePdfs"  # chalice package's name for handlers/maintenance.reconcile_pdfs (hourly)
#: What reading a DynamoDB stream takes (the event-source mapping polls as the function).
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
STREAM_EVENT = "CertificateStreamDynamodbEventSource"
#: The staff events' stream function (issue 14): the same mapping settings on its own table's stream.
EVENTS_FN, EVENTS_EVENT = "EventStream", "EventStreamDynamodbEventSource"
FEEDBACK_EVENT = "SesFeedbackSnsSubscription"  # chalice package's name for the on_sns_message subscription
FEEDBACK_TOPIC_ARN = {"Fn::Sub": "${SesFeedbackTopic}"}
BUCKET_NAME = {"Fn::Sub": "esurety-${Stage}-pdf-${AWS::AccountId}"}
# What each function's code calls, and on which tables (tests/tooling/test_iam_least_privilege.py
# records the calls the suite makes per function and compares them with these).
API_TABLES = tuple(name for name in ALL_MODELS if name != "notifications")  # completion mail is the stream's
API_DYNAMODB_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",  # an admin's PATCH of an orderer that changes nothing (store/organisations.py)
    "dynamodb:Query",
)
API_S3_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging", "s3:DeleteObjectTagging")
STREAM_TABLES = ("guarantees", "certificates", "notifications", "inbox", "suppressions")  # no mail to a bounced address
#: Issue 29: a new version puts the guarantee's deliveries back to 未受領 (with an event telling the department).
STREAM_TABLES += ("deliveries", "departments", "events")
STREAM_DYNAMODB_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
#: Issue 30: both stream functions queue webhook events (services/webhooks.emit): beside the orderers holding
#: the guarantee (its deliveries, the inbox: granted above), whether disabled, their webhooks, a row per event.
WEBHOOK_EMIT_TABLES = ("organisations", "webhooks", "webhook_messages")
STREAM_TABLES += WEBHOOK_EMIT_TABLES
WEBHOOK_FN, REMINDERS_FN = "WebhookSender", "DailyReminders"  # chalice package's names (handlers/*.py)
#: The sender (services/webhooks.run_due): due messages (by_due), the webhook and its sealed secret
#: (KMS Decrypt), whether the orderer is disabled; it takes and settles messages with UpdateItem.
SENDER_TABLES = ("webhooks", "webhook_messages", "organisations")
SENDER_DYNAMODB_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem")
#: The daily reminders (services/reminders.py): guarantees by 保証期限, the contractor's users, the claim
#: per mail, the expiring event and the holders' latest_event (guarantee row, deliveries).
REMINDERS_TABLES = (
    "guarantees",
    "accounts",
    "notifications",
    "suppressions",
    "deliveries",
    "inbox",
    "organisations",
    "webhooks",
    "webhook_messages",
)
REMINDERS_DYNAMODB_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
#: SES's bounce and complaint notifications (SNS) only mark the address (services/bounces.py).
FEEDBACK_TABLES = ("suppressions",)
#: Staff events (services/event_notices.py): the notice's claim, the orderer's inbox, no mail to a bounced address;
#: a queued reset request (issue 26): the account, its new link's token, the per-login mail counter.
EVENTS_TABLES = ("notifications", "inbox", "suppressions", "accounts", "tokens", "attempts")
#: Issue 29: a key reissue puts the guarantee's deliveries back to 未受領 (with an event telling the department).
EVENTS_TABLES += ("guarantees", "deliveries", "departments", "events")
EVENTS_DYNAMODB_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
EVENTS_TABLES += WEBHOOK_EMIT_TABLES
FEEDBACK_DYNAMODB_ACTIONS = ("dynamodb:PutItem",)
#: The PDF reconciler (services/reconcile.py) reads the version a pending object names, then releases
#: (untags) or deletes the object; it lists the bucket to find them.
RECONCILE_TABLES = ("certificates",)
RECONCILE_DYNAMODB_ACTIONS = ("dynamodb:GetItem",)
RECONCILE_S3_ACTIONS = ("s3:GetObject", "s3:GetObjectTagging", "s3:DeleteObjectTagging", "s3:DeleteObject")
#: API Gateway stage throttling (requests per second, steady and burst) for every method.
THROTTLE_RATE, THROTTLE_BURST = 50, 100
MAX_RECORD_AGE = 6 * 3600  # leaves 18 h of the stream's 24 h retention to replay the failure queue
NONCURRENT_DAYS = 30
ITERATOR_AGE_ALARM_MS = 15 * 60 * 1000
#: The app's line for an exception no handler answered (chalicelib/logs.py): Chalice answers it with a
#: 500 response, so Lambda's Errors metric never counts it; this metric filter does.
UNHANDLED_FILTER_FIELD = ("event", logs.UNHANDLED)
UNHANDLED_FILTER = f'{{ $.{UNHANDLED_FILTER_FIELD[0]} = "{UNHANDLED_FILTER_FIELD[1]}" }}'
#: Every function chalice packages: logical id → the short name of its function, role and log group.
FUNCTIONS = {
    API_FN: "api",
    STREAM_FN: "certificate-stream",
    EVENTS_FN: "event-stream",
    FEEDBACK_FN: "ses-feedback",
    RECONCILE_FN: "reconcile-pdfs",
    WEBHOOK_FN: "webhook-sender",
    REMINDERS_FN: "daily-reminders",
}
#: SnapStart (python3.12+): each published version behind `live` is a snapshot taken after the init and
#: app.warm_up (the before-snapshot hook), so a new instance starts as a warm one (issue 32). The API
#: and the stream functions: the ones a person waits on; the SNS and scheduled ones are rare and cheap.
SNAPSTART_FUNCTIONS = (API_FN, STREAM_FN, EVENTS_FN)
SNAPSTART = {"ApplyOn": "PublishedVersions"}
#: Invoked asynchronously (SNS, the schedule): a failed event goes to the async failure queue.
ASYNC_FUNCTIONS = (FEEDBACK_FN, RECONCILE_FN, WEBHOOK_FN, REMINDERS_FN)
#: Every function publishes a version behind this alias; API Gateway, the permission, the mappings,
#: the subscription and the schedule call it (devstack/package.py rewrites chalice's API to it).
ALIAS = "live"
IS_PROD = "IsProd"
#: prod shifts traffic to a new version 10 % for 5 minutes, rolled back if an alarm fires; other stages at once.
PROD_DEPLOYMENT, OTHER_DEPLOYMENT = "Canary10Percent5Minutes", "AllAtOnce"
LOG_RETENTION_DAYS = {"prod": 365, "other": 30}
STREAM_RESERVED_CONCURRENCY = 5  # prod only: a replayed backlog never takes the account's whole pool
#: Reserved concurrency in prod (checkov CKV_AWS_115): the stream functions; SES feedback (a bounce storm
#: waits in SNS's retries rather than starving the API); one reconciler at a time. The API function has
#: none: the stage's throttling bounds it, and a reservation would cap it below the account's pool.
RESERVED_CONCURRENCY = {
    STREAM_FN: STREAM_RESERVED_CONCURRENCY,
    EVENTS_FN: STREAM_RESERVED_CONCURRENCY,
    FEEDBACK_FN: 2,
    RECONCILE_FN: 1,
    WEBHOOK_FN: 1,  # one sweep at a time (a second would only find the messages taken)
    REMINDERS_FN: 1,
}
#: API Gateway's access log line (JSON). No `$context.error.message`: it echoes the caller's
#: Authorization header for an unknown path (NOTES.md).
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "errorType": "$context.error.responseType",
    "xrayTraceId": "$context.xrayTraceId",
}


def logical_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Table"


def table_name(name: str) -> dict[str, str]:
    return {"Fn::Sub": f"esurety-${{Stage}}-{name}"}


def _keys(schema: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(schema, key=lambda k: 0 if k["KeyType"] == "HASH" else 1)


def table(name: str, model: Any) -> dict[str, Any]:
    schema = model._get_schema()
    props: dict[str, Any] = {
        "TableName": table_name(name),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": _keys(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": {"Fn::If": [IS_PROD, True, False]},
    }
    gsis = [
        {
            "IndexName": gsi["index_name"],
            "KeySchema": _keys(gsi["key_schema"]),
            "Projection": gsi["projection"],
        }
        for gsi in schema["global_secondary_indexes"]
    ]
    if gsis:
        props["GlobalSecondaryIndexes"] = sorted(gsis, key=lambda g: g["IndexName"])
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:
        props["StreamSpecification"] = {"StreamViewType": stream}
    for attr in model.get_attributes().values():
        if isinstance(attr, TTLAttribute):
            props["TimeToLiveSpecification"] = {"AttributeName": attr.attr_name, "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        # Retain here; the package step (devstack/package.py) turns it into Delete for every stage
        # but prod, so a branch stack deletes cleanly and can be deployed again under the same names.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": props,
    }


def _table_arns(names: tuple[str, ...] | list[str]) -> list[Any]:
    arns: list[Any] = []
    for name in names:
        arn = {"Fn::GetAtt": [logical_id(name), "Arn"]}
        arns.append(arn)
        arns.append({"Fn::Sub": ["${T}/index/*", {"T": arn}]})
    return arns


def log_group_id(function: str) -> str:
    return f"{function}LogGroup"


def log_group_name(short: str) -> dict[str, str]:
    """`/esurety/<stage>/<function>`: the stack owns it (`/aws/lambda/<fn>` exists already in deployed stages)."""
    return {"Fn::Sub": f"/esurety/${{Stage}}/{short}"}


def _logs_statement(function: str) -> dict[str, Any]:
    """Lambda writes the function's lines into its own group, which the stack made (no CreateLogGroup)."""
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {"Fn::GetAtt": [log_group_id(function), "Arn"]},
    }


#: Active tracing: Lambda sends the function's segments to X-Ray as the function.
XRAY_STATEMENT = {
    "Effect": "Allow",
    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    "Resource": "*",  # X-Ray has no resource-level permissions for these
}


def _ses_statement() -> dict[str, Any]:
    """Send as the stage's own sender only (`ses:FromAddress`), never as another stage's, through the
    stage's configuration set (SendRawEmail is authorised on the identity and on the set)."""
    return {
        "Effect": "Allow",
        "Action": ["ses:SendRawEmail"],
        "Resource": [
            {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
            {
                "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
                ":configuration-set/${SesConfigurationSet}"
            },
        ],
        "Condition": {"StringEquals": {"ses:FromAddress": {"Ref": "SesSender"}}},
    }


def _parameter_arn(name: str) -> dict[str, str]:
    return {
        "Fn::Sub": f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/esurety/${{Stage}}/{name}"
    }


def _stage_config_statement() -> dict[str, Any]:
    """The values `bin/stage up` writes once the stack exists (settings.STAGE_PARAMETERS), one call."""
    return {
        "Effect": "Allow",
        "Action": ["ssm:GetParameters"],
        "Resource": [_parameter_arn("public-base-url"), _parameter_arn("ses-sender")],
    }


def _dynamodb_statement(names: tuple[str, ...] | list[str], actions: tuple[str, ...]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": _table_arns(names)}


def _role(statements: list[dict[str, Any]], policy_name: str, role_name: str) -> dict[str, Any]:
    function = next(k for k, v in FUNCTIONS.items() if v == role_name)
    statements = [_logs_statement(function), XRAY_STATEMENT, *statements]
    if function in ASYNC_FUNCTIONS:  # Lambda writes a failed event to the queue as the function
        statements.append(
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}}
        )
    return {
        "Properties": {
            "RoleName": {"Fn::Sub": f"esurety-${{Stage}}-{role_name}"},
            "Policies": [
                {"PolicyName": policy_name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ],
        }
    }


def _environment() -> dict[str, Any]:
    return {
        "Environment": {
            "Variables": {
                "STAGE": {"Ref": "Stage"},
                "PDF_BUCKET": BUCKET_NAME,
                "SESSION_SECRET_PARAM": {"Fn::Sub": "/esurety/${Stage}/session-secret"},
                "SES_CONFIGURATION_SET": {"Ref": "SesConfigurationSet"},
                # The versions of the SSM values a container reads once (bin/stage config_version):
                # a rotation changes the configuration, so Lambda replaces every warm container.
                "CONFIG_VERSION": {"Ref": "ConfigVersion"},
                "SECRETS_KMS_KEY_ID": {"Ref": "SecretsKey"},  # TOTP secrets at rest (store/sealed.py)
                # The RFC 3161 TSA every signed PDF's timestamp comes from (store/tsa.py; bin/stage up).
                "SIGNING_TSA_URL": {"Ref": "SigningTsaUrl"},
            }
        }
    }


SECRETS_KEY_ARN = {"Fn::GetAtt": ["SecretsKey", "Arn"]}


def _account_administers() -> dict[str, Any]:
    """The key policy of every KMS key of the stage: the account administers it; what a function may do
    with a key is granted in that function's role. (A new dict each time: templates are edited in place.)"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def _secrets_key() -> dict[str, Any]:
    """The KMS key that wraps the data keys of secrets the system reads back (store/sealed.py):
    symmetric, rotated yearly; the account administers it, the API function's role may only
    GenerateDataKey and Decrypt with it."""
    return {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "Description": {"Fn::Sub": "esurety ${Stage}: secrets at rest (TOTP)"},
            "EnableKeyRotation": True,
            "PendingWindowInDays": 7,
            "KeyPolicy": _account_administers(),
        },
    }


SIGNING_KEY_ARN = {"Fn::GetAtt": ["SigningKey", "Arn"]}
SIGNING_CA_KEY_ARN = {"Fn::GetAtt": ["SigningCaKey", "Arn"]}


def _signing_key(what: str) -> dict[str, Any]:
    """An asymmetric ECC_NIST_P256 key that only signs (issue 31, store/signer.py): the PDF
    signing key (the API function's role may `kms:Sign` with it, nothing else) or the stage CA's
    key (certificates and CRLs: `bin/stage up` and the daily CRL re-issue). The private key never
    leaves KMS; the account administers both."""
    return {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "Description": {"Fn::Sub": f"esurety ${{Stage}}: {what}"},
            "KeySpec": "ECC_NIST_P256",
            "KeyUsage": "SIGN_VERIFY",
            "PendingWindowInDays": 7,
            "KeyPolicy": _account_administers(),
        },
    }


def _signing_keys() -> dict[str, Any]:
    """Both signing keys and the aliases settings.py names them by (`alias/esurety-<stage>-signing`,
    `…-signing-ca`)."""
    out: dict[str, Any] = {}
    for logical, suffix, what in (
        ("SigningKey", "signing", "PDF signatures (PAdES)"),
        ("SigningCaKey", "signing-ca", "the signing chain's CA (certificates, CRLs)"),
    ):
        out[logical] = _signing_key(what)
        out[f"{logical}Alias"] = {
            "Type": "AWS::KMS::Alias",
            "Properties": {
                "AliasName": {"Fn::Sub": f"alias/esurety-${{Stage}}-{suffix}"},
                "TargetKeyId": {"Ref": logical},
            },
        }
    return out


#: Every bucket this project makes: encrypted at rest, never public (the stage's PDFs, the
#: account's artifacts in devstack/bootstrap.py).
PRIVATE_BUCKET: dict[str, Any] = {
    "BucketEncryption": {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    },
    "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    },
}


def _bucket() -> dict[str, Any]:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": BUCKET_NAME,
            "VersioningConfiguration": {"Status": "Enabled"},
            **PRIVATE_BUCKET,
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-pending-uploads",
                        "Status": "Enabled",
                        "TagFilters": [{"Key": "state", "Value": "pending"}],
                        "ExpirationInDays": 7,
                    },
                    {
                        # A deleted or replaced PDF (a reissued key's notice) becomes a noncurrent
                        # version: kept NONCURRENT_DAYS for recovery, then gone; the delete markers
                        # left behind are removed once nothing is under them.
                        "Id": "expire-noncurrent-versions",
                        "Status": "Enabled",
                        "Prefix": "",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_DAYS},
                        "ExpiredObjectDeleteMarker": True,
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                ]
            },
        },
    }


def _tls_only_policy() -> dict[str, Any]:
    bucket_arn = {"Fn::GetAtt": ["PdfBucket", "Arn"]}
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": "PdfBucket"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket_arn, {"Fn::Sub": ["${B}/*", {"B": bucket_arn}]}],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            },
        },
    }


def _alarm(description: str, namespace: str, metric: str, dimensions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    props = {
        "AlarmDescription": description,
        "Namespace": namespace,
        "MetricName": metric,
        **({"Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]} if dimensions else {}),
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "AlarmTopic"}],
        "OKActions": [{"Ref": "AlarmTopic"}],
    }
    props.update(extra)
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


def _monitoring() -> dict[str, Any]:
    """What to watch (README runbook): undelivered stream records, a stream falling behind, errors."""
    stream_fn = {"Fn::Sub": "esurety-${Stage}-certificate-stream"}
    return {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::Sub": "esurety-${Stage}-alarms"}},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}},
        },
        "StreamFailuresAlarm": _alarm(
            "Certificate-stream records gave up (mail not sent): replay with bin/stage redrive within 24 h",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": ["StreamFailureQueue", "QueueName"]}},
            AlarmName={"Fn::Sub": "esurety-${Stage}-stream-failures"},
            Threshold=1,
        ),
        "StreamIteratorAgeAlarm": _alarm(
            "The certificate stream is falling behind (completion mail delayed)",
            "AWS/Lambda",
            "IteratorAge",
            {"FunctionName": stream_fn},
            AlarmName={"Fn::Sub": "esurety-${Stage}-stream-iterator-age"},
            Threshold=ITERATOR_AGE_ALARM_MS,
        ),
        "EventStreamIteratorAgeAlarm": _alarm(
            "The staff events stream is falling behind (key reissue and rejection notices delayed)",
            "AWS/Lambda",
            "IteratorAge",
            {"FunctionName": {"Fn::Sub": "esurety-${Stage}-event-stream"}},
            AlarmName={"Fn::Sub": "esurety-${Stage}-event-stream-iterator-age"},
            Threshold=ITERATOR_AGE_ALARM_MS,
        ),
        "ApiErrorsAlarm": _alarm(
            "The API function itself failed (a timeout, out of memory, an import error): Lambda's Errors",
            "AWS/Lambda",
            "Errors",
            {"FunctionName": {"Fn::Sub": "esurety-${Stage}-api"}},
            AlarmName={"Fn::Sub": "esurety-${Stage}-api-errors"},
            Statistic="Sum",
            Threshold=5,
        ),
        # Issue 31: a write refused because KMS or the TSA did not answer (503, nothing issued):
        # services/signing.py's EMF metric, dimensioned by Stage only.
        "SignFailuresAlarm": _alarm(
            "PDFs could not be signed (KMS or the timestamp authority did not answer): issuance answers 503",
            logs.NAMESPACE,
            signing.FAILURE_METRIC,
            {"Stage": {"Ref": "Stage"}},
            AlarmName={"Fn::Sub": "esurety-${Stage}-sign-failures"},
            Statistic="Sum",
            Threshold=1,
        ),
        **_error_alarms(),
    }


#: The alarms that roll a prod canary back (DeploymentPreference): the API's answers and the app's own errors.
ROLLBACK_ALARMS = ("Api5xxAlarm", "ApiUnhandledAlarm", "ApiErrorsAlarm")


def _error_alarms() -> dict[str, Any]:
    """Alarms that see application errors: Chalice answers an unexpected exception with a 500 response,
    so Lambda's Errors never counts it; API Gateway's 5XXError and the metric filter on the app's
    `unhandled_exception` line do. Throttles of every function; events the async functions gave up on."""
    out: dict[str, Any] = {
        "Api5xxAlarm": _alarm(
            "The API answered 5xx (an unexpected exception, a timeout, the gateway's own 503)",
            "AWS/ApiGateway",
            "5XXError",
            {"ApiName": {"Fn::Sub": "esurety-${Stage}"}, "Stage": "api"},
            AlarmName={"Fn::Sub": "esurety-${Stage}-api-5xx"},
            Statistic="Sum",
            Period=60,
            Threshold=3,
        ),
        "ApiUnhandledFilter": {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "LogGroupName": {"Ref": log_group_id(API_FN)},
                "FilterPattern": UNHANDLED_FILTER,
                "MetricTransformations": [
                    {
                        "MetricNamespace": {"Fn::Sub": f"{logs.NAMESPACE}/${{Stage}}"},
                        "MetricName": "UnhandledExceptions",
                        "MetricValue": "1",
                        "Unit": "Count",
                    }
                ],
            },
        },
        "ApiUnhandledAlarm": _alarm(
            "The app logged an exception no handler expected (chalicelib/logs.py unhandled_exception)",
            {"Fn::Sub": f"{logs.NAMESPACE}/${{Stage}}"},
            "UnhandledExceptions",
            {},
            AlarmName={"Fn::Sub": "esurety-${Stage}-api-unhandled"},
            Statistic="Sum",
            Period=60,
            Threshold=1,
        ),
        "AsyncFailuresAlarm": _alarm(
            "An SES feedback or reconcile event failed every retry: it waits in the async failure queue",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": ["AsyncFailureQueue", "QueueName"]}},
            AlarmName={"Fn::Sub": "esurety-${Stage}-async-failures"},
            Threshold=1,
        ),
    }
    for fn, short in FUNCTIONS.items():
        out[f"{fn}ThrottlesAlarm"] = _alarm(
            f"Lambda throttled the {short} function (concurrency limit reached)",
            "AWS/Lambda",
            "Throttles",
            {"FunctionName": {"Fn::Sub": f"esurety-${{Stage}}-{short}"}},
            AlarmName={"Fn::Sub": f"esurety-${{Stage}}-{short}-throttles"},
            Statistic="Sum",
            Threshold=1,
        )
    return out


VERIFICATIONS_SEARCH = (
    f"SEARCH('{{{logs.NAMESPACE},Result,Stage}} Stage=\"${{Stage}}\" MetricName=\"Verifications\"', 'Sum', 300)"
)


def _dashboard() -> dict[str, Any]:
    """One CloudWatch dashboard per stage: the API, the functions, the stream lag, the app's metrics (EMF)."""
    api = ["AWS/ApiGateway", None, "ApiName", "esurety-${Stage}", "Stage", "api"]
    app_metric = [logs.NAMESPACE, None, "Stage", "${Stage}"]

    def widget(title: str, metrics: list[list[Any]], stat: str = "Sum", x: int = 0, y: int = 0) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {"title": title, "region": "${AWS::Region}", "stat": stat, "period": 300, "metrics": metrics},
        }

    def fn_metrics(metric: str) -> list[list[Any]]:
        return [["AWS/Lambda", metric, "FunctionName", f"esurety-${{Stage}}-{s}"] for s in FUNCTIONS.values()]

    def named(base: list[Any], name: str) -> list[Any]:
        return [base[0], name, *base[2:]]

    widgets = [
        widget("API requests and errors", [named(api, m) for m in ("Count", "4XXError", "5XXError")], x=0, y=0),
        widget("API latency (p99)", [named(api, m) for m in ("Latency", "IntegrationLatency")], "p99", x=12, y=0),
        widget("Function errors", fn_metrics("Errors"), x=0, y=6),
        widget("Function throttles", fn_metrics("Throttles"), x=12, y=6),
        widget("Function duration (p99)", fn_metrics("Duration"), "p99", x=0, y=12),
        widget(
            "Stream lag (IteratorAge, max)",
            [
                ["AWS/Lambda", "IteratorAge", "FunctionName", f"esurety-${{Stage}}-{s}"]
                for s in ("certificate-stream", "event-stream")
            ],
            "Maximum",
            x=12,
            y=12,
        ),
        widget(
            "Issuances, lockouts, unhandled exceptions",
            [
                named(app_metric, "Issuances"),
                named(app_metric, "Lockouts"),
                [f"{logs.NAMESPACE}/${{Stage}}", "UnhandledExceptions"],
            ],
            x=0,
            y=18,
        ),
        widget(
            "Verifications by result",
            [[{"expression": VERIFICATIONS_SEARCH, "id": "verifications", "label": "Verifications"}]],
            x=12,
            y=18,
        ),
        widget(
            "Mail",
            [named(app_metric, m) for m in ("MailSent", "MailFailed", "MailBounced", "MailComplained")],
            x=0,
            y=24,
        ),
        widget("PDF render time (p95, ms)", [named(app_metric, "PdfRenderTime")], "p95", x=12, y=24),
        # Issue 31: signing (services/signing.py): CPU per PDF, and writes refused because KMS or the TSA did not answer
        widget("PDF sign time (p95, ms CPU)", [named(app_metric, signing.TIME_METRIC)], "p95", x=0, y=30),
        widget("PDF sign failures (KMS or TSA)", [named(app_metric, signing.FAILURE_METRIC)], x=12, y=30),
    ]
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": {"Fn::Sub": "esurety-${Stage}"},
            "DashboardBody": {"Fn::Sub": json.dumps({"widgets": widgets}, ensure_ascii=False)},
        },
    }


def _ses_feedback() -> dict[str, Any]:
    """SES's bounces and complaints for this stage's mail → an SNS topic → the SesFeedback function.

    Every mail is sent through the stage's configuration set (store/mailer.py), whose event
    destination publishes bounce and complaint events to the stage's topic: the sending domain is
    shared by every stage, so its identity-wide notification topics could not tell stages apart.
    """
    topic = {"Ref": "SesFeedbackTopic"}
    return {
        "SesConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {"Name": {"Fn::Sub": "esurety-${Stage}"}},
        },
        "SesFeedbackTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::Sub": "esurety-${Stage}-ses-feedback"}},
        },
        "SesFeedbackTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [topic],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "SesPublishesThisAccountsFeedback",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": topic,
                            "Condition": {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}},
                        }
                    ],
                },
            },
        },
        "SesFeedbackDestination": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "DependsOn": ["SesFeedbackTopicPolicy"],
            "Properties": {
                "ConfigurationSetName": {"Ref": "SesConfigurationSet"},
                "EventDestination": {
                    "Name": "bounces-and-complaints",
                    "Enabled": True,
                    "MatchingEventTypes": ["bounce", "complaint"],
                    "SnsDestination": {"TopicARN": topic},
                },
            },
        },
    }


def _custom_domain() -> dict[str, Any]:
    """The optional second door (DESIGN.md §2): on when the DomainName parameter is set."""
    return {
        "DomainCertificate": {
            "Type": "AWS::CertificateManager::Certificate",
            "Condition": "HasDomain",
            "Properties": {
                "DomainName": {"Ref": "DomainName"},
                "ValidationMethod": "DNS",
                "DomainValidationOptions": [
                    {"DomainName": {"Ref": "DomainName"}, "HostedZoneId": {"Ref": "HostedZoneId"}}
                ],
            },
        },
        "ApiDomain": {
            "Type": "AWS::ApiGateway::DomainName",
            "Condition": "HasDomain",
            "Properties": {
                "DomainName": {"Ref": "DomainName"},
                "RegionalCertificateArn": {"Ref": "DomainCertificate"},
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
            },
        },
        "ApiBasePathMapping": {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "Condition": "HasDomain",
            "DependsOn": ["RestAPIapiStage"],
            "Properties": {"DomainName": {"Ref": "ApiDomain"}, "RestApiId": {"Ref": "RestAPI"}, "Stage": "api"},
        },
        "ApiDnsRecord": {
            "Type": "AWS::Route53::RecordSet",
            "Condition": "HasDomain",
            "Properties": {
                "HostedZoneId": {"Ref": "HostedZoneId"},
                "Name": {"Ref": "DomainName"},
                "Type": "A",
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]},
                    "HostedZoneId": {"Fn::GetAtt": ["ApiDomain", "RegionalHostedZoneId"]},
                },
            },
        },
    }


def _if_prod(prod: Any, other: Any) -> dict[str, Any]:
    return {"Fn::If": [IS_PROD, prod, other]}


def _deployment_preference() -> dict[str, Any]:
    """SAM's CodeDeploy traffic shifting onto the new version of the `live` alias: canary in prod,
    rolled back when an alarm that sees application errors fires; every other stage all at once."""
    return {
        "Type": _if_prod(PROD_DEPLOYMENT, OTHER_DEPLOYMENT),
        "Alarms": _if_prod([{"Ref": a} for a in ROLLBACK_ALARMS], {"Ref": "AWS::NoValue"}),
    }


def _function(name: str, role: str, **extra: Any) -> dict[str, Any]:
    logical = next(k for k, v in FUNCTIONS.items() if v == name)
    props: dict[str, Any] = {
        "FunctionName": {"Fn::Sub": f"esurety-${{Stage}}-{name}"},
        **_environment(),
        "Tracing": "Active",
        "LoggingConfig": {"LogGroup": {"Ref": log_group_id(logical)}, "LogFormat": "Text"},
        "AutoPublishAlias": ALIAS,
        "DeploymentPreference": _deployment_preference(),
        **extra,
    }
    if logical in SNAPSTART_FUNCTIONS:
        props["SnapStart"] = dict(SNAPSTART)
    if logical in ASYNC_FUNCTIONS:
        props["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}}
    if logical in RESERVED_CONCURRENCY:
        props["ReservedConcurrentExecutions"] = _if_prod(RESERVED_CONCURRENCY[logical], {"Ref": "AWS::NoValue"})
    return {"Properties": props}


def _log_groups() -> dict[str, Any]:
    """Every group the stage writes, owned by the stack, with a retention (Retain in prod: package.py)."""
    groups = {log_group_id(fn): log_group_name(short) for fn, short in FUNCTIONS.items()}
    groups["ApiAccessLogGroup"] = log_group_name("api-access")
    return {
        logical: {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": name,
                "RetentionInDays": _if_prod(LOG_RETENTION_DAYS["prod"], LOG_RETENTION_DAYS["other"]),
            },
        }
        for logical, name in groups.items()
    }


def _stream_function_statements(stream_table: str, tables: Any, actions: Any) -> list[dict[str, Any]]:
    """A stream-triggered mail function's grants (certificates, events): its logs and tables, reading
    its own table's stream, SES as the sender, the shared failure queue, the stage's configuration."""
    return [
        _dynamodb_statement(list(tables), actions),
        {
            "Effect": "Allow",
            "Action": list(STREAM_READ_ACTIONS),
            "Resource": {"Fn::GetAtt": [logical_id(stream_table), "StreamArn"]},
        },
        _ses_statement(),
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}},
        _stage_config_statement(),
    ]


#: API Gateway's own answers (the function never runs) → (status, our error code, message, Retry-After).
#: None keeps the gateway's status. Static bodies only: `$context.error.message` echoes the caller's
#: Authorization header for an unknown path (NOTES.md), so no body refers to `$context.error.*`.
GATEWAY_ANSWERS: dict[str, tuple[int | None, str, int, bool]] = {
    # API Gateway cannot tell a missing method from a missing path: both are this 404 (API.md).
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", 404, False),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", 415, False),
    "REQUEST_TOO_LARGE": (413, "too_large", 413, False),
    "THROTTLED": (429, "locked", 503, True),
    "QUOTA_EXCEEDED": (429, "locked", 503, True),
    "INTEGRATION_TIMEOUT": (503, "unavailable", 503, True),
    "DEFAULT_4XX": (None, "invalid", 400, False),
    "DEFAULT_5XX": (503, "unavailable", 503, True),
}


def gateway_responses() -> dict[str, Any]:
    """`x-amazon-apigateway-gateway-responses`: every answer API Gateway makes itself, in our error shape."""
    from chalicelib.handlers.errors import MESSAGES, UNAVAILABLE_RETRY_AFTER

    out: dict[str, Any] = {}
    for kind, (status, code, message_of, retry) in GATEWAY_ANSWERS.items():
        item = {"field": None, "code": code, "message": MESSAGES[message_of]}
        headers = {
            "gatewayresponse.header.Content-Type": "'application/json; charset=utf-8'",
            "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
        }
        if retry:
            headers["gatewayresponse.header.Retry-After"] = f"'{UNAVAILABLE_RETRY_AFTER}'"
        answer: dict[str, Any] = {
            "responseParameters": headers,
            "responseTemplates": {"application/json": json.dumps({"errors": [item]}, ensure_ascii=False)},
        }
        if status is not None:
            answer["statusCode"] = str(status)
        out[kind] = answer
    return out


def _webhook_and_reminder_functions() -> dict[str, Any]:
    """Issue 30: the webhook sender and the daily reminders, each with its own least-privilege role."""
    sender = [
        _dynamodb_statement(list(SENDER_TABLES), SENDER_DYNAMODB_ACTIONS),
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": SECRETS_KEY_ARN},  # the sealed secret
    ]
    reminders = [
        _dynamodb_statement(list(REMINDERS_TABLES), REMINDERS_DYNAMODB_ACTIONS),
        _ses_statement(),
        _stage_config_statement(),
        # The daily CRL re-issue (store/signer.reissue_stage_crl): the CA key signs it; the chain is
        # read and the CRL read and written under the bucket's signing/ prefix (HEAD is a GetObject).
        {"Effect": "Allow", "Action": ["kms:Sign"], "Resource": SIGNING_CA_KEY_ARN},
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": {"Fn::Sub": ["${B}/signing/*", {"B": {"Fn::GetAtt": ["PdfBucket", "Arn"]}}]},
        },
    ]
    return {
        WEBHOOK_FN: _function("webhook-sender", "webhook-sender"),
        "WebhookSenderRole": _role(sender, "WebhookSenderRolePolicy", "webhook-sender"),
        REMINDERS_FN: _function("daily-reminders", "daily-reminders"),
        "DailyRemindersRole": _role(reminders, "DailyRemindersRolePolicy", "daily-reminders"),
    }


def template() -> dict[str, Any]:
    resources: dict[str, Any] = {logical_id(name): table(name, model) for name, model in ALL_MODELS.items()}
    bucket_arn = {"Fn::GetAtt": ["PdfBucket", "Arn"]}
    resources["PdfBucket"] = _bucket()
    resources["PdfBucketTlsOnly"] = _tls_only_policy()
    resources["StreamFailureQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": {"Fn::Sub": "esurety-${Stage}-certificate-stream-failures"},
            "MessageRetentionPeriod": 1209600,
            "SqsManagedSseEnabled": True,
        },
    }
    resources["AsyncFailureQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": {"Fn::Sub": "esurety-${Stage}-async-failures"},
            "MessageRetentionPeriod": 1209600,
            "SqsManagedSseEnabled": True,
        },
    }
    resources.update(_log_groups())
    resources["Dashboard"] = _dashboard()
    resources[STREAM_FN] = _function(
        "certificate-stream",
        "certificate-stream",
        Events={
            STREAM_EVENT: {
                "Properties": {
                    "Stream": {"Fn::GetAtt": [logical_id("certificates"), "StreamArn"]},
                    "StartingPosition": "TRIM_HORIZON",
                    "BatchSize": 10,
                    # Retry until the record is MAX_RECORD_AGE old, not a fixed count: a count can be
                    # spent entirely inside another attempt's live notify lease (NOTES.md).
                    "MaximumRetryAttempts": -1,
                    "MaximumRecordAgeInSeconds": MAX_RECORD_AGE,
                    "BisectBatchOnFunctionError": True,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}}},
                }
            }
        },
    )
    resources[EVENTS_FN] = _function(
        "event-stream",
        "event-stream",
        Events={
            EVENTS_EVENT: {
                "Properties": {
                    **resources[STREAM_FN]["Properties"]["Events"][STREAM_EVENT]["Properties"],
                    "Stream": {"Fn::GetAtt": [logical_id("events"), "StreamArn"]},
                }
            }
        },
    )
    resources[API_FN] = _function("api", "api")
    # The subscription chalice package makes names the topic after the STAGE it was packaged
    # with (handlers/bounces.py); the stack's own topic replaces it, so any stage gets its own.
    # Chalice's merge is per key and chalice writes the topic as {"Fn::Sub": arn}: the same key,
    # with the topic's Ref (its ARN) inside, replaces it and makes the subscription wait for it.
    resources[FEEDBACK_FN] = _function(
        "ses-feedback", "ses-feedback", Events={FEEDBACK_EVENT: {"Properties": {"Topic": FEEDBACK_TOPIC_ARN}}}
    )
    secret_param = _parameter_arn("session-secret")
    api_statements = [
        _dynamodb_statement(list(API_TABLES), API_DYNAMODB_ACTIONS),
        {
            "Effect": "Allow",
            "Action": list(API_S3_ACTIONS),
            "Resource": {"Fn::Sub": ["${B}/*", {"B": bucket_arn}]},
        },
        {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": secret_param},
        _stage_config_statement(),
        _ses_statement(),  # account mail: invitations, resets (services/account_mail.py)
        # TOTP secrets at rest (issue 26, store/sealed.py): a data key per value, wrapped by the key.
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": SECRETS_KEY_ARN},
        # Every PDF it issues is signed by the stage's signing key (issue 31): Sign, nothing else.
        {"Effect": "Allow", "Action": ["kms:Sign"], "Resource": SIGNING_KEY_ARN},
    ]
    stream_statements = _stream_function_statements("certificates", STREAM_TABLES, STREAM_DYNAMODB_ACTIONS)
    events_statements = _stream_function_statements("events", EVENTS_TABLES, EVENTS_DYNAMODB_ACTIONS)
    resources["ApiHandlerRole"] = _role(api_statements, "ApiHandlerRolePolicy", "api")
    resources["EventStreamRole"] = _role(events_statements, "EventStreamRolePolicy", "event-stream")
    resources["CertificateStreamRole"] = _role(stream_statements, "CertificateStreamRolePolicy", "certificate-stream")
    feedback_statements = [_dynamodb_statement(list(FEEDBACK_TABLES), FEEDBACK_DYNAMODB_ACTIONS)]
    resources["SesFeedbackRole"] = _role(feedback_statements, "SesFeedbackRolePolicy", "ses-feedback")
    resources.update(_ses_feedback())
    resources[RECONCILE_FN] = _function("reconcile-pdfs", "reconcile-pdfs")
    reconcile_statements = [
        _dynamodb_statement(list(RECONCILE_TABLES), RECONCILE_DYNAMODB_ACTIONS),
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket_arn},
        {
            "Effect": "Allow",
            "Action": list(RECONCILE_S3_ACTIONS),
            "Resource": {"Fn::Sub": ["${B}/*", {"B": bucket_arn}]},
        },
        _stage_config_statement(),
    ]
    resources["ReconcilePdfsRole"] = _role(reconcile_statements, "ReconcilePdfsRolePolicy", "reconcile-pdfs")
    resources.update(_webhook_and_reminder_functions())
    # API Gateway's binary media types (request bodies that must arrive as bytes): chalice package
    # writes the function's own, shorter list (handlers/binary.py); the merge replaces the list whole.
    # OpenApiVersion (any value) stops SAM from adding a third, unmanaged stage named `Stage` beside
    # `api` (its Deployment's StageName); "2.0" is what Chalice's DefinitionBody is (Swagger 2.0).
    # Stage throttling (issue 26, SECURITY.md): every method of the stage shares API Gateway's
    # token bucket before a request reaches the function — a flood costs no Lambda time.
    resources["RestAPI"] = {
        "Properties": {
            "DefinitionBody": {
                "x-amazon-apigateway-binary-media-types": list(binary.GATEWAY),
                "x-amazon-apigateway-gateway-responses": gateway_responses(),
            },
            "OpenApiVersion": "2.0",
            # The RestApi's name, which API Gateway's metrics (Api5xxAlarm, the dashboard) are dimensioned by.
            "Name": {"Fn::Sub": "esurety-${Stage}"},
            "TracingEnabled": True,
            "AccessLogSetting": {
                "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
                "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
            },
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": THROTTLE_RATE,
                    "ThrottlingBurstLimit": THROTTLE_BURST,
                }
            ],
        }
    }
    resources["SecretsKey"] = _secrets_key()
    # The name operators' tools seal with (bin/admin smoke-fixture, encrypt-secrets: store/sealed.py),
    # where the functions have the key's id in their environment.
    resources["SecretsKeyAlias"] = {
        "Type": "AWS::KMS::Alias",
        "Properties": {
            "AliasName": {"Fn::Sub": "alias/esurety-${Stage}-secrets"},
            "TargetKeyId": {"Ref": "SecretsKey"},
        },
    }
    resources.update(_signing_keys())
    resources.update(_monitoring())
    resources.update(_custom_domain())
    return {
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedPattern": STAGE_PATTERN,
                "Description": "Stage name (dev, prod or br-<branch>-<hash>); every resource is named after it. "
                "The package step pins the default and the only allowed value to the packaged stage.",
            },
            "SesSender": {
                "Type": "String",
                "AllowedPattern": "^[^@\\s]+@[^@\\s]+$",
                "Description": "The only address the stage may send as (ses:FromAddress); bin/stage up sets it.",
            },
            "DomainName": {
                "Type": "String",
                "Default": "",
                "Description": "Custom domain of the stage (optional): ACM certificate, base-path mapping, DNS record.",
            },
            "HostedZoneId": {"Type": "String", "Default": "", "Description": "Route 53 zone of DomainName."},
            "AlarmEmail": {"Type": "String", "Default": "", "Description": "Optional address for the alarm topic."},
            "SigningTsaUrl": {
                "Type": "String",
                "Default": DEFAULT_TSA_URL,
                "AllowedPattern": "^https?://\\S+$",
                "Description": "The RFC 3161 timestamp authority of the stage's PDF signatures (bin/stage up sets "
                "it from ESURETY_TSA_URL; its trust roots go to the bucket's signing/tsa-roots.pem).",
            },
            "ConfigVersion": {
                "Type": "String",
                "Default": "0",
                "Description": "The SSM versions of the session secret, public URL and sender (bin/stage sets it): "
                "a new one gives every function a new configuration, and so new containers.",
            },
        },
        "Conditions": {
            "HasDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]},
            "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
            IS_PROD: {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        },
        "Resources": resources,
        "Outputs": {
            "PdfBucketName": {"Value": {"Ref": "PdfBucket"}},
            "CertificatesStreamArn": {"Value": {"Fn::GetAtt": [logical_id("certificates"), "StreamArn"]}},
            "StreamFailureQueueUrl": {"Value": {"Ref": "StreamFailureQueue"}},
            "PublicBaseUrl": {
                "Description": "PUBLIC_BASE_URL: the custom domain, else the execute-api URL with its stage segment",
                "Value": {
                    "Fn::If": [
                        "HasDomain",
                        {"Fn::Sub": "https://${DomainName}"},
                        {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"},
                    ]
                },
            },
        },
    }


def stage_policy(stage: str) -> dict[str, Any]:
    """`.chalice/policy-<stage>.json`, which Chalice requires with autogen_policy false.

    The merge template replaces each role's policy list with a tighter,
    per-function one (exact table ARNs, the SES sender condition); Chalice's
    merge replaces lists whole, so nothing of this file reaches a deployed
    role. It states the same limits by name pattern for anyone reading it.
    """
    prefix = f"esurety-{stage}-"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:*:*:*",
            },
            {
                "Effect": "Allow",
                "Action": sorted(set(API_DYNAMODB_ACTIONS) | set(STREAM_DYNAMODB_ACTIONS)),
                "Resource": [f"arn:aws:dynamodb:*:*:table/{prefix}*", f"arn:aws:dynamodb:*:*:table/{prefix}*/index/*"],
            },
            {
                "Effect": "Allow",
                "Action": list(STREAM_READ_ACTIONS),
                "Resource": [
                    f"arn:aws:dynamodb:*:*:table/{prefix}certificates/stream/*",
                    f"arn:aws:dynamodb:*:*:table/{prefix}events/stream/*",
                ],
            },
            {"Effect": "Allow", "Action": list(API_S3_ACTIONS), "Resource": f"arn:aws:s3:::{prefix}pdf-*/*"},
            {
                "Effect": "Allow",
                "Action": ["ses:SendRawEmail"],
                "Resource": ["arn:aws:ses:*:*:identity/*", f"arn:aws:ses:*:*:configuration-set/esurety-{stage}"],
            },
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": f"arn:aws:ssm:*:*:parameter/esurety/{stage}/session-secret",
            },
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "arn:aws:kms:*:*:key/*"},
            {
                "Effect": "Allow",
                "Action": ["kms:Sign"],
                "Resource": "arn:aws:kms:*:*:key/*",
                "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/esurety-{stage}-signing"}},
            },
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": [
                    f"arn:aws:ssm:*:*:parameter/esurety/{stage}/public-base-url",
                    f"arn:aws:ssm:*:*:parameter/esurety/{stage}/ses-sender",
                ],
            },
            {
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": f"arn:aws:sqs:*:*:{prefix}certificate-stream-failures",
            },
        ],
    }


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_all(stages: tuple[str, ...] = ("dev", "prod")) -> list[Path]:
    written = [RESOURCES]
    RESOURCES.write_text(dump(template()), encoding="utf-8")
    for stage in stages:
        path = RESOURCES.parent / f"policy-{stage}.json"
        path.write_text(dump(stage_policy(stage)), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    extra = tuple(sys.argv[1:])
    for path in write_all(("dev", "prod", *extra)):
        sys.stdout.write(f"wrote {path}\n")
