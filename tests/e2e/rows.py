"""Rows the factories (tests/factories.py) build, written into a local stack's own moto rather
than the test process's tables."""

from __future__ import annotations

from unittest import mock

from chalicelib.store.models import CertificateModel, GuaranteeModel
from tests.factories import make_guarantee


def put_guarantee(stack, number: str, **kwargs) -> None:
    """Build the factory's rows (docs/CONTRACTS.md shapes) and write them into the stack's moto."""
    rows: list = []
    with (
        mock.patch.object(GuaranteeModel, "save", lambda self, *a, **k: rows.append(self)),
        mock.patch.object(CertificateModel, "save", lambda self, *a, **k: rows.append(self)),
    ):
        make_guarantee(number, **kwargs)
    for row in rows:
        stack.put_model(row)
