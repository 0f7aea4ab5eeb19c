"""Issue 10 item 5: `domain/application` stays split into small, single-purpose functions.

`review_application` was one 136-line function with ~46 branches; it is now a
sequence of section rules. This keeps each function readable at a glance
(≤ 40 lines, ≤ 12 decision points) and the package free of I/O.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "chalicelib" / "domain" / "application"
_DECISIONS = (ast.If, ast.For, ast.While, ast.Try, ast.IfExp, ast.BoolOp, ast.comprehension, ast.match_case)


def _functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(f"{path.name}:{n.name}", n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    return found


@pytest.mark.parametrize(("name", "fn"), _functions(), ids=[name for name, _fn in _functions()])
def test_no_function_is_long_or_branchy(name: str, fn: ast.FunctionDef):
    lines = fn.end_lineno - fn.lineno + 1
    decisions = sum(isinstance(node, _DECISIONS) for node in ast.walk(fn))
    assert lines <= 40, f"{name} has {lines} lines"
    assert decisions <= 12, f"{name} has {decisions} decision points"


def test_one_rule_function_per_form_section():
    from chalicelib.domain.application import rules

    for section in ("project", "advance_payment", "contract_guarantee", "bid", "delivery"):
        assert callable(getattr(rules, f"review_{section}"))


def test_the_package_does_no_io():
    banned = (
        "boto3",
        "botocore",
        "pynamodb",
        "chalice",
        "chalicelib.store",
        "chalicelib.services",
        "chalicelib.render",
    )
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            assert not [n for n in names if any(n == b or n.startswith(b + ".") for b in banned)], (
                f"{path.name}: {names}"
            )


def test_callers_imports_keep_working():
    from chalicelib.domain import application

    for name in (
        "review_application",
        "APPLICATION_SCHEMA",
        "amount_rule_errors",
        "parse_amount",
        "normalise_date",
        "normalise_postal_code",
        "to_full_width",
        "half_width_leftovers",
    ):
        assert hasattr(application, name), name
