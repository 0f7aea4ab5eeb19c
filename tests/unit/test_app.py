"""app.py: importing the app stays light (heavy libraries are imported when first used)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_importing_the_app_imports_no_heavy_library_and_only_the_session_service():
    """A route's services load on its first call (handlers/lazy.py); the session check, which every
    signed-in request makes, is the one service `import app` loads (issue 32). Garbage collection, paused
    while the app imports, is on again afterwards, with what the import built frozen."""
    code = (
        "import gc, json, sys, app; "
        "heavy = [m for m in ('fpdf', 'fontTools', 'jsonschema', 'segno', 'pypdf', 'moto', "
        "'jwt', 'argon2', 'cryptography', 'jinja2', 'email_validator', 'uharfbuzz', 'jaconv', 'PIL') "
        "if m in sys.modules]; "
        "services = sorted(m for m in sys.modules if m.startswith('chalicelib.services.')); "
        "records = sorted(m for m in sys.modules if m.startswith('chalicelib.domain.records')); "
        "from chalicelib.store import connection; session = connection._session is not None; "
        "print(json.dumps({'heavy': heavy, 'services': services, 'records': records, 'session': session, "
        "'gc': gc.isenabled(), 'frozen': gc.get_freeze_count() > 0}))"
    )
    env = {k: v for k, v in os.environ.items()}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    # the session check, not the login service with its counters and accounts; none of domain/records/'
    # modules (their frozen dataclasses load with the services that use them, one aggregate at a time);
    # the botocore session the session check reads through is made
    expected = {
        "services": ["chalicelib.services.session_check"],
        "records": [],
        "session": True,
        "gc": True,
        "frozen": True,
    }
    assert loaded == {"heavy": [], **expected}


SNAPSTART = """
import json, sys, types
hooks = {"before": [], "after": []}
fake = types.ModuleType("snapshot_restore_py")  # what Lambda's python3.12+ runtime provides
fake.register_before_snapshot = hooks["before"].append
fake.register_after_restore = hooks["after"].append
sys.modules["snapshot_restore_py"] = fake
import app
from chalicelib.services import verify
key = verify._DUMMY_KEY
for hook in hooks["after"]:
    hook()
print(json.dumps([[f.__name__ for f in hooks["before"]], [f.__name__ for f in hooks["after"]], verify._DUMMY_KEY != key]))
"""


def test_on_a_snapstart_runtime_the_warm_up_and_the_after_restore_hooks_are_registered():
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    out = subprocess.run([sys.executable, "-c", SNAPSTART], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after, renewed = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == ["warm_up"] and after == ["after_restore"]
    assert renewed  # the verifier's dummy key is not shared by instances restored from one snapshot
