"""The structure DESIGN.md §2 promises, checked on the source itself.

- The cloud seam is one folder: no service or handler mentions PynamoDB or
  botocore (the same check as `grep -rn "pynamodb\\|botocore" chalicelib/services
  chalicelib/handlers`, case-insensitive so a stray alias cannot slip through).
- No module imports a layer above it: handlers ← services ← store/render ←
  domain. The imports are read with `ast` (function-level imports included),
  so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"

#: What each layer may import from chalicelib. `base` is settings.py, logs.py and aws_config.py:
#: stage configuration (settings reads a deployed stage's values from SSM with aws_config's bounded
#: client), log lines and the AWS clients' bounds, which every layer but the domain may use.
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
    if parts[1] in ("settings", "logs", "aws_config"):
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


def _imports(path: Path) -> set[str]:
    """Every chalicelib module `path` imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from chalicelib import settings` / `from chalicelib.store import paging`: the names may be modules
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m.startswith("chalicelib.")}


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
