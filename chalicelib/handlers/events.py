"""The certificates stream trigger: the function Lambda calls, and the local pump too."""

from __future__ import annotations

import os

from chalice import Blueprint

from chalicelib import logs

bp = Blueprint(__name__)

#: Chalice needs an ARN at import time. In AWS the merge template replaces it with
#: Fn::GetAtt of the certificates table; locally the pump calls the handler directly.
STREAM_ARN = os.environ.get(
    "CERTIFICATES_STREAM_ARN",
    "arn:aws:dynamodb:ap-northeast-1:000000000000:table/esurety-local-certificates/stream/local",
)


@bp.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=10, starting_position="TRIM_HORIZON")
def certificate_stream(event):  # noqa: ANN001, ANN201 - Chalice's event type
    for record in event:
        keys = record.keys or {}
        logs.info(
            "certificate_record",
            event_name=record.event_name,
            number=keys.get("number", {}).get("S"),
            version=keys.get("version", {}).get("N"),
        )
