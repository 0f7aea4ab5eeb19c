"""The structure DESIGN.md §2 promises, checked on the source itself.

- The cloud seam is one folder: no service or handler mentions PynamoDB or
  botocore (the same check as `grep -rn "pynamodb\\|botocore" chalicelib/services
  chalicelib/handlers`, case-insensitive so a stray alias cannot slip through).
- No module imports a layer above it: handlers ← services ← store/render ←
  domain. The imports are read with `ast` (function-level imports and
  handlers/lazy.py's `lazy("chalicelib....")` included), so a lazy import cannot
  hide an upward dependency.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"

#: What each layer may import from chalicelib. `base` is settings.py, logs.py, aws_config.py,
#: event_loops.py and aws_faults.py: stage configuration (a deployed stage's values come from SSM through readers that
#: store/parameters.py installs, so settings imports nothing above it), log lines, the AWS clients'
#: bounds and "is this failure an AWS outage", which every layer but the domain may use.
ALLOWED = {
    "domain": {"domain"},
    "store": {"store", "domain", "base"},
    "render": {"render", "domain", "base"},
    "services": {"services", "store", "render", "domain", "base"},
    "handlers": {"handlers", "services", "render", "domain", "base"},
    "base": {"base"},
}

#: Known upward imports, each waiting for work in flight elsewhere. DELETE an entry
#: when its import is gone (the test fails on an entry that no longer happens).
KNOWN_UPWARD_IMPORTS: set[tuple[str, str]] = set()


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "chalicelib" or len(parts) < 2:
        return None
    if parts[1] in ("settings", "logs", "aws_config", "aws_faults", "event_loops"):
        return "base"
    if parts[1] in ALLOWED:
        return parts[1]
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, modules_only: bool = False) -> set[str]:
    """Every chalicelib module `path` imports, wherever the import statement is.

    `modules_only`: `from package import module` names only the module, not the package too
    (for the circle check: a module's own package always loads first, so the package's
    `__init__` re-exporting it is no circle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        lazy = _lazy_import(node)
        if lazy:
            found.add(lazy)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                module = ".".join(base[: len(base) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from chalicelib import settings` / `from chalicelib.store import paging`: the names may be modules
            names = [f"{module}.{alias.name}" for alias in node.names]
            if modules_only:
                found.update(name if _canonical(name) == name else module for name in names)
            else:
                found.update([module, *names])
    return {m for m in found if m.startswith("chalicelib.")}


def _lazy_import(node: ast.AST) -> str | None:
    """`lazy("chalicelib.services.verify")` (handlers/lazy.py) is an import made on first use."""
    if not isinstance(node, ast.Call) or len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    value = node.args[0].value
    return value if name == "lazy" and isinstance(value, str) else None


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _violations() -> set[tuple[str, str]]:
    out = set()
    for path in _sources():
        own = _layer(_module_name(path))
        if own is None:
            continue
        for module in _imports(path):
            target = _layer(module)
            if target is not None and target not in ALLOWED[own]:
                out.add((str(path.relative_to(ROOT)), _canonical(module)))
    return out


def _canonical(module: str) -> str:
    """`chalicelib.handlers.schema.validate` → the module part that exists on disk."""
    parts = module.split(".")
    while parts:
        candidate = ROOT.joinpath(*parts)
        if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
            return ".".join(parts)
        parts.pop()
    return module


def test_no_service_or_handler_mentions_pynamodb_or_botocore():
    pattern = re.compile(r"pynamodb|botocore", re.IGNORECASE)
    hits = []
    for folder in ("services", "handlers"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    hits.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert hits == [], "the cloud seam is store/ only:\n" + "\n".join(hits)


def test_no_module_imports_a_layer_above_it():
    unexpected = sorted(_violations() - KNOWN_UPWARD_IMPORTS)
    assert unexpected == [], "upward imports (handlers ← services ← store/render ← domain):\n" + "\n".join(
        f"{src} imports {mod}" for src, mod in unexpected
    )


def test_the_known_exceptions_still_exist():
    """An allowlisted import that is gone must leave the allowlist too."""
    stale = sorted(KNOWN_UPWARD_IMPORTS - _violations())
    assert stale == [], f"delete these from KNOWN_UPWARD_IMPORTS: {stale}"


@pytest.mark.parametrize(
    ("source", "layer", "imports", "upward"),
    [
        ("x = 1\ndef f():\n    from chalicelib.services import auth\n", "store", "chalicelib.services.auth", True),
        ("from chalicelib import settings\n", "domain", "chalicelib.settings", True),
        ("from chalicelib import settings\n", "render", "chalicelib.settings", False),
        ("import chalicelib.handlers.page\n", "services", "chalicelib.handlers.page", True),
        ("from chalicelib.domain.records import Guarantee\n", "store", "chalicelib.domain.records", False),
        ('verify = lazy("chalicelib.services.verify")\n', "store", "chalicelib.services.verify", True),
        ('verify = lazy("chalicelib.services.verify")\n', "handlers", "chalicelib.services.verify", False),
    ],
)
def test_the_walker_sees_lazy_and_aliased_imports(tmp_path, monkeypatch, source, layer, imports, upward):
    """The checker itself: it must see imports inside functions and `from package import module`."""
    (tmp_path / "chalicelib" / layer).mkdir(parents=True)
    path = tmp_path / "chalicelib" / layer / "m.py"
    path.write_text(source, encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert imports in _imports(path)
    assert (_layer(imports) not in ALLOWED[layer]) is upward


# ---------------------------------------------------------------- import circles inside a layer


def _graph() -> dict[str, set[str]]:
    """module → the modules of its own layer it imports (module-level and function-level alike)."""
    graph: dict[str, set[str]] = {}
    for path in _sources():
        name = _module_name(path)
        own = _layer(name)
        if own is None:
            continue
        targets = {_canonical(m) for m in _imports(path, modules_only=True)}
        graph[name] = {t for t in targets if t != name and _layer(t) == own}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[str]:
    """One circle per strongly connected group of modules (Tarjan), as `a → b → … → a`, followed
    by the group's other members when the shortest circle does not pass through them all."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    out = []
    for group in groups:
        circle = _one_circle(graph, group)
        rest = sorted(group - set(circle))
        out.append(" → ".join(circle) + (f" (the circle also runs through {', '.join(rest)})" if rest else ""))
    return out


def _one_circle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for nxt in sorted(graph[node] & group):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                todo.append(nxt)
    return sorted(group)  # unreachable: a strongly connected group always closes


def test_no_import_circle_inside_a_layer():
    circles = _circles(_graph())
    assert circles == [], (
        "import circles (break them: a leaf module, a pure domain function, a new room):\n" + "\n".join(circles)
    )


def test_the_fee_ledger_imports_no_service():
    """services/fees.py is the leaf every other fee room builds on: it imports no other service."""
    services = sorted(
        m for m in map(_canonical, _imports(PACKAGE / "services" / "fees.py")) if m.startswith("chalicelib.services.")
    )
    assert services == [], f"services/fees.py imports {services}"


# ---------------------------------------------------------------- function length

#: A function longer than this is split into named steps (a declarative table excepted, below).
MAX_FUNCTION_LINES = 60

#: Long on purpose: a declarative table read as one (a list of fields, a schema). Keep it tiny.
DECLARATIVE_TABLES: set[str] = set()

#: Known long functions waiting for their split elsewhere. DELETE an entry when its function
#: is short enough (the test fails on an entry that no longer exceeds).
KNOWN_LONG_FUNCTIONS: set[str] = set()


def _long_functions(root: Path) -> dict[str, int]:
    """`path:Qualified.name` → lines (the `def` line to the last one) of every function over the limit."""
    found: dict[str, int] = {}
    for path in sorted((root / "chalicelib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(root).as_posix()
        todo: list[tuple[ast.AST, str]] = [(tree, "")]
        while todo:
            node, prefix = todo.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (child.end_lineno or child.lineno) - child.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        found[f"{where}:{prefix}{child.name}"] = lines
                    todo.append((child, f"{prefix}{child.name}."))
                elif isinstance(child, ast.ClassDef):
                    todo.append((child, f"{prefix}{child.name}."))
                else:
                    todo.append((child, prefix))
    return found


def test_no_function_is_over_sixty_lines():
    long = {k: v for k, v in _long_functions(ROOT).items() if k not in DECLARATIVE_TABLES | KNOWN_LONG_FUNCTIONS}
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines (split them into named steps): {long}"


def test_the_known_long_functions_are_still_long():
    """An allowlisted function that was split must leave the allowlist too."""
    stale = sorted((KNOWN_LONG_FUNCTIONS | DECLARATIVE_TABLES) - set(_long_functions(ROOT)))
    assert stale == [], f"delete these from KNOWN_LONG_FUNCTIONS / DECLARATIVE_TABLES: {stale}"


# ---------------------------------------------------------------- the fitness checks, checked


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> None:
    """A throwaway chalicelib/ under tmp_path that the checkers read instead of the real one."""
    for name, source in files.items():
        path = tmp_path / "chalicelib" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path / "chalicelib")


def test_a_circle_added_back_is_caught_even_through_a_lazy_import(tmp_path, monkeypatch):
    _package(
        tmp_path,
        monkeypatch,
        {
            "__init__.py": "",
            "services/__init__.py": "",
            "services/a.py": "from chalicelib.services import b\n",
            "services/b.py": "def f():\n    from chalicelib.services.c import g\n",
            "services/c.py": "import chalicelib.services.a\n",
            "services/d.py": "from chalicelib.services import a\n",  # into the circle, not part of it
            "store/__init__.py": "",
            "store/x.py": "from chalicelib.services import d\n",  # another layer: not a circle here
        },
    )
    assert _circles(_graph()) == [
        "chalicelib.services.a → chalicelib.services.b → chalicelib.services.c → chalicelib.services.a"
    ]
    with pytest.raises(AssertionError, match="services.a → chalicelib.services.b"):
        test_no_import_circle_inside_a_layer()


def test_a_service_imported_by_the_fee_ledger_is_caught(tmp_path, monkeypatch):
    _package(
        tmp_path,
        monkeypatch,
        {
            "services/fees.py": "from chalicelib.store import fees\n\ndef f():\n    from chalicelib.services import issuance\n",
            "services/issuance.py": "",
            "store/fees.py": "",
        },
    )
    with pytest.raises(AssertionError, match="chalicelib.services.issuance"):
        test_the_fee_ledger_imports_no_service()


def test_a_long_function_added_back_is_caught(tmp_path, monkeypatch):
    statements = [f"x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1)]  # with its `def`: exactly the limit
    fits = "".join(f"        {line}\n" for line in statements)
    grown = "".join(f"        {line}\n" for line in [*statements, "y = 0"])
    source = f"class C:\n    def fits(self):\n{fits}\n\ndef outer():\n    def grown():\n{grown}"
    _package(tmp_path, monkeypatch, {"services/m.py": source})
    assert _long_functions(tmp_path) == {
        "chalicelib/services/m.py:outer": MAX_FUNCTION_LINES + 2,
        "chalicelib/services/m.py:outer.grown": MAX_FUNCTION_LINES + 1,
    }
    with pytest.raises(AssertionError, match="outer.grown"):
        test_no_function_is_over_sixty_lines()
