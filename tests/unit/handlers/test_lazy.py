"""handlers/lazy.py: a service module imported on first use, reads and writes forwarded to it."""

from __future__ import annotations

import sys
import threading

from chalicelib.handlers.lazy import lazy

NAME = "chalicelib.domain.era"  # any pure module works; it is taken out of sys.modules and restored


def test_the_module_is_imported_on_first_use_and_shared_by_every_stand_in(monkeypatch):
    monkeypatch.delitem(sys.modules, NAME, raising=False)
    module = lazy(NAME)
    assert NAME not in sys.modules
    assert callable(module.era_date)
    assert NAME in sys.modules
    assert lazy(NAME).era_date is sys.modules[NAME].era_date


def test_a_write_through_the_stand_in_lands_on_the_module(monkeypatch):
    module = lazy(NAME)
    monkeypatch.setattr(module, "era_date", "patched")
    assert sys.modules[NAME].era_date == "patched"


def test_threads_racing_on_the_first_use_all_see_the_whole_module(monkeypatch):
    monkeypatch.delitem(sys.modules, NAME, raising=False)
    module, seen, start = lazy(NAME), [], threading.Barrier(8)

    def read() -> None:
        start.wait()
        seen.append(module.era_date)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and len(set(seen)) == 1


def test_the_warm_up_loads_every_service_the_routes_declared():
    import app  # noqa: F401 - declares the routes and their stand-ins
    from chalicelib.handlers import lazy as lazy_module

    names = lazy_module.load_all()
    assert "chalicelib.services.verify" in names and "chalicelib.services.issuance" in names
    assert all(name in sys.modules for name in names)
