"""Fault injection for the local stage's tests: fail at a named point as a timeout would.

(Whether a real failure means "unavailable, try again" is chalicelib/aws_faults.py's question.)
"""

from __future__ import annotations

import os
import random

from botocore.exceptions import ReadTimeoutError

from chalicelib import settings

#: `ESURETY_FAULTS="commit:issue=0.3,release=0.5"`: the chance that each named point fails.
#: Read only when the stage is `local`; every other stage ignores the variable entirely.
FAULTS_ENV = "ESURETY_FAULTS"


def _rates() -> dict[str, float]:
    raw = os.environ.get(FAULTS_ENV, "")
    if not raw or not settings.current().is_local:
        return {}
    rates = {}
    for part in raw.split(","):
        name, _, rate = part.partition("=")
        try:
            rates[name.strip()] = float(rate or 1)
        except ValueError:
            continue
    return rates


def inject(point: str) -> None:
    """Fail here, as a timeout would, when the local test harness asks for it."""
    rates = _rates()
    if not rates:
        return
    rate = rates.get(point, rates.get(point.split(":")[0] + ":*", 0.0))
    if rate and random.random() < rate:
        raise ReadTimeoutError(endpoint_url=f"injected:{point}")
