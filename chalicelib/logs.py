"""Structured (one JSON object per line) logs, in the manner of Powertools' Logger.

Only fields passed explicitly are logged: request bodies, tokens, passwords
and 認証キー never reach a log line.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_LOGGER_NAME = "esurety.app"  # "esurety" itself is Chalice's own logger


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "level": record.levelname,
            "event": record.getMessage(),
            "logger": record.name,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is now (Lambda's, the local stack's, a test's capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def logger() -> logging.Logger:
    log = logging.getLogger(_LOGGER_NAME)
    if not log.handlers:
        handler = _StdoutHandler(sys.stdout)
        handler.setFormatter(_JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def info(event: str, **fields: Any) -> None:
    logger().info(event, extra={"fields": fields})


def warning(event: str, **fields: Any) -> None:
    logger().warning(event, extra={"fields": fields})


def error(event: str, exc_info: bool = False, **fields: Any) -> None:
    logger().error(event, exc_info=exc_info, extra={"fields": fields})
