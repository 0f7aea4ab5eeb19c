"""Shared test set-up. The environment is fixed here, before anything imports `app`
(PynamoDB table names and the stream ARN are read when first used).

PASSWORD_HASH_COST=cheapest makes argon2id use its cheapest parameters on the local stage
(services/auth.py honours it nowhere else): at full cost every login of the suite's ~1,000
cost 0.1-0.8 s on this 2-core machine. The local stacks the e2e tests start inherit it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(
    {
        "STAGE": "local",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_REGION": "ap-northeast-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "SESSION_SECRET": "test-secret-not-for-production-0123456789abcdef",
        "PASSWORD_HASH_COST": "cheapest",
    }
)
for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(var, None)


def pytest_configure(config) -> None:
    # Every pytest process records the IAM journey's AWS calls (tests/tooling/iam_recorder.py): its
    # patches must be in place before anything creates a client. (Already loaded under `-p` in the
    # IAM test's subprocess: import_plugin then does nothing.)
    config.pluginmanager.import_plugin("tests.tooling.iam_recorder")
