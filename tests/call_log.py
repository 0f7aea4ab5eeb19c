"""Record the IAM action of every AWS call a process makes, into the JSON-lines file CALL_LOG.

For a tool run as a subprocess (tests/tooling/test_admin.py runs `bin/admin` this way):
`python -c "from tests import call_log; call_log.install(); …"`. Every botocore client is
covered (boto3's and PynamoDB's own sessions alike); a DynamoDB transaction is recorded as the
item actions IAM checks, as tests/tooling/iam_recorder.py does for the functions.
"""

from __future__ import annotations

import json
import os
from typing import Any

TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
#: Operations IAM authorises under another action's name (S3's HEAD is a GetObject).
IAM_ACTION = {"s3:HeadObject": "s3:GetObject"}


def actions(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        kinds = {kind for item in params.get("TransactItems", []) for kind in item}
        return sorted(f"dynamodb:{TRANSACT.get(k, 'GetItem')}" for k in kinds)
    action = f"{service}:{operation}"
    return [IAM_ACTION.get(action, action)]


def install(path: str | None = None) -> None:
    from botocore.client import BaseClient

    target = path or os.environ["CALL_LOG"]
    original = BaseClient._make_api_call

    def recorded(self: Any, operation: str, params: dict[str, Any]) -> Any:
        service = self.meta.service_model.signing_name
        with open(target, "a", encoding="utf-8") as log:
            log.write(json.dumps(actions(service, operation, params)) + "\n")
        return original(self, operation, params)

    BaseClient._make_api_call = recorded


def read(path: str) -> set[str]:
    with open(path, encoding="utf-8") as log:
        return {a for line in log for a in json.loads(line)}
