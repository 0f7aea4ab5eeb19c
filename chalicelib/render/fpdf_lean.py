"""Import fpdf2 without the modules its import pulls in for features the drawing here never uses.

`import fpdf` imports `unittest.mock` (for `patch`, used only when fpdf2 signs a
PDF itself: asyncio, inspect … come with it) and `cryptography` (PKCS#12 and
AES encryption, likewise unused here): ~40 % of fpdf2's import (issue 32). Here
fpdf2 is imported with `unittest.mock` stood in for by a module whose `patch`
imports the real one when called, and `cryptography` marked absent for the
moment of the import (fpdf2 guards it with `try: … except ImportError`). Both
are put back right after, so any later `import` gets the real modules. Nothing
is trimmed when they are already imported (the cost is already paid).
Importing this module does it; render/pdf_font.py imports it before fpdf2.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def _patch(*args: Any, **kwargs: Any) -> Any:
    """unittest.mock.patch, imported when fpdf2 really calls it (its own PDF signing)."""
    sys.modules.pop("unittest.mock", None)
    from unittest import mock

    return mock.patch(*args, **kwargs)


def _load() -> None:
    if "fpdf" in sys.modules:
        return
    stubs: dict[str, Any] = {}
    if "unittest.mock" not in sys.modules:
        stub = types.ModuleType("unittest.mock")
        stub.patch = _patch  # type: ignore[attr-defined]
        stubs["unittest.mock"] = stub
    if "cryptography" not in sys.modules:
        stubs["cryptography"] = None  # `import cryptography…` raises ImportError while this holds
    sys.modules.update(stubs)
    try:
        import fpdf  # noqa: F401
        import fpdf.output  # noqa: F401
    finally:
        for name, stub in stubs.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


_load()
