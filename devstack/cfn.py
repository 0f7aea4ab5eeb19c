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

from chalicelib.store.models import ALL_MODELS

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / ".chalice" / "resources.json"
API_FN, STREAM_FN = "APIHandler", "CertificateStream"
STREAM_EVENT = "CertificateStreamDynamodbEventSource"
#: The staff events' stream function (issue 14): same mapping settings, its own table's stream.
EVENTS_FN, EVENTS_EVENT = "EventStream", "EventStreamDynamodbEventSource"
BUCKET_NAME = {"Fn::Sub": "esurety-${Stage}-pdf-${AWS::AccountId}"}
# What the stream function reads and writes (the rest it never touches).
STREAM_TABLES = ("guarantees", "certificates", "notifications", "applications", "accounts", "inbox", "events")


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


def _logs_statement() -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"},
    }


def _ses_statement() -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": ["ses:SendRawEmail", "ses:SendEmail"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
    }


def _dynamodb_statement(names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": [
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:Query",
            "dynamodb:DescribeTable",
        ],
        "Resource": _table_arns(names),
    }


def _role(statements: list[dict[str, Any]], policy_name: str) -> dict[str, Any]:
    return {
        "Properties": {
            "Policies": [
                {"PolicyName": policy_name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ]
        }
    }


def _environment() -> dict[str, Any]:
    return {
        "Environment": {
            "Variables": {
                "STAGE": {"Ref": "Stage"},
                "PDF_BUCKET": BUCKET_NAME,
                "SESSION_SECRET_PARAM": {"Fn::Sub": "/esurety/${Stage}/session-secret"},
            }
        }
    }


def template() -> dict[str, Any]:
    resources: dict[str, Any] = {logical_id(name): table(name, model) for name, model in ALL_MODELS.items()}
    bucket_arn = {"Fn::GetAtt": ["PdfBucket", "Arn"]}
    resources["PdfBucket"] = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": BUCKET_NAME,
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-pending-uploads",
                        "Status": "Enabled",
                        "TagFilters": [{"Key": "state", "Value": "pending"}],
                        "ExpirationInDays": 7,
                    }
                ]
            },
        },
    }
    resources["StreamFailureQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": {"Fn::Sub": "esurety-${Stage}-certificate-stream-failures"},
            "MessageRetentionPeriod": 1209600,
            "SqsManagedSseEnabled": True,
        },
    }
    resources[STREAM_FN] = {
        "Properties": {
            **_environment(),
            "Events": {
                STREAM_EVENT: {
                    "Properties": {
                        "Stream": {"Fn::GetAtt": [logical_id("certificates"), "StreamArn"]},
                        "StartingPosition": "TRIM_HORIZON",
                        "BatchSize": 10,
                        "MaximumRetryAttempts": 10,
                        "MaximumRecordAgeInSeconds": 86400,
                        "BisectBatchOnFunctionError": True,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "DestinationConfig": {
                            "OnFailure": {"Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}}
                        },
                    }
                }
            },
        }
    }
    resources[EVENTS_FN] = {
        "Properties": {
            **_environment(),
            "Events": {
                EVENTS_EVENT: {
                    "Properties": {
                        **resources[STREAM_FN]["Properties"]["Events"][STREAM_EVENT]["Properties"],
                        "Stream": {"Fn::GetAtt": [logical_id("events"), "StreamArn"]},
                    }
                }
            },
        }
    }
    resources[API_FN] = {"Properties": _environment()}
    secret_param = {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/esurety/${Stage}/session-secret"
    }
    api_statements = [
        _logs_statement(),
        _dynamodb_statement(list(ALL_MODELS)),
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:GetObjectTagging"],
            "Resource": {"Fn::Sub": ["${B}/*", {"B": bucket_arn}]},
        },
        _ses_statement(),
        {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": secret_param},
    ]
    stream_statements = [
        _logs_statement(),
        _dynamodb_statement(list(STREAM_TABLES)),
        {
            "Effect": "Allow",
            "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
            "Resource": [
                {"Fn::GetAtt": [logical_id("certificates"), "StreamArn"]},
                {"Fn::GetAtt": [logical_id("events"), "StreamArn"]},
            ],
        },
        _ses_statement(),
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}},
        {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": secret_param},
    ]
    resources["ApiHandlerRole"] = _role(api_statements, "ApiHandlerRolePolicy")
    resources["CertificateStreamRole"] = _role(stream_statements, "CertificateStreamRolePolicy")
    return {
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedPattern": "^[a-z0-9][a-z0-9-]{0,30}$",
                "Description": "Stage name (local, dev, prod or a git branch); every resource is named after it.",
            }
        },
        "Resources": resources,
        "Outputs": {
            "PdfBucketName": {"Value": {"Ref": "PdfBucket"}},
            "CertificatesStreamArn": {"Value": {"Fn::GetAtt": [logical_id("certificates"), "StreamArn"]}},
        },
    }


def stage_policy(stage: str) -> dict[str, Any]:
    """`.chalice/policy-<stage>.json`, which Chalice requires with autogen_policy false.

    The merge template replaces each role's policy with a tighter, per-function
    one (exact table ARNs); this file states the same limits by name pattern.
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
                "Action": _dynamodb_statement([])["Action"],
                "Resource": [f"arn:aws:dynamodb:*:*:table/{prefix}*", f"arn:aws:dynamodb:*:*:table/{prefix}*/index/*"],
            },
            {
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
                "Resource": [
                    f"arn:aws:dynamodb:*:*:table/{prefix}certificates/stream/*",
                    f"arn:aws:dynamodb:*:*:table/{prefix}events/stream/*",
                ],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:GetObjectTagging"],
                "Resource": f"arn:aws:s3:::{prefix}pdf-*/*",
            },
            {"Effect": "Allow", "Action": ["ses:SendRawEmail", "ses:SendEmail"], "Resource": "arn:aws:ses:*:*:identity/*"},
            {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": f"arn:aws:ssm:*:*:parameter/esurety/{stage}/session-secret"},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": f"arn:aws:sqs:*:*:{prefix}certificate-stream-failures"},
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
