"""chalicelib/logs.py: JSON lines carrying the request's ids, the unhandled-exception line the
alarm's metric filter counts, and metrics in CloudWatch's embedded metric format."""

from __future__ import annotations

import json
import types

from chalicelib import logs
from devstack import cfn


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _api_gateway_event(path: str, request_id: str) -> dict:
    """What API Gateway's Lambda proxy integration hands the function (as bench/cold_start.py builds it)."""
    headers = {"Host": "example.execute-api.ap-northeast-1.amazonaws.com", "Accept": "application/json"}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/api{path}",
            "stage": "api",
            "requestId": request_id,
            "identity": {"sourceIp": "192.0.2.1"},
        },
    }


def _matches_filter(line: dict) -> bool:
    """The template's metric filter `{ $.event = "unhandled_exception" }`, applied to one JSON line."""
    field, value = cfn.UNHANDLED_FILTER_FIELD
    return line.get(field) == value


def test_an_unexpected_exception_in_a_route_is_a_500_and_the_line_the_metric_filter_counts(monkeypatch, capsys):
    import app as app_module
    from chalicelib.services import orderers

    def broken(*_args, **_kwargs):
        msg = "a bug"
        raise KeyError(msg)

    monkeypatch.setattr(orderers, "list_orderers", broken)
    context = types.SimpleNamespace(aws_request_id="lambda-7", function_name="esurety-dev-api")
    capsys.readouterr()
    answer = app_module.app(_api_gateway_event("/api/orderers", "gw-req-42"), context)
    assert answer["statusCode"] == 500  # Chalice's answer: Lambda's Errors metric never sees it
    lines = _lines(capsys.readouterr().out)
    counted = [line for line in lines if _matches_filter(line)]
    assert len(counted) == 1, lines
    assert counted[0]["level"] == "ERROR" and "KeyError" in counted[0]["exception"]
    assert [line["status"] for line in lines if line["event"] == "http"] == [500]  # the one line per request
    assert all(line.get("request_id") == "gw-req-42" for line in lines), lines
    assert all(line.get("aws_request_id") == "lambda-7" for line in lines), lines
    # The next line, outside any request, carries no id of the last one.
    logs.info("after")
    (after,) = _lines(capsys.readouterr().out)
    assert "request_id" not in after and not _matches_filter(after)


def test_an_answered_error_is_not_counted_as_unexpected(capsys):
    import app as app_module

    capsys.readouterr()
    answer = app_module.app(_api_gateway_event("/api/health", "gw-req-1"), None)
    assert answer["statusCode"] == 200
    lines = _lines(capsys.readouterr().out)
    assert lines and not any(_matches_filter(line) for line in lines)
    assert all(line["request_id"] == "gw-req-1" and "aws_request_id" not in line for line in lines)


def test_an_event_handlers_lines_carry_its_own_invocation_id(capsys):
    @logs.scoped
    def handler(event):
        logs.info("inside", n=1)
        logs.metric("MailSent")

    handler(types.SimpleNamespace(context=types.SimpleNamespace(aws_request_id="stream-9")))
    handler(types.SimpleNamespace(context=None))  # the local pump passes no context
    first, metric, second, _ = _lines(capsys.readouterr().out)
    assert first["request_id"] == metric["request_id"] == "stream-9" and first["function"] == "handler"
    assert "request_id" not in second


def test_a_metric_is_one_line_in_cloudwatch_embedded_metric_format(capsys, monkeypatch):
    monkeypatch.setenv("STAGE", "dev")
    logs.metric("Verifications", result="valid")
    logs.metric("PdfRenderTime", 123.4, "Milliseconds")
    verification, render = _lines(capsys.readouterr().out)
    (directive,) = verification["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "esurety"
    assert directive["Dimensions"] == [["Result", "Stage"]]
    assert directive["Metrics"] == [{"Name": "Verifications", "Unit": "Count"}]
    assert verification["Verifications"] == 1 and verification["Result"] == "valid" and verification["Stage"] == "dev"
    assert isinstance(verification["_aws"]["Timestamp"], int)
    (directive,) = render["_aws"]["CloudWatchMetrics"]
    assert directive["Metrics"] == [{"Name": "PdfRenderTime", "Unit": "Milliseconds"}]
    assert directive["Dimensions"] == [["Stage"]] and render["PdfRenderTime"] == 123.4
