"""fpdf2 is imported without unittest.mock and cryptography, and both stay importable afterwards."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

CODE = """
import json, sys
from chalicelib.render import pdf_font
before = sorted(m for m in ("unittest.mock", "cryptography", "asyncio") if m in sys.modules)
import unittest.mock, cryptography.x509
import fpdf.sign
real = fpdf.sign.patch("os.getcwd", lambda: "patched")
with real:
    import os
    patched = os.getcwd()
print(json.dumps([before, hasattr(unittest.mock, "MagicMock"), patched]))
"""


def test_fpdf2_is_imported_without_unittest_mock_and_cryptography_which_stay_importable():
    out = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, capture_output=True, text=True, check=True)
    before, real_mock, patched = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == []
    assert real_mock and patched == "patched"  # fpdf2's own `patch` still works (it imports the real one)
