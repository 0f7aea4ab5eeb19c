"""A pytest plugin that records, per Lambda function, every AWS operation the code makes.

Loaded with `-p tests.tooling.iam_recorder` (tests/tooling/test_iam_least_privilege.py runs a
journey of the functional suite in a subprocess with it) and writes JSON to the
path in IAM_RECORD. It patches, before anything creates a client:

- `botocore.session.Session.create_client`, so every client (boto3's and
  PynamoDB's own sessions alike) gets botocore `before-call` and presign
  (`before-parameter-build.s3.GetObject`) handlers;
- Chalice's two entry points, so each call is attributed to the function that
  Lambda would run: `Chalice.__call__` is the API function (`app.app`),
  `EventSourceHandler.__call__` an event function, named by its handler
  (`certificate_stream` is "stream", `event_stream` "events" (issue 14), `ses_feedback` the
  SES feedback function).
  Calls made by test set-up (provisioning, seeding, factories, bin/admin) belong
  to none and are not recorded.
"""

from __future__ import annotations

import contextvars
import json
import os
from typing import Any

import botocore.session
from chalice import app as chalice_app

_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("lambda_function", default=None)
RECORDED: set[tuple[str, str, str, str]] = set()  # (function, service, operation, resource)


def _resources(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(operation, resource) pairs; a transaction is recorded as the item operations IAM checks."""
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        kinds = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem",
        }
        out = []
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                out.append((kinds[kind], body["TableName"]))
        return out
    if service == "dynamodb" and operation in ("BatchGetItem", "BatchWriteItem"):
        return [(operation, table) for table in params.get("RequestItems", {})]
    if service == "kms" and operation == "Sign":  # which of the two signing keys (settings.py's ids)
        return [(operation, SIGNING_KEYS.get(str(params.get("KeyId")), str(params.get("KeyId"))))]
    if service == "s3" and operation == "PutObject" and params.get("Tagging"):
        return [(operation, params["Bucket"]), ("PutObjectTagging", params["Bucket"])]  # IAM wants both
    for key in ("TableName", "Bucket", "Source", "Name", "QueueUrl", "StreamArn"):
        if key in params:
            return [(operation, str(params[key]))]
    if "Names" in params:
        return [(operation, n) for n in params["Names"]]
    return [(operation, "*")]


class _SigningKeys:
    """KeyId → "key:signing" (PDFs) or "key:signing-ca" (the CA: certificates, CRLs), read from
    the environment at the call (a test sets SIGNING_KEY_ID / SIGNING_CA_KEY_ID to moto's keys)."""

    def get(self, key_id: str, default: str) -> str:
        names = {os.environ.get("SIGNING_KEY_ID"): "key:signing", os.environ.get("SIGNING_CA_KEY_ID"): "key:signing-ca"}
        return names.get(key_id, default)


SIGNING_KEYS = _SigningKeys()


def _record(service: str, operation: str, params: dict[str, Any]) -> None:
    function = _FUNCTION.get()
    if function is None:
        return
    for op, resource in _resources(service, operation, params):
        RECORDED.add((function, service, op, resource))


def _keep_params(params: dict[str, Any], model: Any, context: dict[str, Any], **kwargs: Any) -> None:
    """`before-parameter-build` sees the caller's parameters: keep them for `before-call`.

    A presigned URL makes no call (so no `before-call`), but the holder of the URL
    acts with the signer's permissions: it is recorded here.
    """
    context["iam_params"] = dict(params)
    if context.get("is_presign_request"):
        _record(model.service_model.service_name, model.name, params)


def _before_call(model: Any, params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
    _record(model.service_model.service_name, model.name, context.get("iam_params", {}))


_create_client = botocore.session.Session.create_client


def _create_client_recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
    client = _create_client(self, *args, **kwargs)
    client.meta.events.register("before-parameter-build", _keep_params)
    client.meta.events.register("before-call", _before_call)
    return client


#: Event handlers (by Python name) → the function name the test uses.
EVENT_FUNCTIONS = {"certificate_stream": "stream", "event_stream": "events", "ses_feedback": "ses_feedback"}


def _entry(name: str | None, original: Any) -> Any:
    def call(self: Any, event: Any, context: Any) -> Any:
        function = name or EVENT_FUNCTIONS.get(self.func.__name__, self.func.__name__)
        token = _FUNCTION.set(function)
        try:
            return original(self, event, context)
        finally:
            _FUNCTION.reset(token)

    return call


botocore.session.Session.create_client = _create_client_recorded
chalice_app.Chalice.__call__ = _entry("api", chalice_app.Chalice.__call__)
chalice_app.EventSourceHandler.__call__ = _entry(None, chalice_app.EventSourceHandler.__call__)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("IAM_RECORD")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(sorted(RECORDED), f, indent=1)
