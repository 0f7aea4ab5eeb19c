"""SES feedback: the SNS topic SES publishes bounces and complaints to → services/bounces.py.

The topic is named after the stage (`esurety-<stage>-ses-feedback`); the deploy
creates it and points the SES identity's bounce and complaint notifications at
it. Locally a test (or the operator) calls this handler with an SNS event.
"""

from __future__ import annotations

import os

from chalice import Blueprint

from chalicelib import logs
from chalicelib.handlers.lazy import lazy

bounces = lazy("chalicelib.services.bounces")

bp = Blueprint(__name__)

#: Read at import time (Chalice wires the subscription when packaging).
TOPIC = os.environ.get("SES_FEEDBACK_TOPIC") or f"esurety-{os.environ.get('STAGE', 'local')}-ses-feedback"


@bp.on_sns_message(topic=TOPIC, name="SesFeedback")
@logs.scoped
def ses_feedback(event) -> None:  # noqa: ANN001 - chalice.app.SNSEvent
    bounces.handle(event.message)
