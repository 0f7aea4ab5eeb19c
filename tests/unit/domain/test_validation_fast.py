"""The fast request validators (fastjsonschema, generated at build time) never accept a body that
jsonschema — whose answer lists every bad field — refuses, and a good body never imports jsonschema."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import validation
from devstack import schema_code
from tests.factories import application_body

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = list({validation.fingerprint(s): s for s in schema_code.schemas()}.values())
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False) | st.text(max_size=80)
    | st.sampled_from(["", "2026-12-01", "2026-02-30", "30026-000101M", "a\n", "ｶﾅ", "x" * 300, "advance_payment"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def _names(schema: dict) -> list[str]:
    return sorted(schema.get("properties", {})) + ["unexpected"]


def _bodies(schema: dict) -> st.SearchStrategy:
    """Objects made of the schema's own property names with any JSON values, and the good
    application body with one field replaced."""
    shaped = st.dictionaries(st.sampled_from(_names(schema)), JSON_VALUES, max_size=6)
    near = st.tuples(st.sampled_from(sorted(application_body())), JSON_VALUES).map(
        lambda kv: {**application_body(), kv[0]: kv[1]}
    )
    return shaped | near | JSON_VALUES


@pytest.mark.parametrize("schema", SCHEMAS, ids=[validation.fingerprint(s) for s in SCHEMAS])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_validator_accepts_nothing_jsonschema_refuses(schema, data):
    fast = validation.fast_validator(schema)
    assert fast is not None  # every request schema of the app has a fast path
    body = data.draw(_bodies(schema))
    try:
        fast(body)
    except Exception:  # noqa: BLE001 - refused: jsonschema decides, nothing to compare
        return
    assert validation._full(body, schema) == []


def test_the_generated_modules_are_the_validators_and_import_nothing_of_fastjsonschema(tmp_path):
    count = schema_code.generate(tmp_path / "compiled")
    assert count == len({validation.fingerprint(s) for s in SCHEMAS})
    schema = next(s for s in SCHEMAS if s is not None and "items" in s.get("properties", {}))
    path = tmp_path / "compiled" / f"{validation.fingerprint(schema)}.py"
    assert "import fastjsonschema" not in path.read_text() and "from fastjsonschema" not in path.read_text()
    spec = importlib.util.spec_from_file_location("generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.validate({"items": [{"number": "30026-000101M", "auth_key": "Z28YUE4J3Bux"}]})
    with pytest.raises(ValueError):
        module.validate({"items": "nope"})


def test_a_good_body_is_validated_without_importing_jsonschema_and_a_bad_one_lists_every_field():
    code = (
        "import json, sys, app\n"
        "from chalicelib.domain import validation\n"
        "from chalicelib.handlers.dsure import BULK_JSON\n"
        "ok = validation.validate({'items': [{'number': '30026-000101M', 'auth_key': 'K'}]}, BULK_JSON)\n"
        "before = 'jsonschema' in sys.modules\n"
        "bad = validation.validate({'items': 'x', 'other': 1}, BULK_JSON)\n"
        "print(json.dumps([ok, before, sorted(e.field for e in bad)]))\n"
    )
    env = {**os.environ, "STAGE": "local", "SESSION_SECRET": "test-only-secret", "AWS_DEFAULT_REGION": "ap-northeast-1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    ok, imported, bad_fields = json.loads(out.stdout.strip().splitlines()[-1])
    assert ok == [] and imported is False
    assert bad_fields == ["items", "other"]
