"""The local stack's stream pump against the functional suite's in-process moto server."""

from __future__ import annotations

import threading
import time

from chalicelib.store import provision
from devstack import pump as pump_module
from devstack.pump import StreamPump
from tests.factories import make_guarantee


def test_a_record_written_to_a_moto_stream_wakes_an_idle_pump_at_once(aws):
    """The real thing: a pump on the certificates stream of the in-process moto server, idle with a
    long IDLE_WAIT, hands a new record to its handler well before that wait would end."""
    pump_module.wake_on_stream_writes()
    delivered = threading.Event()
    app = type("A", (), {"handler_map": {pump_module.HANDLER_NAME: lambda event, context: delivered.set()}})()
    p = StreamPump(app, provision.certificates_stream_arn(), "ap-northeast-1")
    p.start()
    try:
        time.sleep(0.5)  # its first polls find the stream empty: it is asleep
        assert not delivered.is_set()
        started = time.monotonic()
        make_guarantee("30026-000777M")
        assert delivered.wait(pump_module.IDLE_WAIT / 2)
        assert time.monotonic() - started < pump_module.IDLE_WAIT / 2
    finally:
        p.stop()
        p.join(timeout=5)
