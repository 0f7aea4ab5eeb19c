"""domain/records/: every record by name from the package, its aggregate's module loaded on first use."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from chalicelib.domain import records
from tests.conftest import ROOT


def test_every_name_is_a_frozen_record_of_its_aggregates_module():
    import importlib
    import pkgutil

    defined = {
        name
        for info in pkgutil.iter_modules(records.__path__)
        for name, value in vars(importlib.import_module(f"{records.__name__}.{info.name}")).items()
        if dataclasses.is_dataclass(value) and value.__module__.endswith(info.name)
    }
    assert sorted(records.__all__) == sorted(records._MODULE_OF) == sorted(defined)  # every record, by name
    for name, module in records._MODULE_OF.items():
        record = getattr(records, name)
        assert dataclasses.is_dataclass(record) and record.__dataclass_params__.frozen, name
        assert record.__module__ == f"chalicelib.domain.records.{module}"
    assert set(dir(records)) >= set(records.__all__)


def test_an_unknown_name_is_an_attribute_error_and_an_import_error():
    with pytest.raises(AttributeError, match="Nothing"):
        records.Nothing  # noqa: B018
    with pytest.raises(ImportError):
        from chalicelib.domain.records import Nothing  # noqa: F401


def test_importing_one_record_loads_its_aggregate_only():
    code = (
        "import json, sys\n"
        "from chalicelib.domain.records import Guarantee\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('chalicelib.domain.records.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["chalicelib.domain.records._guarantees"]
