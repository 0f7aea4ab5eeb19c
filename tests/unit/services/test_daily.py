"""services/daily.py: the daily job runs both its steps whatever the other does; a failed step is
logged and counted, and raised once both have run (so the async failure queue sees the run)."""

from __future__ import annotations

import pytest

from chalicelib.services import daily, reminders, signing


def test_a_failing_step_does_not_skip_the_other_and_is_raised_at_the_end(monkeypatch):
    ran: list[str] = []
    said: list[tuple] = []

    def reminders_fail(today=None):
        ran.append("reminders")
        raise RuntimeError("SES is down")

    monkeypatch.setattr(reminders, "run", reminders_fail)
    monkeypatch.setattr(signing, "reissue_crl", lambda: ran.append("crl") or True)
    monkeypatch.setattr(daily.logs, "error", lambda event, **f: said.append((event, f.get("step"))))
    monkeypatch.setattr(daily.logs, "metric", lambda name, *a, **d: said.append((name, d.get("step"))))
    with pytest.raises(RuntimeError, match="SES is down"):
        daily.run()
    assert ran == ["reminders", "crl"]
    assert said == [("daily_step_failed", "reminders"), ("DailyStepFailures", "reminders")]


def test_a_failing_crl_reissue_still_lets_the_reminders_go_and_fails_the_run(monkeypatch):
    def crl_fails():
        raise ConnectionError("KMS does not answer")

    monkeypatch.setattr(reminders, "run", lambda today=None: 2)
    monkeypatch.setattr(signing, "reissue_crl", crl_fails)
    monkeypatch.setattr(daily.logs, "metric", lambda *a, **d: None)
    with pytest.raises(ConnectionError):
        daily.run()
    monkeypatch.setattr(signing, "reissue_crl", lambda: False)
    assert daily.run() == {"reminders": 2, "crl_reissued": False}
