"""Structured (one JSON object per line) logs and metrics, in the manner of Powertools' Logger and Metrics.

Only fields passed explicitly are logged: request bodies, tokens, passwords
and 認証キー never reach a log line.

- **Correlation.** `bind(request_id=…)` puts fields on every line written until `reset(token)`:
  the HTTP middleware binds API Gateway's request id (and Lambda's), the stream, SNS and schedule
  handlers their invocation's id (`scoped`). Chalice's own logger (the app's name, `esurety`) writes
  through the same formatter, so its "Caught exception" line is JSON with the same ids.
- **Unexpected errors.** Chalice answers an exception a route did not expect with a 500 *response*
  (Lambda's `Errors` metric never counts it) after logging it on its logger: that line is written
  as `{"level": "ERROR", "event": "unhandled_exception", …}`, the line the template's log metric
  filter counts (devstack/cfn.py UNHANDLED_FILTER).
- **Metrics.** `metric(name, value, unit, **dimensions)` writes one line in CloudWatch's embedded
  metric format (EMF): CloudWatch Logs turns it into a metric of the namespace `esurety`, with the
  stage as a dimension. No library: Powertools' Metrics costs ~55 ms of import on the cold path.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

CHALICE_LOGGER = "esurety"  # Chalice's own logger is named after the app (app.py: configure_logs=False)
_LOGGER_NAME = "esurety.app"
#: The event of Chalice's line for an exception no handler answered (the metric filter's pattern).
UNHANDLED = "unhandled_exception"
NAMESPACE = "esurety"

_bound: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("esurety_log_fields", default={})  # noqa: B039 - never mutated


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = record.getMessage()
        entry: dict[str, Any] = {"level": record.levelname, "event": event, "logger": record.name}
        if record.name == CHALICE_LOGGER and record.exc_info:
            entry["event"] = UNHANDLED
            entry["message"] = event  # "Caught exception for path /api/…"
        entry.update(_bound.get())
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is now (Lambda's, the local stack's, a test's capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def _configure() -> logging.Logger:
    """One JSON handler on Chalice's logger; ours (a child) writes through it."""
    parent = logging.getLogger(CHALICE_LOGGER)
    if not any(isinstance(h, _StdoutHandler) for h in parent.handlers):
        handler = _StdoutHandler(sys.stdout)
        handler.setFormatter(_JsonFormatter())
        parent.addHandler(handler)
        parent.setLevel(logging.INFO)
        parent.propagate = False
    log = logging.getLogger(_LOGGER_NAME)
    log.setLevel(logging.INFO)
    log.propagate = True
    return log


_configure()  # at import: Chalice may log an unhandled exception before this module writes a line


def logger() -> logging.Logger:
    return logging.getLogger(_LOGGER_NAME)


def bind(**fields: Any) -> contextvars.Token:
    """Add `fields` (None values dropped) to every line until `reset(token)`."""
    return _bound.set({**_bound.get(), **{k: v for k, v in fields.items() if v is not None}})


def reset(token: contextvars.Token) -> None:
    _bound.reset(token)


def scoped(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """For an event handler (stream, SNS, schedule): every line of one invocation carries its Lambda
    request id (the event's `context`; the local pump passes none)."""

    @functools.wraps(handler)
    def wrapper(event: Any) -> Any:
        context = getattr(event, "context", None)
        token = bind(request_id=getattr(context, "aws_request_id", None), function=handler.__name__)
        try:
            return handler(event)
        finally:
            reset(token)

    return wrapper


def info(event: str, **fields: Any) -> None:
    logger().info(event, extra={"fields": fields})


def warning(event: str, **fields: Any) -> None:
    logger().warning(event, extra={"fields": fields})


def error(event: str, exc_info: bool = False, **fields: Any) -> None:
    logger().error(event, exc_info=exc_info, extra={"fields": fields})


def metric(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """One metric in CloudWatch's embedded metric format, dimensioned by stage (and `dimensions`).

    E.g. `metric("Verifications", result="valid")` → the metric `Verifications` with the dimensions
    Stage and Result; a dashboard or an alarm reads it like any CloudWatch metric."""
    dims = {"Stage": os.environ.get("STAGE", "local"), **{k.capitalize(): str(v) for k, v in dimensions.items()}}
    emf = {
        "Timestamp": int(time.time() * 1000),
        "CloudWatchMetrics": [
            {"Namespace": NAMESPACE, "Dimensions": [sorted(dims)], "Metrics": [{"Name": name, "Unit": unit}]}
        ],
    }
    logger().info("metric", extra={"fields": {"_aws": emf, **dims, name: value}})
