"""The daily job (06:00 JST, handlers/maintenance.daily_reminders; locally `POST /api/dev/daily`):
the 保証期限 reminders (services/reminders.py) and the signing CA's CRL (services/signing.reissue_crl).

The CRL is re-issued only when due: when the current CRL's nextUpdate is at most two days away
(store/signer.CRL_REISSUE_BEFORE; a CRL runs seven days), so a run re-issues it every fifth day and
a failed run leaves the next day's run a day before the signing side refuses a CRL that near
(store/signer.CRL_MARGIN). A deployed stage's CRL is the bucket's `signing/crl.der`, signed with the
CA key through kms:Sign; the local stage's is the local CA's, issued per process.

Each part runs whatever the other did: a failure is logged (`daily_step_failed`) and counted (the
metric `DailyStepFailures`, dimension Step), and the first one is raised again once both have run,
so the asynchronous invocation's retries and failure queue (and its alarm) see the run as failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib import logs
from chalicelib.services import reminders, signing


def run(today: dt.date | None = None) -> dict[str, Any]:
    """Both steps as of `today` (JST; default today): {"reminders": mails sent, "crl_reissued": bool}."""
    steps = (("reminders", lambda: reminders.run(today)), ("crl_reissued", signing.reissue_crl))
    done: dict[str, Any] = {}
    failed: list[Exception] = []
    for name, step in steps:
        try:
            done[name] = step()
        except Exception as exc:  # noqa: BLE001 - one step's failure must not skip the other
            logs.error("daily_step_failed", exc_info=True, step=name, error=type(exc).__name__)
            logs.metric("DailyStepFailures", step=name)
            failed.append(exc)
    if failed:
        raise failed[0]
    return done
