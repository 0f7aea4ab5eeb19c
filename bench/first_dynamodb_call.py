"""First DynamoDB calls of a cold process: per-model botocore sessions (before) vs one shared client (after).

A cold D-Sure verification touches six tables (sessions, attempts,
guarantees, certificates, access_log, inbox). PynamoDB's default gives every model class its own
Connection, hence its own botocore session and client: each first touch of a
table loads botocore's endpoint and service data again. The app now sends
every model through one shared client (chalicelib/store/connection.py).

Each sample is a fresh interpreter that imports the app (not timed), then
times the DynamoDB calls of a cold verification through the app's own
repositories (`first`) and the same calls again (`warm`). "before" restores
PynamoDB's per-model connections in that interpreter; "after" is the app as it
is. Runs are interleaved (before, after, before, …) so machine load hits both
alike; figures are medians. The DynamoDB is a moto server on loopback, so the
calls themselves are cheap and the difference is client set-up.

Run: .venv/bin/python bench/first_dynamodb_call.py [runs]   (default 9)
Prints figures and whether after ≤ 1/3 of before; asserts nothing. `bin/bench`
runs it as one of its groups (`python -m bench.first_dynamodb_call [--quick]
[--json]`: 3 runs with --quick, 9 without; --json prints the table's rows).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.report import Row

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    "STAGE": "local",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "ap-northeast-1",
    "AWS_REGION": "ap-northeast-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "SESSION_SECRET": "bench-secret-not-for-production-0123456789",
}


def _verification_calls() -> None:
    """The DynamoDB calls of one cold verification, through the app's repositories."""
    from chalicelib.domain.records import AccessLogEntry
    from chalicelib.store import access_log, attempts, guarantees, inbox, sessions

    number = "30026-000001M"
    sessions.get("no-such-session")  # authentication
    attempts.retry_after(f"verify:bench:{number}")  # pair lockout
    attempts.retry_after("verify-user:bench")  # user lockout
    guarantees.get(number)
    guarantees.history(number)  # the versions shown
    access_log.append(AccessLogEntry(number, f"{time.time()}#bench", "08216", "bench", "valid"))
    inbox.mark_seen("08216", number, 1, "2026-10-01T10:00:00+09:00", "2026-10-01T10:00:00+09:00")


def child(mode: str) -> None:
    import app  # noqa: F401 - the cold import, not timed

    if mode == "before":
        from pynamodb.models import Model

        from chalicelib.store.models import StoreModel

        # PynamoDB's own: a TableConnection, a Connection, a session and a client per model class.
        StoreModel._get_connection = classmethod(Model._get_connection.__func__)  # type: ignore[method-assign]
    started = time.perf_counter()
    _verification_calls()
    first = time.perf_counter()
    _verification_calls()
    warm = time.perf_counter()
    print(json.dumps({"first_ms": (first - started) * 1000, "warm_ms": (warm - first) * 1000}))


def _sample(mode: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(runs: int) -> dict[str, list[dict[str, float]]]:
    """`runs` interleaved before/after samples against one moto server on loopback."""
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
        from chalicelib.store import provision

        provision.create_tables()
        env = {**os.environ}
        samples: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(runs):
            for mode in ("before", "after"):
                samples[mode].append(_sample(mode, env))
    finally:
        server.stop()
    return samples


def _med(samples: dict[str, list[dict[str, float]]], mode: str, key: str) -> float:
    return statistics.median(s[key] for s in samples[mode])


def main(runs: int) -> None:
    samples = measure(runs)
    print(f"First DynamoDB calls of a cold verification (6 tables, 7 calls), {runs} interleaved runs each, medians")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; DynamoDB: moto server on loopback")
    print(f"{'':34} {'first (cold)':>13} {'again (warm)':>13} {'set-up cost':>12} {'min–max cold':>16}")
    for mode, label in (("before", "before: a session per model"), ("after", "after: one shared client")):
        cold = [s["first_ms"] for s in samples[mode]]
        first, warm = _med(samples, mode, "first_ms"), _med(samples, mode, "warm_ms")
        print(f"{label:34} {first:10.1f} ms {warm:10.1f} ms {first - warm:9.1f} ms {min(cold):7.1f}–{max(cold):.1f} ms")
    ratio = _med(samples, "after", "first_ms") / _med(samples, "before", "first_ms")
    print(f"after / before (first calls): {ratio:.2f}  — goal ≤ 0.33: {'met' if ratio <= 1 / 3 else 'NOT met'}")


def run(quick: bool) -> list[Row]:
    """The rows `bin/bench` puts in its table (wall time: the calls wait on a server)."""
    runs = 3 if quick else 9
    samples = measure(runs)
    from bench.report import Row, summary

    after = [s["first_ms"] for s in samples["after"]]
    before = [s["first_ms"] for s in samples["before"]]
    ratio = _med(samples, "after", "first_ms") / _med(samples, "before", "first_ms")
    warm = _med(samples, "after", "warm_ms")
    return [
        Row(
            "first DynamoDB calls of a cold verification (6 tables, 7 calls; wall)",
            "≤ 1/3 of a session per model",
            f"one shared client: {summary(after)}",
            f"a session and client per model (PynamoDB's default): {summary(before)}",
            ratio <= 1 / 3,
            f"{ratio:.2f}× of before; {runs} fresh interpreters each, interleaved; the same calls warm: "
            f"{warm:.1f} ms; moto server on loopback, so the difference is client set-up",
        )
    ]


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        child(sys.argv[2])
    elif "--json" in sys.argv or "--quick" in sys.argv:
        rows = run("--quick" in sys.argv)
        if "--json" in sys.argv:
            print(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
        else:
            from bench.report import table

            print(table(rows))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
