"""`scripts/package` builds what Lambda gets, and cfn-lint accepts the merged template.

This is how deploys are proven here (no AWS account): the SAM template that
`chalice package --merge-template` emits is validated, and the zip is checked
for the files Lambda needs and for what it must not carry.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "deployments", "__pycache__", ".*_cache", ".hypothesis")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the checkout to package: scripts/package copies templates/ into chalicelib/assets/
    while it runs, and tests running at the same time (pytest -n) would read them half-copied.
    It shares the virtualenv and chalice's cache of built dependencies with the real checkout."""
    copy = tmp_path_factory.mktemp("checkout") / "esurety"
    shutil.copytree(ROOT, copy, ignore=_NOT_COPIED)
    (copy / ".venv").symlink_to((ROOT / ".venv").resolve())
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(exist_ok=True)
    (copy / ".chalice" / "deployments").symlink_to(cache)
    return copy


@pytest.fixture(scope="module")
def package(tmp_path_factory, checkout):
    out = tmp_path_factory.mktemp("package") / "out"
    subprocess.run(
        ["bash", "scripts/package", "dev", str(out)], cwd=checkout, check=True, capture_output=True, timeout=900
    )
    return out


def test_zip_carries_templates_font_and_license_but_no_test_tools(package, checkout):
    with zipfile.ZipFile(package / "deployment.zip") as z:
        names = set(z.namelist())
    assert "app.py" in names
    assert "chalicelib/assets/fonts/ipaexg.ttf" in names
    assert "chalicelib/assets/fonts/IPA_Font_License_Agreement_v1.0.txt" in names
    assert "chalicelib/assets/templates/html/base.html" in names
    assert not any(n.startswith(("moto/", "pytest/", "playwright/", "devstack/", "tests/")) for n in names)
    # The checkout keeps reading templates/ directly after packaging.
    assert not (checkout / "chalicelib" / "assets" / "templates").exists()
    assert not (ROOT / "chalicelib" / "assets" / "templates").exists()


def test_merged_template_has_the_stage_resources_and_passes_cfn_lint(package):
    template = json.loads((package / "sam.json").read_text())
    resources = template["Resources"]
    assert resources["CertificatesTable"]["Properties"]["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    events = resources["CertificateStream"]["Properties"]["Events"]
    (mapping,) = events.values()
    assert mapping["Properties"]["Stream"] == {"Fn::GetAtt": ["CertificatesTable", "StreamArn"]}
    assert resources["APIHandler"]["Properties"]["Environment"]["Variables"]["STAGE"] == {"Ref": "Stage"}
    lint = shutil.which("cfn-lint", path=str(ROOT / ".venv" / "bin")) or shutil.which("cfn-lint")
    if lint is None:
        pytest.fail("cfn-lint is in requirements-dev.txt and must be installed")
    result = subprocess.run([lint, str(package / "sam.json")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
