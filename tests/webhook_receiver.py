"""A webhook receiver on 127.0.0.1 (API.md "Webhooks"): records each POST and answers with the
statuses it is given, in order (then 204), and checks every signature with the Standard Webhooks
library against the secret it is told."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    secret: str | None = None

    def signed(self, item: dict[str, Any]) -> bool:
        try:
            Webhook(self.secret or "").verify(item["raw"], item["headers"])
        except WebhookVerificationError:
            return False
        return True

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(item["raw"]) for item in self.received]


@contextmanager
def receiver(*statuses: int, path: str = "/hook") -> Iterator[Receiver]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            with lock:
                got.received.append({"raw": raw, "headers": {k.lower(): v for k, v in self.headers.items()}})
                status = got.statuses.pop(0) if got.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{path}", statuses=list(statuses))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
