"""The once-per-account bootstrap template (`deploy/bootstrap.json`), generated: `python -m devstack.bootstrap`.

What every stage stack relies on and no stage stack may own (README, "Bootstrap"):

- `esurety-cloudformation`, the CloudFormation service role every stage stack is created and
  changed with (`bin/stage` passes it as the change set's RoleARN): the rights to create a stage's
  resources live here, not with whoever deploys;
- the artifacts bucket the packages and templates go through;
- GitHub's OIDC provider (optional: an account has at most one) and three roles for the
  workflows, each allowed to touch only its own stages' resources:
  `esurety-github-branches` (`esurety-br-*`), trusted for the `sub`s
  `repo:<repo>:environment:branch-stages` (stage.yml's deploy job on a branch) and
  `…:ref:refs/heads/<default branch>` (its down and prune jobs, which GitHub runs on the default
  branch); `esurety-github-dev` (`esurety-dev*`), trusted only for `…:environment:dev` (the deploy
  job on main; the environment admits main alone); `esurety-github-prod` (`esurety-prod*`), trusted
  only for `…:environment:prod` (prod.yml's job in the protected environment). No branch's
  workflow can assume a role that reaches dev or prod;
- API Gateway's account-wide CloudWatch role (`AWS::ApiGateway::Account`: one per account and
  region, so never in a stage's stack).

The CI roles' actions are `CI_ACTIONS`: what `bin/stage` calls (its `--dry-run` prints them;
tests/tooling/test_stage.py compares) and what `bin/admin` does on a new stage (the first admin,
the smoke fixture). The README lists the same.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from devstack.cfn import PRIVATE_BUCKET

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "deploy" / "bootstrap.json"
SERVICE_ROLE = "esurety-cloudformation"
OIDC_HOST = "token.actions.githubusercontent.com"
SAM_TRANSFORM = "arn:${AWS::Partition}:cloudformation:${AWS::Region}:aws:transform/Serverless-2016-10-31"

#: service → IAM actions of the CI roles, by what needs them (README "Bootstrap" lists the same).
CI_ACTIONS: dict[str, tuple[str, ...]] = {
    # the stack, through change sets made with the service role (bin/stage up, rotate-secret, down, prune)
    "cloudformation": (
        "cloudformation:CreateChangeSet",
        "cloudformation:DeleteStack",
        "cloudformation:DescribeChangeSet",
        "cloudformation:DescribeStacks",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:GetTemplate",
        "cloudformation:UpdateTerminationProtection",  # prod's stack (bin/stage up)
    ),
    "iam": ("iam:PassRole",),  # the service role only
    # packages and templates in the artifacts bucket; a stage's bucket emptied on down
    "s3": (
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:GetObject",  # CloudFormation reads TemplateURL with the caller's rights
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:PutObject",
    ),
    # the session secret, stage values, first-admin link and smoke fixture: /esurety/<stage>/*
    "ssm": ("ssm:DeleteParameters", "ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter"),
    # the fee_rates table (up), the first admin and the smoke fixture's rows (bin/admin)
    "dynamodb": (
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",  # the smoke fixture's accounts (their one live set-up link)
        # redrive reads the failed records back from the stream
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    ),
    "logs": ("logs:DeleteLogGroup",),
    # redrive: the failure queue and the stream functions
    "sqs": ("sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"),
    "lambda": ("lambda:InvokeFunction",),
    "ses": ("ses:SendRawEmail",),  # the first admin's invitation (bin/admin create-first)
    # the smoke fixture's staff TOTP secrets, sealed with the stage's key through its alias (bin/admin);
    # the signing chain: the CA key signs the signing certificate and the CRL (bin/admin signing-chain)
    "kms": ("kms:GenerateDataKey", "kms:GetPublicKey", "kms:Sign"),
}


#: Of CI_ACTIONS, what `bin/admin` calls through the app's store on a new stage (create-first, the
#: smoke fixture): tests/tooling/test_admin.py records them on moto.
ADMIN_ACTIONS = (
    "kms:GenerateDataKey",
    "kms:GetPublicKey",
    "kms:Sign",
    "s3:GetObject",
    "s3:PutObject",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "ses:SendRawEmail",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:PutParameter",
)
#: Of CI_ACTIONS, what no call names but AWS checks: the change set's RoleARN, CloudFormation
#: reading TemplateURL as the caller, a versioned object's deletion (delete_objects with VersionIds).
IMPLIED_ACTIONS = ("iam:PassRole", "s3:GetObject", "s3:DeleteObjectVersion")


def ci_actions() -> list[str]:
    return sorted(a for actions in CI_ACTIONS.values() for a in actions)


def _stage_resources(patterns: tuple[str, ...]) -> dict[str, list[Any]]:
    """ARN patterns of the stages a role may touch, by service (names as devstack/names.py builds them)."""

    def each(template: str) -> list[Any]:
        return [{"Fn::Sub": template.replace("@", p)} for p in patterns]

    region = "${AWS::Region}:${AWS::AccountId}"
    return {
        "cloudformation": [
            *each(f"arn:${{AWS::Partition}}:cloudformation:{region}:stack/esurety-@/*"),
            {"Fn::Sub": SAM_TRANSFORM},
        ],
        "s3": [
            *each("arn:${AWS::Partition}:s3:::esurety-@-pdf-${AWS::AccountId}"),
            *each("arn:${AWS::Partition}:s3:::esurety-@-pdf-${AWS::AccountId}/*"),
            {"Fn::GetAtt": ["ArtifactsBucket", "Arn"]},
            {"Fn::Sub": "${ArtifactsBucket.Arn}/*"},
        ],
        "ssm": each(f"arn:${{AWS::Partition}}:ssm:{region}:parameter/esurety/@/*"),
        "dynamodb": [
            *each(f"arn:${{AWS::Partition}}:dynamodb:{region}:table/esurety-@-*"),
        ],
        "logs": [
            *each(
                f"arn:${{AWS::Partition}}:logs:{region}:log-group:/aws/lambda/esurety-@-*"
            ),  # before the stack owned them
            *each(f"arn:${{AWS::Partition}}:logs:{region}:log-group:/esurety/@/*"),
        ],
        "sqs": each(f"arn:${{AWS::Partition}}:sqs:{region}:esurety-@-certificate-stream-failures"),
        "lambda": each(f"arn:${{AWS::Partition}}:lambda:{region}:function:esurety-@-*"),
        "ses": [{"Fn::Sub": f"arn:${{AWS::Partition}}:ses:{region}:identity/*"}],
        "iam": [{"Fn::GetAtt": ["CloudFormationServiceRole", "Arn"]}],
        "kms": [{"Fn::Sub": f"arn:${{AWS::Partition}}:kms:{region}:key/*"}],  # narrowed to the stages' aliases below
    }


def _ci_policy(patterns: tuple[str, ...]) -> dict[str, Any]:
    resources = _stage_resources(patterns)
    statements = []
    for service, actions in CI_ACTIONS.items():
        statement = {
            "Sid": service.capitalize(),
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": resources[service],
        }
        if service == "iam":
            statement["Condition"] = {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
        if service == "kms":  # only the keys behind these stages' secrets and signing aliases
            aliases = [f"alias/esurety-{p}-{k}" for p in patterns for k in ("secrets", "signing", "signing-ca")]
            statement["Condition"] = {"ForAnyValue:StringLike": {"kms:ResourceAliases": aliases}}
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _github_role(name: str, subjects: list[Any], patterns: tuple[str, ...]) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": name,
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "Federated": {
                                "Fn::If": [
                                    "CreateOidcProvider",
                                    {"Ref": "GitHubOidcProvider"},
                                    {
                                        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{OIDC_HOST}"
                                    },
                                ]
                            }
                        },
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {f"{OIDC_HOST}:aud": "sts.amazonaws.com", f"{OIDC_HOST}:sub": subjects}
                        },
                    }
                ],
            },
            "Policies": [{"PolicyName": "stage-tooling", "PolicyDocument": _ci_policy(patterns)}],
        },
    }


#: What the stage stacks create, with the service role's rights (SAM-translated: functions, the
#: REST API and its stage, permissions, event-source mappings, the hourly rule).
SERVICE_ACTIONS = (
    "acm:*",
    "apigateway:*",
    "cloudwatch:*",  # alarms and the dashboard
    "codedeploy:*",  # SAM's DeploymentPreference: the application, deployment groups, the alias's traffic shift
    "dynamodb:*",
    "events:*",
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "kms:*",  # the stage's key for secrets at rest and its alias (store/sealed.py)
    "lambda:*",
    "logs:*",
    "route53:ChangeResourceRecordSets",
    "route53:GetChange",
    "route53:GetHostedZone",
    "route53:ListResourceRecordSets",
    "s3:*",
    "ses:*",
    "sns:*",
    "sqs:*",
)


def _service_role() -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": SERVICE_ROLE,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudformation.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "stage-stacks",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": list(SERVICE_ACTIONS), "Resource": "*"},
                            {  # a stage stack makes and passes only its own roles
                                "Effect": "Deny",
                                "Action": ["iam:CreateRole", "iam:PassRole", "iam:PutRolePolicy", "iam:DeleteRole"],
                                "NotResource": {
                                    "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/esurety-*"
                                },
                            },
                        ],
                    },
                }
            ],
        },
    }


def _api_gateway_account() -> dict[str, Any]:
    return {
        "ApiGatewayCloudWatchRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": "esurety-apigateway-cloudwatch",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                    }
                ],
            },
        },
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}},
        },
    }


def template() -> dict[str, Any]:
    repo = "repo:${GitHubRepository}"
    resources: dict[str, Any] = {
        "ArtifactsBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": {"Fn::Sub": "esurety-artifacts-${AWS::AccountId}-${AWS::Region}"},
                **PRIVATE_BUCKET,
                "LifecycleConfiguration": {
                    "Rules": [{"Id": "expire-old-packages", "Status": "Enabled", "ExpirationInDays": 90}]
                },
            },
        },
        "CloudFormationServiceRole": _service_role(),
        "GitHubOidcProvider": {
            "Type": "AWS::IAM::OIDCProvider",
            "Condition": "CreateOidcProvider",
            "Properties": {"Url": f"https://{OIDC_HOST}", "ClientIdList": ["sts.amazonaws.com"]},
        },
        "GitHubBranchesRole": _github_role(
            "esurety-github-branches",
            [
                {"Fn::Sub": f"{repo}:environment:branch-stages"},
                {"Fn::Sub": f"{repo}:ref:refs/heads/${{DefaultBranch}}"},
            ],
            ("br-*",),
        ),
        "GitHubDevRole": _github_role("esurety-github-dev", [{"Fn::Sub": f"{repo}:environment:dev"}], ("dev",)),
        "GitHubProdRole": _github_role("esurety-github-prod", [{"Fn::Sub": f"{repo}:environment:prod"}], ("prod",)),
        **_api_gateway_account(),
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "e-Surety: once per account and region (README, Bootstrap). Not a stage.",
        "Parameters": {
            "GitHubRepository": {
                "Type": "String",
                "AllowedPattern": "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
                "Description": "owner/name of the repository whose workflows deploy",
            },
            "DefaultBranch": {"Type": "String", "Default": "main"},
            "CreateOidcProvider": {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "true",
                "Description": "false when the account already has GitHub's OIDC provider",
            },
        },
        "Conditions": {"CreateOidcProvider": {"Fn::Equals": [{"Ref": "CreateOidcProvider"}, "true"]}},
        "Resources": resources,
        "Outputs": {
            "ArtifactsBucket": {"Value": {"Ref": "ArtifactsBucket"}},
            "CloudFormationServiceRoleArn": {"Value": {"Fn::GetAtt": ["CloudFormationServiceRole", "Arn"]}},
            "BranchesRoleArn": {"Value": {"Fn::GetAtt": ["GitHubBranchesRole", "Arn"]}},
            "DevRoleArn": {"Value": {"Fn::GetAtt": ["GitHubDevRole", "Arn"]}},
            "ProdRoleArn": {"Value": {"Fn::GetAtt": ["GitHubProdRole", "Arn"]}},
        },
    }


def dump() -> str:
    return json.dumps(template(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(dump(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
