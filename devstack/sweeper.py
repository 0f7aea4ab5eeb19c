"""The local stage's scheduler for the webhook sender: `chalice local` runs no schedules (NOTES.md),
so this thread calls the very function EventBridge would (handlers/webhooks.py `webhook_sender`)
every `WEBHOOK_SWEEP_SECONDS` (settings.webhook_schedule: 0.2 s by default) — with the local
backoff scale, 24 hours of retries pass in under 90 seconds. `POST /api/dev/webhooks/run` sends
what is due at once, for tests that need not wait even that long."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib import logs, settings

HANDLER_NAME = "webhook_sender"
#: The longest wait between two sweeps that found nothing to send (seconds).
IDLE_WAIT = 0.8


class LambdaContext:
    function_name = HANDLER_NAME
    memory_limit_in_mb = 512
    aws_request_id = "local-sweep"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def scheduled_event() -> dict[str, Any]:
    """An EventBridge "Scheduled Event" as Lambda hands it to a Chalice schedule function."""
    return {
        "version": "0",
        "id": "local",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": "1970-01-01T00:00:00Z",
        "region": "ap-northeast-1",
        "resources": ["arn:aws:events:ap-northeast-1:000000000000:rule/local-webhook-sender"],
        "detail": {},
    }


class WebhookSweeper(threading.Thread):
    def __init__(self, app: Any, interval: float | None = None) -> None:
        super().__init__(name="webhook-sweeper", daemon=True)
        self.app = app
        self.interval = interval if interval is not None else settings.webhook_schedule().sweep_seconds
        self._halt = threading.Event()
        self.runs = 0

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        handler = self.app.handler_map[HANDLER_NAME]
        wait = self.interval
        while not self._halt.wait(wait):
            delivered = 0
            try:
                delivered = (handler(scheduled_event(), LambdaContext()) or {}).get("delivered", 0)
                self.runs += 1
            except Exception as exc:  # noqa: BLE001 - a failed sweep is retried at the next tick
                logs.warning("webhook_sweep_failed", error=type(exc).__name__)
            # Idle sweeps back off to IDLE_WAIT (a sweep is a whole scheduled invocation: five a second cost
            # every local stack CPU for nothing); one that sent something comes back to `interval`.
            wait = self.interval if delivered else min(wait * 2, max(self.interval, IDLE_WAIT))
