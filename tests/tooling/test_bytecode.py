"""devstack/bytecode.py: set-up's one process that writes the bytecode cache of what the stack and the suite import."""

from __future__ import annotations

import importlib.util
import sys

from devstack import bytecode


def test_every_module_it_warms_exists():
    """A renamed module would silently stop being warmed (a failed import is skipped on purpose)."""
    assert [name for name in bytecode.MODULES if importlib.util.find_spec(name) is None] == []


def test_a_module_that_fails_to_import_is_skipped_and_bytecode_is_written_whatever_the_environment(monkeypatch):
    imported = []

    def import_module(name):
        imported.append((name, sys.dont_write_bytecode))
        if name == "broken":
            raise ImportError(name)

    monkeypatch.setattr(bytecode, "MODULES", ("broken", "fine"))
    monkeypatch.setattr(bytecode.importlib, "import_module", import_module)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as PYTHONDONTWRITEBYTECODE leaves it
    assert bytecode.main() == 0
    assert imported == [("broken", False), ("fine", False)]
