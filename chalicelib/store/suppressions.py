"""Addresses SES reported as undeliverable (bounce) or unwanted (complaint)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import clock
from chalicelib.store.models import SuppressionModel


def mark(address: str, reason: str, detail: str | None = None) -> None:
    SuppressionModel(address.strip().lower(), reason=reason, detail=(detail or "")[:500], at=clock.iso_now()).save()


def reason_for(address: str | None) -> str | None:
    """'bounce' or 'complaint' when the address is suppressed, else None."""
    if not address:
        return None
    try:
        return SuppressionModel.get(address.strip().lower()).reason
    except DoesNotExist:
        return None


def reasons_for(addresses: list[str | None]) -> dict[str, str]:
    """One BatchGetItem for a page of addresses: lower-cased address → reason, suppressed ones only."""
    keys = sorted({a.strip().lower() for a in addresses if a and a.strip()})
    if not keys:
        return {}
    return {row.address: row.reason for row in SuppressionModel.batch_get(keys)}
