"""Scheduled housekeeping: the PDF reconciler (services/reconcile.py), hourly."""

from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib import logs
from chalicelib.handlers.lazy import lazy

reconcile = lazy("chalicelib.services.reconcile")

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.HOURS), name="reconcile_pdfs")
@logs.scoped
def reconcile_pdfs(event):  # noqa: ANN001, ANN201 - Chalice's event type
    """Release pending objects that a committed record references; delete the rest."""
    return vars(reconcile.run())
