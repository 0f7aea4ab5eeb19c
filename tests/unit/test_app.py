"""app.py: importing the app stays light (heavy libraries are imported when first used)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_importing_the_app_does_not_import_heavy_modules():
    code = (
        "import sys, app; "
        "heavy = [m for m in ('fpdf', 'fontTools', 'jsonschema', 'segno', 'pypdf', 'moto', "
        "'jwt', 'argon2', 'cryptography', 'jinja2', 'email_validator', 'uharfbuzz', 'jaconv', 'PIL') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    env = {k: v for k, v in os.environ.items()}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
