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
