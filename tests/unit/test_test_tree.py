"""The test tree keeps its shape (tests/README.md), checked on the sources with `ast`.

- No module imports from a test module (`test_*.py`): a helper two test modules share lives in a
  module of its own (tests/journeys.py, tests/forms.py, tests/factories.py, …) or a conftest.
- Outside `tests/**/store/` no module imports the PynamoDB models (`chalicelib.store.models`):
  tests write and read through the store's repositories (or tests/tables.py). MODELS_ALLOWED lists
  what is not converted yet; it may only shrink — an entry that no longer imports the models fails.
- Every folder of tests/ is a package (`__init__.py`), so two test modules of one name in two
  folders (tests/unit/domain/test_fees.py, tests/functional/staff/test_fees.py) can coexist.

Each check is also run on a small tree made in tmp_path, so a check that stops seeing what it
looks for fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

TESTS = ROOT / "tests"
MODELS = "chalicelib.store.models"

#: Modules that still import the PynamoDB models, each with why. Shrink it; never grow it.
MODELS_ALLOWED: dict[str, str] = {
    "tests/e2e/conftest.py": "writes paid applications straight into a local stack's own moto (Stack.put_model)",
    "tests/tooling/test_deploy_template.py": "the template is generated from the models",
    "tests/tooling/test_stage.py": "bin/stage loads the fee rate table the FeeRateModel reads",
}


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path, root: Path) -> set[str]:
    """Every module `path` imports (anywhere in it, also inside functions), as dotted names;
    `from a import b` yields both `a` and `a.b` (b may be a module)."""
    package = path.relative_to(root.parent).with_suffix("").parts[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out.add(module)
            out.update(f"{module}.{alias.name}" for alias in node.names)
    return out


def cross_test_imports(root: Path) -> list[str]:
    """`file: module` for every import of a test module (a `test_*` module of the tree)."""
    found = []
    for path in _modules(root):
        for module in sorted(_imported(path, root)):
            parts = module.split(".")
            if parts[0] == root.name and parts[-1].startswith("test_"):
                found.append(f"{path.relative_to(root.parent)}: {module}")
    return found


def model_importers(root: Path) -> set[str]:
    """The modules outside any `store/` folder of the tree that import the PynamoDB models."""
    return {
        path.relative_to(root.parent).as_posix()
        for path in _modules(root)
        if "store" not in path.relative_to(root).parts[:-1] and MODELS in _imported(path, root)
    }


def folders_without_init(root: Path) -> list[str]:
    folders = {p.parent for p in _modules(root)}
    return sorted(str(f.relative_to(root.parent)) for f in folders if not (f / "__init__.py").exists())


# ------------------------------------------------------------------ the tree itself


def test_no_module_imports_a_test_module():
    assert cross_test_imports(TESTS) == []


def test_only_the_store_tests_import_the_models_besides_the_allowlist():
    importers = model_importers(TESTS)
    assert sorted(importers - set(MODELS_ALLOWED)) == [], "use chalicelib/store/ repositories or tests/tables.py"


def test_the_models_allowlist_has_no_stale_entry():
    stale = sorted(set(MODELS_ALLOWED) - model_importers(TESTS))
    assert stale == [], f"no longer imports the models: remove from MODELS_ALLOWED: {stale}"


def test_every_test_folder_is_a_package():
    assert folders_without_init(TESTS) == []


# ------------------------------------------------------------------ the checks see what they look for


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "tests"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {p.parent for p in root.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return root


CLEAN = {
    "journeys.py": "STAFF = 1\n",
    "functional/netdesk/test_applications.py": "from tests.journeys import STAFF\n",
    "functional/store/test_conflicts.py": "from chalicelib.store.models import GuaranteeModel\n",
    "unit/store/test_connection.py": "from chalicelib.store import models\n",
}


def test_a_clean_tree_passes_every_check(tmp_path):
    root = _tree(tmp_path, CLEAN)
    assert cross_test_imports(root) == []
    assert model_importers(root) == set()
    assert folders_without_init(root) == []


@pytest.mark.parametrize(
    "line",
    [
        "from tests.functional.netdesk.test_applications import FORM",
        "from tests.functional.netdesk import test_applications",
        "import tests.functional.netdesk.test_applications",
        "from .test_applications import FORM",
        "def helper():\n    from tests.functional.netdesk.test_applications import FORM\n",
    ],
)
def test_a_cross_test_import_added_back_is_found(tmp_path, line):
    root = _tree(tmp_path, {**CLEAN, "functional/netdesk/test_pages.py": line + "\n"})
    assert cross_test_imports(root) == [
        "tests/functional/netdesk/test_pages.py: tests.functional.netdesk.test_applications"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "from chalicelib.store.models import GuaranteeModel",
        "from chalicelib.store import models",
        "import chalicelib.store.models",
        "def helper():\n    from chalicelib.store.models import GuaranteeModel\n",
    ],
)
def test_a_models_import_outside_the_store_tests_is_found(tmp_path, line):
    root = _tree(tmp_path, {**CLEAN, "functional/staff/test_issuance.py": line + "\n", "factories.py": line + "\n"})
    assert model_importers(root) == {"tests/functional/staff/test_issuance.py", "tests/factories.py"}


def test_a_folder_without_init_is_found(tmp_path):
    root = _tree(tmp_path, CLEAN)
    (root / "functional" / "netdesk" / "__init__.py").unlink()
    assert folders_without_init(root) == ["tests/functional/netdesk"]
