"""Where templates and the font are, in the repository and inside the Lambda package.

Chalice ships only app.py, chalicelib/ and vendor/; `scripts/package` copies
templates/ and the fetched font into chalicelib/assets/ before packaging, and
the repository layout is used when running from a checkout.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.settings import PACKAGE_DIR, PROJECT_DIR

ASSETS = PACKAGE_DIR / "assets"


def templates_dir() -> Path:
    packaged = ASSETS / "templates"
    return packaged if packaged.is_dir() else PROJECT_DIR / "templates"


def compiled_templates_dir() -> Path:
    """Templates compiled to Python modules by the package build; absent in a checkout."""
    return ASSETS / "templates_compiled"


def font_path() -> Path:
    return ASSETS / "fonts" / "ipaexg.ttf"


def font_license_path() -> Path:
    return ASSETS / "fonts" / "IPA_Font_License_Agreement_v1.0.txt"
