"""Issue 24: the once-per-account bootstrap template (devstack/bootstrap.py, deploy/bootstrap.json): valid,
committed as generated, and its OIDC roles trusted only for their subjects and limited to their stages.
(That the CI roles' actions are the calls the tools make is tests/tooling/test_stage.py's, beside the
moto helpers it needs.)"""

from __future__ import annotations

import json
import shutil
import subprocess

from devstack import bootstrap, cfn
from tests.conftest import ROOT


def test_the_committed_template_is_the_generated_one_and_passes_cfn_lint():
    path = ROOT / "deploy" / "bootstrap.json"
    assert path.read_text(encoding="utf-8") == bootstrap.dump(), "run: .venv/bin/python -m devstack.bootstrap"
    lint = shutil.which("cfn-lint", path=str(ROOT / ".venv" / "bin")) or shutil.which("cfn-lint")
    result = subprocess.run([lint, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_oidc_roles_trust_only_their_subjects_and_stages():
    resources = bootstrap.template()["Resources"]

    def subjects(role):
        (statement,) = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        condition = statement["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        return [s["Fn::Sub"] for s in condition["token.actions.githubusercontent.com:sub"]]

    assert subjects("GitHubProdRole") == ["repo:${GitHubRepository}:environment:prod"]
    assert subjects("GitHubDevRole") == ["repo:${GitHubRepository}:environment:dev"]
    assert subjects("GitHubBranchesRole") == [
        "repo:${GitHubRepository}:environment:branch-stages",
        "repo:${GitHubRepository}:ref:refs/heads/${DefaultBranch}",  # down and prune, on the default branch
    ]

    def reach(role):
        text = json.dumps(resources[role]["Properties"]["Policies"])
        return {stage for stage in ("br-", "dev", "prod") if f"esurety-{stage}" in text or f"/esurety/{stage}" in text}

    assert reach("GitHubBranchesRole") == {"br-"}
    assert reach("GitHubDevRole") == {"dev"} and reach("GitHubProdRole") == {"prod"}
    assert resources["ApiGatewayAccount"]["Type"] == "AWS::ApiGateway::Account"
    stage_types = {r.get("Type") for r in cfn.template()["Resources"].values()}
    assert "AWS::ApiGateway::Account" not in stage_types  # one per account and region: never a stage's


#: What SAM's transform adds to the stage's own resource types (tests/tooling/test_package.py translates
#: the package: functions, the REST API, its deployment and stage, permissions, mappings, the hourly rule).
SAM_MADE = {
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventSourceMapping",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::Events::Rule",
}
SERVICE_OF = {"CertificateManager": "acm", "Route53": "route53", "CloudWatch": "cloudwatch"}


def test_the_service_role_may_create_every_kind_of_resource_of_a_stage_stack():
    types = {r["Type"] for r in cfn.template()["Resources"].values() if "Type" in r} | SAM_MADE
    services = {SERVICE_OF.get(t.split("::")[1], t.split("::")[1].lower()) for t in types}
    granted = {a.split(":")[0] for a in bootstrap.SERVICE_ACTIONS}
    assert services <= granted, services - granted
    role = bootstrap.template()["Resources"]["CloudFormationServiceRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    (policy,) = role["Policies"]
    deny = policy["PolicyDocument"]["Statement"][1]
    assert deny["Effect"] == "Deny" and "iam:PassRole" in deny["Action"]
    assert deny["NotResource"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/esurety-*"}
