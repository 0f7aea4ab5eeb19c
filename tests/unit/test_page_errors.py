"""Issue 22: errors are mapped once. `@page` answers a DomainError as `@api` does
(handlers/errors.as_api_errors), so no handler catches DomainError itself: a page that shows a
refusal beside its form catches the narrower error it shows (ValidationFailed, Conflict, …).

The check reads the handlers' source with `ast`: an `except` naming DomainError (alone, in a
tuple, or as `errors.DomainError`) in any function decorated with `@page(...)`, or anywhere in a
handler module other than the three that do the mapping (endpoint.py, page.py, errors.py). A write
behind a confirmation declares it with handlers/confirm.confirmed (which maps its refusals once, by
`on_error`): no other handler reads the confirmation field itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

HANDLERS = ROOT / "chalicelib" / "handlers"
#: The modules that map errors for every route (they name DomainError to answer it).
MAPPING_MODULES = {"endpoint.py", "page.py", "errors.py"}


def _names(node: ast.expr | None) -> set[str]:
    """The class names an `except` clause lists (`X`, `(X, Y)`, `mod.X`)."""
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(e) for e in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return set()


def _is_page(decorator: ast.expr) -> bool:
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(func, ast.Name) and func.id == "page") or (
        isinstance(func, ast.Attribute) and func.attr == "page"
    )


def _catches_domain_error(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and "DomainError" in _names(node.type)
    ]


def domain_error_catches(handlers: Path) -> list[str]:
    """`path:line` of every `except DomainError` the rule forbids under `handlers`."""
    found = []
    for path in sorted(handlers.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if path.name not in MAPPING_MODULES:
            lines = _catches_domain_error(tree)
        else:
            pages = [
                fn
                for fn in ast.walk(tree)
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and any(map(_is_page, fn.decorator_list))
            ]
            lines = [line for fn in pages for line in _catches_domain_error(fn)]
        found += [f"{path.name}:{line}" for line in sorted(lines)]
    return found


def test_no_handler_catches_domain_error():
    assert domain_error_catches(HANDLERS) == [], (
        "@page and @api answer a DomainError (handlers/errors.as_api_errors); a page catches only "
        "the narrower error it shows beside its form"
    )


def test_the_mapping_modules_are_still_there():
    """The exemption names real files: a rename would otherwise exempt nothing and hide nothing."""
    assert {p.name for p in HANDLERS.glob("*.py")} >= MAPPING_MODULES


# ---------------------------------------------------------------- the check checks


def test_the_check_finds_a_catch_added_back_to_a_real_page(tmp_path):
    source = (HANDLERS / "staff.py").read_text(encoding="utf-8")
    narrow = "except ValidationFailed as exc:"
    assert narrow in source
    (tmp_path / "staff.py").write_text(source.replace(narrow, "except DomainError as exc:", 1), encoding="utf-8")
    assert domain_error_catches(tmp_path) == [f"staff.py:{_line_of(source, narrow)}"]


def _function(name: str, caught: str, decorator: str = "") -> str:
    """A module-level function whose body catches `caught` (its `except` on the function's 4th line)."""
    return f"{decorator}def {name}(call):\n    try:\n        pass\n    except {caught}:\n        pass\n\n\n"


def test_the_check_reads_tuples_attributes_and_nested_functions(tmp_path):
    nested = _function("inner", "DomainError").replace("\n", "\n    ").rstrip()
    source = (
        _function("one", "(ValueError, errors.DomainError)")
        + f"def two():\n    {nested}\n\n\n"
        + _function("fine", "(ValidationFailed, Conflict)")
    )
    (tmp_path / "pages.py").write_text(source, encoding="utf-8")
    assert domain_error_catches(tmp_path) == ["pages.py:4", "pages.py:12"]


def test_in_the_mapping_modules_only_page_functions_are_held_to_it(tmp_path):
    source = _function("mapping", "DomainError") + _function(
        "a_page", "DomainError", "@page(bp, '/x', audience=None)\n"
    )
    (tmp_path / "page.py").write_text(source, encoding="utf-8")
    assert domain_error_catches(tmp_path) == ["page.py:12"]


# ---------------------------------------------------------------- one confirmation step

#: The module whose confirmation step every cookie-form write uses (and the only one to read its field).
CONFIRMING = "confirm.py"


def own_confirmations(handlers: Path) -> list[str]:
    """`path:line` of every handler that reads the confirmation field itself (a hand-made step, whose
    refusals it would then map by hand) instead of declaring the write with `@confirmed`."""
    found = []
    for path in sorted(handlers.glob("*.py")):
        if path.name == CONFIRMING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [
            f"{path.name}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value == "confirmed"
        ]
    return found


def test_every_confirmed_write_uses_the_one_confirmation_step():
    assert (HANDLERS / CONFIRMING).exists()
    assert own_confirmations(HANDLERS) == [], (
        "declare the write with handlers/confirm.confirmed: it signs the step, runs the write once, "
        "redirects, and shows a refusal beside the form through its on_error"
    )


def test_the_check_finds_a_hand_made_confirmation_step(tmp_path):
    source = 'def deliver(call):\n    if call.form.get("confirmed") != "1":\n        return None\n'
    (tmp_path / "pages.py").write_text(source, encoding="utf-8")
    (tmp_path / CONFIRMING).write_text(source, encoding="utf-8")
    assert own_confirmations(tmp_path) == ["pages.py:2"]


def _line_of(source: str, text: str) -> int:
    return source[: source.index(text)].count("\n") + 1
