"""Scheduled jobs: the PDF reconciler (services/reconcile.py), hourly; the daily job (services/daily.py:
the 保証期限 reminders and the signing CA's CRL when due), daily at 06:00 JST."""

from __future__ import annotations

from chalice import Blueprint, Cron, Rate

from chalicelib import logs
from chalicelib.handlers.lazy import lazy

daily = lazy("chalicelib.services.daily")
reconcile = lazy("chalicelib.services.reconcile")

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.HOURS), name="reconcile_pdfs")
@logs.scoped
def reconcile_pdfs(event):  # noqa: ANN001, ANN201 - Chalice's event type
    """Release pending objects that a committed record references; delete the rest."""
    return vars(reconcile.run())


@bp.schedule(Cron(0, 21, "*", "?", "*", "*"), name="daily_reminders")
@logs.scoped
def daily_reminders(event):  # noqa: ANN001, ANN201 - Chalice's event type
    """06:00 JST (21:00 UTC the day before): the reminders of API.md "Reminders", then the CRL."""
    return daily.run()
