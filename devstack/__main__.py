"""Start the local stack: `python -m devstack` (bin/local does the set-up first).

One process, several threads: the moto server (loopback only), the stream
pumps, the webhook sender's schedule and the app's HTTP server. SIGINT/SIGTERM stop all three and the process
exits; nothing is left behind because nothing else was started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _environment(moto_url: str, port: int) -> None:
    os.environ.update(
        {
            "STAGE": "local",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "ap-northeast-1",
            "AWS_REGION": "ap-northeast-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "AWS_ENDPOINT_URL": moto_url,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    # A fresh secret per run: local state is in memory and gone on exit anyway.
    os.environ.setdefault("SESSION_SECRET", secrets.token_urlsafe(32))


def _route_every_method(handler_cls: type) -> None:
    """http.server answers a method it has no `do_X` for (TRACE, QUERY, …) with 501.
    Route every method through Chalice's gateway instead, so they get the 403/405
    API Gateway gives: no request a client can send is a 5xx."""

    def any_method(self: object, name: str) -> object:
        if name.startswith("do_"):
            return self._generic_handle  # type: ignore[attr-defined]
        raise AttributeError(name)

    handler_cls.__getattr__ = any_method  # type: ignore[attr-defined]


def _send_without_delay(handler_cls: type) -> None:
    """http.server writes a response's headers and its body in two sends; with Nagle's algorithm on,
    the body waits for the client's delayed ACK of the headers, so every request on a kept-alive
    connection (browsers, `requests.Session`, schemathesis) took ~40 ms more than it needed."""
    handler_cls.disable_nagle_algorithm = True  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="e-Surety local stack")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--no-seed", action="store_true", help="start without the demo data")
    args = parser.parse_args(argv)

    import logging

    from moto.server import ThreadedMotoServer

    # moto's embedded werkzeug logs every AWS call; the operator wants the app's own lines.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from devstack.moto_local import prepare_moto

    prepare_moto()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    mhost, mport = moto.get_host_and_port()
    moto_url = f"http://{mhost}:{mport}"
    _environment(moto_url, args.port)

    sys.path.insert(0, str(PROJECT_DIR))
    from chalice.cli.factory import CLIFactory
    from chalice.local import ThreadedHTTPServer

    from devstack.gateway import local_server

    # http.server listens with a backlog of 5: a burst of simultaneous clients (the fuzz run's
    # workers, the e2e bursts) then sees connection resets. One thread per connection already.
    ThreadedHTTPServer.request_queue_size = 256

    from chalicelib.store import provision
    from devstack.pump import StreamPump, wake_on_stream_writes
    from devstack.seed import DEMO_ACCOUNTS, DEMO_CLIENT_ID, DEMO_TOTP_SECRETS, seed_demo, seed_demo_client

    provision.provision_all()
    client_secret = None
    if not args.no_seed:
        seed_demo()
        client_secret = seed_demo_client()
    stream_arn = provision.certificates_stream_arn()
    os.environ["CERTIFICATES_STREAM_ARN"] = stream_arn
    events_arn = provision.stream_arn("events")
    os.environ["EVENTS_STREAM_ARN"] = events_arn

    import app as app_module

    app_module.warm_up()  # what SnapStart's before-snapshot hook runs on Lambda (services/warmup.py)
    wake_on_stream_writes()  # moto is in this process: an idle pump sleeps until a record is written
    pump = StreamPump(app_module.app, stream_arn, os.environ["AWS_REGION"])
    pump.start()
    # the staff events (key reissue, rejection) go through the same trigger path (DESIGN.md §2)
    events_pump = StreamPump(app_module.app, events_arn, os.environ["AWS_REGION"], handler_name="event_stream")
    events_pump.start()
    # the webhook sender's schedule, in seconds (issue 30; settings.webhook_schedule)
    from devstack.sweeper import WebhookSweeper

    sweeper = WebhookSweeper(app_module.app)
    sweeper.start()

    config = CLIFactory(str(PROJECT_DIR), environ=os.environ).create_config_obj(chalice_stage_name="local")
    server = local_server(app_module.app, config, "127.0.0.1", args.port)  # unknown paths: 404, no echo
    _route_every_method(server.server.RequestHandlerClass.func)
    _send_without_delay(server.server.RequestHandlerClass.func)
    port = server.server.server_address[1]

    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        if stopping.is_set():
            return
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    base = f"http://127.0.0.1:{port}"
    print(f"e-Surety local stack (stage local), moto at {moto_url}", flush=True)
    print(f"  Net Desk : {base}/netdesk/login", flush=True)
    print(f"  D-Sure   : {base}/dsure/login", flush=True)
    print(f"  Staff    : {base}/staff/login", flush=True)
    print(f"  Admin    : {base}/admin/login", flush=True)
    print(f"  Outbox   : {base}/dev/outbox   API: {base}/api/openapi.json", flush=True)
    if not args.no_seed:
        print("  Demo logins:", flush=True)
        for login, password, role, org_id, org_name, _ in DEMO_ACCOUNTS:
            print(f"    {login:17} {password:12} {role:10} {org_id} {org_name}", flush=True)
        print("  Demo TOTP secrets (staff/admin second step; local stage only):", flush=True)
        for login, secret in DEMO_TOTP_SECRETS.items():
            print(f"    {login:17} {secret}", flush=True)
        print(f"  Demo machine client of 08216: client_id {DEMO_CLIENT_ID}  client_secret {client_secret}", flush=True)
    print(f"READY {base}", flush=True)
    try:
        server.serve_forever()
    finally:
        pump.stop()
        events_pump.stop()
        sweeper.stop()
        # Not waiting for a batch being delivered: everything the stack holds is in this process's memory
        # and goes with it, so finishing a busy pump's mail (a stack that just issued 167 guarantees mailed
        # for 4 more seconds of CPU) would change nothing anyone can see.
        pump.join(timeout=0.5)
        events_pump.join(timeout=0.5)
        server.server.server_close()
        moto.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    # Everything the stack held (moto's tables, objects, mail) is in this process's memory and goes
    # with it: skip the interpreter's final garbage collection of that heap, which took over 10 s
    # after a busy run (100 issuances) and so outlasted a SIGTERM's reasonable wait.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
