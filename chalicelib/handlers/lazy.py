"""A service module imported on its first use, not when `app` is imported.

`import app` registers every route, so it imports every handler module; a handler's
services (and the store, render and domain modules behind them) are needed only when
one of its routes is called. `verify = lazy("chalicelib.services.verify")` is a
stand-in that imports the module on the first attribute read (`verify.verify(...)`)
and forwards every read and write to it from then on, so a cold verification imports
what a verification uses and not the admin, fee or issuance services (issue 32).

`importlib.import_module` does the import on every access: it is a `sys.modules`
look-up once loaded, and it holds the import lock while a module loads, so a second
thread never sees a half-initialised module. Writes (a test's `monkeypatch.setattr`)
land on the real module. tests/unit/test_layers.py reads these calls as imports, so a
lazy import obeys the same layer and circle rules as a written one. The warm-up
(`app.warm_up`, SnapStart's before-snapshot hook) imports them all with `load_all`.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """The module `name`, imported when an attribute is first read or written."""

    __slots__ = ("_lazy_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_lazy_name", name)

    def _lazy_module(self) -> ModuleType:
        return importlib.import_module(object.__getattribute__(self, "_lazy_name"))

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._lazy_module(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._lazy_module(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._lazy_module(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {object.__getattribute__(self, '_lazy_name')!r}>"


#: Every module a stand-in was made for, in the order they were declared.
_DECLARED: dict[str, None] = {}


def lazy(name: str) -> Any:
    """A stand-in for `import name` that imports it on first use (a full dotted name)."""
    _DECLARED[name] = None
    return LazyModule(name)


def load_all() -> list[str]:
    """Import every module a stand-in was made for (the warm-up); returns their names."""
    names = list(_DECLARED)
    for name in names:
        importlib.import_module(name)
    return names
