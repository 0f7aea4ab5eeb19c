"""Verification round trips (right key, wrong key, locked) and bulk verification of 200 rows:
DynamoDB calls per request and the app's CPU, through the HTTP API against an in-process moto server.

A guarantee is submitted, paid and issued through the API (staff log in with
their TOTP code), verified once so the orderer's inbox row exists (the steady
state); each count includes the request's session look-up. Bulk: 200 distinct
guarantees of the same orderer (copies of the issued one), one upload of their
200 rows, against the same 200 rows sent as 200 single verifications (what one
upload cost before issue 32: three calls a row). CPU is the app thread's
(`time.thread_time`): moto answers in its own threads.

Run alone: .venv/bin/python -m bench.verify_calls [--quick] [--json]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.calls import Api, _clone_guarantees, _count_every_client, _describe, _pay, _start_stack, counted
from bench.report import Row

ROOT = Path(__file__).resolve().parent.parent


def _dynamo(c: collections.Counter[str]) -> int:
    return sum(n for op, n in c.items() if op.startswith("dynamodb."))


def _verify(api: Api, token: str, number: str, key: str) -> tuple[int, collections.Counter[str]]:
    h = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    with counted() as c:
        resp = api.client.http.post("/api/verify", headers=h, body=json.dumps({"number": number, "auth_key": key}))
    return resp.status_code, collections.Counter(c)


def single(api: Api, tokens: dict[str, str], g: dict[str, Any]) -> list[Row]:
    _verify(api, tokens["kasama"], g["number"], g["auth_key"])  # the inbox row exists from here on
    right = _verify(api, tokens["kasama"], g["number"], g["auth_key"])
    wrong = _verify(api, tokens["kasama"], g["number"], "WRONGKEY2345")
    for i in range(4):
        _verify(api, tokens["kasama"], g["number"], f"WRONG{i:07d}")
    locked = _verify(api, tokens["kasama"], g["number"], g["auth_key"])
    rows = []
    for label, (status, calls), goal in (
        ("right key", right, 4),
        ("wrong key", wrong, 4),
        ("locked", locked, 3),
    ):
        n = _dynamo(calls)
        rows.append(
            Row(
                f"verification round trips, {label} (→ {status})",
                f"≤ {goal} DynamoDB calls (the session check one of them)",
                f"{n} DynamoDB calls",
                "issue 15: 7 before",
                n <= goal,
                _describe(calls),
            )
        )
    return rows


def bulk(api: Api, tokens: dict[str, str], g: dict[str, Any], rows: int) -> list[Row]:
    _clone_guarantees(g["number"], "c-0001", rows, branch=903)
    numbers = [f"90326-{i:06d}M" for i in range(rows)]
    upload = "\n".join(f"{n},{g['auth_key']}" for n in numbers).encode()
    h = {"Content-Type": "text/csv", "Authorization": f"Bearer {tokens['kasama']}"}
    t = time.thread_time()
    with counted() as c:
        resp = api.client.http.post("/api/verify/bulk", headers=h, body=upload)
    cpu = time.thread_time() - t
    calls = collections.Counter(c)
    results = collections.Counter(i["result"] for i in json.loads(resp.body)["items"])
    t = time.thread_time()
    singles: collections.Counter[str] = collections.Counter()
    for n in numbers:  # the same rows one by one (another orderer login: its own counters)
        singles += _verify(api, tokens["kasama_bench"], n, g["auth_key"])[1]
    single_cpu = time.thread_time() - t
    n = _dynamo(calls)
    return [
        Row(
            f"bulk verification of {rows} rows: DynamoDB round trips",
            "≤ 40",
            f"{n} ({_describe(calls)})",
            f"{rows} single verifications: {_dynamo(singles)}",
            n <= 40,
            f"results {dict(results)}; issue text: 601 before",
        ),
        Row(
            f"bulk verification of {rows} rows: app CPU",
            "≤ 0.6 s",
            f"{cpu:.2f} s",
            f"{rows} single verifications: {single_cpu:.2f} s",
            cpu <= 0.6,
            "CPU of the app's thread for the one request; issue text: 1.65 s before",
        ),
    ]


def run(quick: bool) -> list[Row]:
    _count_every_client()
    moto = _start_stack()
    sys.path.insert(0, str(ROOT))
    from chalice.test import Client

    import app as app_module
    from chalicelib.store import provision
    from devstack.seed import seed_demo
    from tests.factories import application_body

    provision.provision_all()
    seed_demo()
    try:
        with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as client:
            api = Api(client)
            tokens = {
                "contractor": api.login("demo-contractor", "demo-pass-1"),
                "staff": api.login("ibaraki-staff", "demo-pass-3"),
                "kasama": api.login("kasama", "demo-pass-4"),
            }
            created = api.call("POST", "/api/applications", tokens["contractor"], application_body())
            _pay(api, tokens, created)
            g = api.call("POST", f"/api/staff/applications/{created['id']}/issue", tokens["staff"])["guarantees"][0]
            tokens["kasama_bench"] = _second_kasama_login(api)
            out = single(api, tokens, g)
            out += bulk(api, tokens, g, 200)
    finally:
        moto.stop()
    return out


def _second_kasama_login(api: Api) -> str:
    """Another 笠間市 account (its own lockout counters) for the one-by-one baseline."""
    from chalicelib.domain.records import Account
    from chalicelib.services.auth import hash_password
    from chalicelib.store import accounts

    accounts.put(
        Account(
            "kasama-bench", "orderer", "08216", "笠間市長", password_hash=hash_password("demo-pass-bench-4"),
            email=None, name="笠間市長", status="active",
        )
    )  # fmt: skip
    return api.login("kasama-bench", "demo-pass-bench-4")


if __name__ == "__main__":
    os.environ.setdefault("BENCH", "1")
    rows = run("--quick" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False))
    else:
        from bench.report import table

        print(table(rows))
