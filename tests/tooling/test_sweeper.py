"""devstack/sweeper.py: the local stage calls the webhook sender's scheduled function on its interval."""

from __future__ import annotations

import threading

from devstack.sweeper import HANDLER_NAME, WebhookSweeper


class _App:
    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.ticked = threading.Event()
        self.handler_map = {HANDLER_NAME: self._handler}

    def _handler(self, event, context):
        self.calls.append(event)
        if len(self.calls) >= 2:
            self.ticked.set()
        if len(self.calls) == 1:
            raise RuntimeError("a failed sweep is retried at the next tick")
        return {"delivered": 0}


def test_the_sweeper_calls_the_scheduled_function_again_and_again_until_stopped():
    app = _App()
    sweeper = WebhookSweeper(app, interval=0.01)
    sweeper.start()
    assert app.ticked.wait(2)
    sweeper.stop()
    sweeper.join(2)
    assert not sweeper.is_alive() and app.calls[0]["detail-type"] == "Scheduled Event"


def test_idle_sweeps_back_off_and_a_sweep_that_sent_comes_back_to_the_interval(monkeypatch):
    sent = iter([0, 0, 0, 0, 0, 2, 0])
    app = _App()
    app.handler_map[HANDLER_NAME] = lambda event, context: {"delivered": next(sent)}
    sweeper = WebhookSweeper(app, interval=0.2)
    waits: list[float] = []
    monkeypatch.setattr(sweeper._halt, "wait", lambda seconds: waits.append(seconds) or len(waits) > 7)
    sweeper.run()
    assert waits == [0.2, 0.4, 0.8, 0.8, 0.8, 0.8, 0.2, 0.4]
