"""The certificates stream trigger: the function Lambda calls, and the local pump too.

Each INSERT record goes to the notify service on its own. A record that could
not be delivered is reported in Lambda's partial-batch response
(`{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}]}`) instead of
failing the whole invocation, so the other records of the batch are still
processed. Chalice's EventSourceHandler returns the function's result to
Lambda unchanged, and the event-source mapping must list
`FunctionResponseTypes: ["ReportBatchItemFailures"]` (.chalice/resources.json):
Lambda then checkpoints before the first failed record and redelivers from
there (records after it come again and are skipped as already sent).
"""

from __future__ import annotations

import os

from chalice import Blueprint

from chalicelib import logs
from chalicelib.handlers.lazy import lazy

certificate_events = lazy("chalicelib.services.certificate_events")
event_notices = lazy("chalicelib.services.event_notices")

bp = Blueprint(__name__)

#: Chalice needs an ARN at import time. In AWS the merge template replaces it with
#: Fn::GetAtt of the certificates table; locally the pump calls the handler directly.
STREAM_ARN = os.environ.get(
    "CERTIFICATES_STREAM_ARN",
    "arn:aws:dynamodb:ap-northeast-1:000000000000:table/esurety-local-certificates/stream/local",
)

#: The events table's stream (key_reissued, application_rejected), wired the same way.
EVENTS_STREAM_ARN = os.environ.get(
    "EVENTS_STREAM_ARN",
    "arn:aws:dynamodb:ap-northeast-1:000000000000:table/esurety-local-events/stream/local",
)


@bp.on_dynamodb_record(stream_arn=EVENTS_STREAM_ARN, batch_size=10, starting_position="TRIM_HORIZON")
@logs.scoped
def event_stream(event):  # noqa: ANN001, ANN201 - Chalice's event type
    """Staff events → notices, with the same partial-batch answer as the certificates stream."""
    failures: list[dict[str, str]] = []
    for record in event:
        if record.event_name != "INSERT":
            continue  # an event row is written once
        try:
            event_notices.on_inserted(record.new_image)
        except Exception as exc:  # noqa: BLE001 - one bad record must not hold back the others
            logs.warning("event_record_retry", sequence=record.sequence_number, error=type(exc).__name__)
            failures.append({"itemIdentifier": record.sequence_number})
    return {"batchItemFailures": failures}


@bp.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=10, starting_position="TRIM_HORIZON")
@logs.scoped
def certificate_stream(event):  # noqa: ANN001, ANN201 - Chalice's event type
    failures: list[dict[str, str]] = []
    for record in event:
        keys = record.keys or {}
        logs.info(
            "certificate_record",
            event_name=record.event_name,
            number=keys.get("number", {}).get("S"),
            version=keys.get("version", {}).get("N"),
        )
        if record.event_name != "INSERT":
            continue  # versions are immutable: only a new one is news
        try:
            certificate_events.on_inserted(record.new_image)
        except Exception as exc:  # noqa: BLE001 - one bad record must not hold back the others
            logs.warning("certificate_record_retry", sequence=record.sequence_number, error=type(exc).__name__)
            failures.append({"itemIdentifier": record.sequence_number})
    return {"batchItemFailures": failures}
