"""scripts/checkov: every check deploy/checkov.yaml skips is a finding README.md lists with its reason.

checkov itself runs outside the timed suite (~20 s of CPU on the packaged prod template, plus the
package build): bin/setup makes its virtualenv and the stage workflow's test job runs scripts/checkov.
"""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def _readme_findings() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### checkov", 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `(CKV_[A-Z0-9_]+)` \| [^|]+ \| ([^|]+) \|$", section, re.MULTILINE))


def test_every_skipped_check_is_a_finding_the_readme_explains():
    config = yaml.safe_load((ROOT / "deploy" / "checkov.yaml").read_text(encoding="utf-8"))
    skipped = set(config["skip-check"])
    findings = _readme_findings()
    assert skipped and set(findings) == skipped
    assert all(len(reason.strip()) > 30 for reason in findings.values()), findings
    assert config["skip-download"] is True  # offline: nothing is fetched from or sent to Prisma Cloud


def test_checkov_has_a_virtualenv_of_its_own_made_by_setup_and_runs_in_ci():
    setup = (ROOT / "bin" / "setup").read_text(encoding="utf-8")
    assert ".venv/checkov" in setup and re.search(r"CHECKOV_VERSION=\d+\.\d+\.\d+", setup)
    assert "--config-file deploy/checkov.yaml" in (ROOT / "scripts" / "checkov").read_text(encoding="utf-8")
    assert "bash scripts/checkov" in (ROOT / ".github" / "workflows" / "stage.yml").read_text(encoding="utf-8")
