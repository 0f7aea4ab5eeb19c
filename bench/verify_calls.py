"""DynamoDB round trips of one D-Sure verification, right key and wrong key (issue 15: ≤ 3 each
beyond the session look-up; 7 before).

Counts, not timings: every call the app sends goes through one botocore client
(chalicelib/store/connection.py), whose `before-call` event sees each one. The
app runs through chalice's test client against an in-process moto server; a
guarantee is submitted and issued through the API first, and verified once so
the orderer's inbox row exists (the steady state).

Run: .venv/bin/python bench/verify_calls.py      Prints the calls; asserts nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    {
        "STAGE": "local",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_REGION": "ap-northeast-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "SESSION_SECRET": "bench-secret-not-for-production-0123456789",
    }
)


def main() -> int:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from devstack.moto_atomic import serialise_dynamodb

    serialise_dynamodb()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        from chalice.test import Client

        import app as app_module
        from chalicelib.store import provision
        from devstack.seed import seed_demo
        from tests import dynamodb_calls
        from tests.factories import application_body

        provision.provision_all()
        seed_demo()
        with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as c:

            def token(login: str, password: str) -> str:
                body = json.dumps({"login": login, "password": password})
                resp = c.http.post("/api/session", headers={"Content-Type": "application/json"}, body=body)
                return json.loads(resp.body)["token"]

            def call(method: str, path: str, tok: str, body: object = None):
                headers = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}
                return c.http.request(method, path, headers=headers, body=json.dumps(body) if body else b"")

            contractor, staff = token("demo-contractor", "demo-pass-1"), token("ibaraki-staff", "demo-pass-3")
            kasama = token("kasama", "demo-pass-4")
            app_id = json.loads(call("POST", "/api/applications", contractor, application_body()).body)["id"]
            g = json.loads(call("POST", f"/api/staff/applications/{app_id}/issue", staff).body)["guarantees"][0]
            call("POST", "/api/verify", kasama, {"number": g["number"], "auth_key": g["auth_key"]})
            print("DynamoDB calls per verification (the first is the session look-up):")
            for label, key in (("right key", g["auth_key"]), ("wrong key", "WRONGKEY2345")):
                with dynamodb_calls.recorded() as calls:
                    resp = call("POST", "/api/verify", kasama, {"number": g["number"], "auth_key": key})
                beyond = len(calls) - 1
                verdict = "ok" if beyond <= 3 else "OVER"
                print(f"  {label:9} → {resp.status_code}: {beyond} beyond the session ({verdict}) {calls}")
    finally:
        moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
