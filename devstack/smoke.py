"""`bin/smoke BASE_URL`: one journey through a running stage, the way its users take it.

Health → contractor logs in and submits an application → staff logs in,
records its 保証料 paid and issues it → the contractor's certificate PDF is followed through its presigned
URL → the orderer verifies the electronic guarantee with its number and key →
the completion mail is read from the local outbox (the local stage), or named
for the operator to check (a deployed stage: SES mail cannot be read back) →
a key reissue and then a 取消, each asked for by the staff user (202) and
approved by the branch's second staff user (決裁, issue 14): the old key stops
working, the new one verifies, and after the 取消 it verifies as cancelled while
the contractor sees no key.

BASE_URL is what `bin/stage up` prints: the custom domain, or the execute-api
URL with its stage segment (`https://<id>.execute-api.<region>.amazonaws.com/api`),
or `http://127.0.0.1:PORT` for the local stack. Standard library only, so it
runs from CI before anything else is installed.

`--read-only` (prod, which has no smoke fixture) writes nothing: health, the OpenAPI
document and the four login pages.

Logins come from SMOKE_CONTRACTOR, SMOKE_STAFF, SMOKE_APPROVER (a second staff
user of the same branch) and SMOKE_ORDERER (`login:password`) — with `--stage S`, from
the stage's smoke fixture, the SecureString `/esurety/<S>/smoke-fixture` that `bin/stage up`
made (devstack/smoke_fixture.py; read with boto3, never printed); staff log in with
a second step (issue 13), whose TOTP code is computed from SMOKE_STAFF_TOTP and
SMOKE_APPROVER_TOTP (the accounts' base32 secrets). Against a local stack they
default to API.md's demo logins and the demo secrets.
SMOKE_MAIL_TO, the completion mail's address, must be one of the smoke contractor's
own users' addresses (the API refuses any other: issue 15); locally it is
demo-contractor's.
Exit status 0 when every step passed; each step prints one line.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

DEMO = {
    "SMOKE_CONTRACTOR": "demo-contractor:demo-pass-1",
    "SMOKE_STAFF": "ibaraki-staff:demo-pass-3",
    "SMOKE_ORDERER": "kasama:demo-pass-4",
    "SMOKE_STAFF_TOTP": "JBSWY3DPEHPK3PXP",  # devstack/seed.py DEMO_TOTP_SECRETS["ibaraki-staff"]
    "SMOKE_APPROVER": "ibaraki-chief:demo-pass-6",  # the second pair of eyes (決裁)
    "SMOKE_APPROVER_TOTP": "KRSXG5CTMVRXEZLU",  # DEMO_TOTP_SECRETS["ibaraki-chief"]
}
TOTP_INTERVAL = 30


class SmokeFailed(Exception):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    def __init__(self, base: str, timeout: float = 30) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        data = None
        h = dict(headers or {})
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(url, data=data, method=method, headers=h)  # noqa: S310 - the stage under test
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers or {}), err.read()

    def json(self, method: str, path: str, expect: int, **kw: Any) -> Any:
        status, _, raw = self.request(method, path, **kw)
        if status != expect:
            raise SmokeFailed(f"{method} {path}: {status} (expected {expect}) {raw[:300]!r}")
        return json.loads(raw or b"null")


def _is_local(base: str) -> bool:
    host = urllib.parse.urlsplit(base).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def _credentials(name: str, local: bool) -> tuple[str, str]:
    value = os.environ.get(name) or (DEMO[name] if local else "")
    if ":" not in value:
        raise SmokeFailed(f"{name} (login:password) is needed for a deployed stage")
    login, password = value.split(":", 1)
    return login, password


def totp(secret: str, at: float) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s), as chalicelib/domain/totp.py checks it; standard library only."""
    key = base64.b32decode(secret.strip().upper() + "=" * (-len(secret.strip()) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // TOTP_INTERVAL)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def application(today: dt.date, orderer_id: str) -> dict[str, Any]:
    """A valid 保証申込 dated from today (API.md's example body)."""
    day = dt.timedelta(days=1)
    return {
        "project": {
            "name": f"スモークテスト工事 {today:%Y%m%d}",
            "orderer_id": orderer_id,
            "contract_type": "construction",
            "jv_name": None,
            "contract_amount": 50_000_000,
            "period_start": (today + 30 * day).isoformat(),
            "period_end": (today + 365 * day).isoformat(),
            "location": "茨城県笠間市〇〇",
        },
        "advance_payment": {
            "amount": 20_000_000,
            "this_year_amount": None,
            "intermediate_amount": None,
            "deposit_bank": "〇〇銀行 ××支店",
            "redeposit": False,
            "fee_payment": "lump_sum",
            "intermediate": False,
            "intermediate_planned": False,
            "form": "electronic",
        },
        "contract_guarantee": None,
        "bid": {
            "order_type": "general",
            "award_date": (today - day).strftime("%Y%m%d"),
            "rounds": 1,
            "bidders": 3,
            "disqualified": 0,
            "second_bidder": "△△工業",
            "second_amount_k": 49_500,
            "highest_bidder": "□□建設",
            "highest_amount_k": 52_000,
        },
        "delivery": {
            "branch_id": os.environ.get("SMOKE_BRANCH", "ibaraki"),
            "receipt": "mail",
            "receipt_date": (today + 10 * day).isoformat(),
            "notify": True,
            "email": os.environ.get("SMOKE_MAIL_TO", "soumu@example.co.jp"),
            "mail_to": {"name": "〇〇建設 株式会社", "postal_code": "309-1792", "address": "茨城県笠間市〇〇0-00-0"},
        },
    }


def run(base: str, out: Any = sys.stdout, mail_wait: float = 20) -> None:
    local = _is_local(base)
    c = Client(base)

    def step(text: str) -> None:
        out.write(f"ok   {text}\n")
        out.flush()

    health = c.json("GET", "/api/health", 200)
    step(f"health: stage {health.get('stage')}")

    def login(name: str) -> str:
        user, password = _credentials(name, local)
        answer = c.json("POST", "/api/session", 200, body={"login": user, "password": password})
        if answer.get("mfa_required"):
            answer = second_step(user, answer["mfa_token"], f"{name}_TOTP")
        step(f"login {user} ({answer.get('role')})")
        return answer["token"]

    def second_step(user: str, mfa_token: str, secret_name: str) -> Any:
        secret = os.environ.get(secret_name) or (DEMO.get(secret_name, "") if local else "")
        if not secret:
            raise SmokeFailed(f"{user} needs a TOTP code: set {secret_name} (its base32 secret)")
        for attempt in range(2):
            status, _, raw = c.request(
                "POST", "/api/session/mfa", body={"mfa_token": mfa_token, "code": totp(secret, time.time())}
            )
            if status == 200:
                return json.loads(raw)
            if attempt == 0 and status == 401:  # this step's code was used already: the next step's is new
                time.sleep(TOTP_INTERVAL - time.time() % TOTP_INTERVAL + 0.5)
                continue
            raise SmokeFailed(f"POST /api/session/mfa: {status} {raw[:300]!r}")
        raise SmokeFailed("POST /api/session/mfa: no code accepted")

    contractor = login("SMOKE_CONTRACTOR")
    today = dt.date.today()
    created = c.json(
        "POST",
        "/api/applications",
        201,
        body=application(today, os.environ.get("SMOKE_ORDERER_ID", "08216")),
        token=contractor,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    step(f"submitted application {created['id']}")

    staff = login("SMOKE_STAFF")
    # Issue 17: no guarantee is issued before its 保証料 is paid (or waived); the smoke pays it in full.
    # paid_on is this machine's date: never after the stage's (JST) today, which is as far as it may go.
    fee = created["fees"]["total"]
    c.json(
        "POST",
        f"/api/staff/applications/{created['id']}/payment",
        200,
        body={"amount": fee, "paid_on": today.isoformat()},
        token=staff,
    )
    step(f"recorded the 保証料 paid ({fee:,} yen)")
    issued = c.json("POST", f"/api/staff/applications/{created['id']}/issue", 201, body={}, token=staff)
    guarantee = next(g for g in issued["guarantees"] if g.get("auth_key"))
    number = guarantee["number"]
    step(f"issued {number}")

    status, headers, _ = c.request(
        "GET", f"/api/guarantees/{urllib.parse.quote(number)}/certificate.pdf", token=contractor
    )
    location = headers.get("Location") or headers.get("location")
    if status != 302 or not location:
        raise SmokeFailed(f"certificate.pdf: {status}, expected a 302 to a presigned URL")
    status, _, pdf = c.request("GET", location)
    if status != 200 or not pdf.startswith(b"%PDF-"):
        raise SmokeFailed(f"presigned PDF URL: {status} {pdf[:40]!r}")
    step(f"certificate PDF through its presigned URL ({len(pdf):,} bytes)")

    orderer = login("SMOKE_ORDERER")
    verified = c.json(
        "POST", "/api/verify", 200, body={"number": number, "auth_key": guarantee["auth_key"]}, token=orderer
    )
    if verified.get("status") != "valid":
        raise SmokeFailed(f"verify: status {verified.get('status')}")
    step(f"verified {number} as the orderer: {verified['status']}")

    if not local:
        step("mail: sent through SES by the stream function (a deployed stage's mail is not readable here)")
    else:
        _completion_mail(c, number, mail_wait, step)

    # 決裁 (four-eyes): the staff user asks, the branch's second staff user approves.
    approver = login("SMOKE_APPROVER")
    quoted = urllib.parse.quote(number)

    def approved(asked: Any, what: str) -> Any:
        if asked.get("status") != "pending" or not asked.get("approval_id"):
            raise SmokeFailed(f"{what}: expected a pending 決裁, got {asked!r}")
        step(f"{what} requested: 決裁 {asked['approval_id']} pending")
        return c.json("POST", f"/api/staff/approvals/{asked['approval_id']}/approve", 201, body={}, token=approver)

    asked = c.json(
        "POST", f"/api/staff/guarantees/{quoted}/reissue-key", 202, body={"reason": "スモークテスト"}, token=staff
    )
    new_key = approved(asked, "key reissue")["auth_key"]
    c.json("POST", "/api/verify", 404, body={"number": number, "auth_key": guarantee["auth_key"]}, token=orderer)
    again = c.json("POST", "/api/verify", 200, body={"number": number, "auth_key": new_key}, token=orderer)
    if again.get("status") != "valid":
        raise SmokeFailed(f"verify with the new key: status {again.get('status')}")
    step("key reissue approved: the old key is refused, the new one verifies")

    asked = c.json(
        "POST",
        f"/api/staff/guarantees/{quoted}/versions",
        202,
        body={"kind": "cancellation", "reason": "スモークテスト"},
        token=staff,
    )
    approved(asked, "cancellation")
    cancelled = c.json("POST", "/api/verify", 200, body={"number": number, "auth_key": new_key}, token=orderer)
    if cancelled.get("status") != "cancelled":
        raise SmokeFailed(f"verify after the 取消: status {cancelled.get('status')}")
    shown = c.json("GET", f"/api/guarantees/{quoted}", 200, token=contractor)
    if shown.get("auth_key") is not None:
        raise SmokeFailed("the contractor still sees a 認証キー on a cancelled guarantee")
    step("cancellation approved: verifies as cancelled, the contractor sees no key")


def _completion_mail(c: Client, number: str, mail_wait: float, step: Any) -> None:
    deadline = time.monotonic() + mail_wait
    while time.monotonic() < deadline:
        items = c.json("GET", "/api/dev/outbox", 200)["items"]
        mine = [m for m in items if number in (m.get("body") or "")]
        if mine:
            step(f"mail in the local outbox: {mine[0]['subject']}")
            return
        time.sleep(0.3)
    raise SmokeFailed(f"no completion mail for {number} in the local outbox after {mail_wait:.0f} s")


LOGIN_PAGES = ("/netdesk/login", "/dsure/login", "/staff/login", "/admin/login")


def run_read_only(base: str, out: Any = sys.stdout) -> None:
    """What may be asked of prod: nothing is written, no login is used."""
    c = Client(base)
    health = c.json("GET", "/api/health", 200)
    out.write(f"ok   health: stage {health.get('stage')}\n")
    document = c.json("GET", "/api/openapi.json", 200)
    if not str(document.get("openapi", "")).startswith("3.") or not document.get("paths"):
        raise SmokeFailed("/api/openapi.json: not an OpenAPI 3 document with paths")
    out.write(f"ok   OpenAPI {document['openapi']}: {len(document['paths'])} paths\n")
    for path in LOGIN_PAGES:
        status, headers, page = c.request("GET", path)
        kind = headers.get("Content-Type") or headers.get("content-type") or ""
        if status != 200 or not kind.startswith("text/html") or b"<form" not in page:
            raise SmokeFailed(f"{path}: {status} {kind}, expected the login page")
        out.write(f"ok   login page {path}\n")


def fixture_settings(stage: str) -> dict[str, str]:
    """The SMOKE_* settings of the stage's smoke fixture (SSM SecureString), for this process only."""
    import boto3  # only here: the journey itself needs the standard library alone

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-northeast-1"
    ssm = boto3.client("ssm", region_name=region)
    name = f"/esurety/{stage}/smoke-fixture"
    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound as exc:
        raise SmokeFailed(f"{name} does not exist: bin/stage up makes it (bin/admin smoke-fixture)") from exc
    return {k: v for k, v in json.loads(value).items() if k.startswith("SMOKE_")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bin/smoke", description="one user journey through a running stage")
    parser.add_argument("base_url")
    parser.add_argument("--stage", help="read the logins from the stage's smoke fixture (SSM)")
    parser.add_argument("--read-only", action="store_true", help="health, OpenAPI and login pages only (prod)")
    args = parser.parse_args(argv)
    try:
        if args.read_only:
            run_read_only(args.base_url)
        else:
            if args.stage:
                os.environ.update(fixture_settings(args.stage))
            run(args.base_url)
    except SmokeFailed as exc:
        sys.stdout.write(f"FAIL {exc}\n")
        return 1
    sys.stdout.write("smoke: passed\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
