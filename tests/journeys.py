"""The journeys functional tests set up through the API, as people make them, written once.

submit (the contractor) → pay (the clerk records the 保証料) → issue → a version or a key
reissue (the clerk asks, the branch's other clerk approves: 決裁) → verify (the orderer).
Each step asserts only that it was accepted where a test uses it as set-up; a test of a step
itself calls the route and asserts what it is about. A 契約保証予約 has its own three steps
(reserve, pay, issue).

Every function takes the chalice test client and the `tokens` fixture (demo sessions by short
name) of tests/functional/conftest.py. Writing rows straight into the tables, without a journey,
is tests/factories.py.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.principal import Principal
from tests.factories import application_body, make_application, reservation_body

JSON = {"Content-Type": "application/json"}
#: The reason a clerk gives for a version or a key reissue (API.md: every one takes a reason).
REASON = "発注者からの依頼"
#: The branch's clerk, for tests that call a service directly.
STAFF = Principal("ibaraki-staff", "staff", "ibaraki", "茨城支店", "s-1")
#: Each contractor's own address for a reservation's notice (issue 15: only its organisation's users).
OWN_EMAIL = {"contractor": "soumu@example.co.jp", "other": "info@example.com"}


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def body(resp) -> Any:
    return json.loads(resp.body)


def post(client, token: str, path: str, payload: Any = None):
    """POST JSON (no body when `payload` is None) with a bearer token."""
    data = "" if payload is None else json.dumps(payload)
    return client.http.post(path, headers=bearer(token, **JSON), body=data)


# ------------------------------------------------------------------ an application


def post_application(client, token: str, payload: Any, **headers: str):
    """POST /api/applications with a body (a dict is sent as JSON; bytes or text as is)."""
    data = payload if isinstance(payload, bytes | str) else json.dumps(payload, ensure_ascii=False)
    return client.http.post("/api/applications", headers=bearer(token, **JSON, **headers), body=data)


def submit(client, tokens, who: str = "contractor", **overrides) -> dict:
    """The contractor's application (tests/factories.application_body with `overrides`), answered 201."""
    resp = post(client, tokens[who], "/api/applications", application_body(**overrides))
    assert resp.status_code == 201, resp.body
    return body(resp)


def pay(client, tokens, app: dict, subject: str = "applications") -> None:
    """The clerk records the 保証料 of an application (its 201 body) paid in full today (issue 17:
    nothing is issued before its fee is paid or waived)."""
    resp = post(
        client,
        tokens["staff"],
        f"/api/staff/{subject}/{app['id']}/payment",
        {"amount": app["fees"]["total"], "paid_on": clock.today().isoformat()},
    )
    assert resp.status_code == 200, resp.body


def submit_paid(client, tokens, **overrides) -> str:
    """An application submitted through the API with its 保証料 paid: its id."""
    app = submit(client, tokens, **overrides)
    pay(client, tokens, app)
    return app["id"]


def issue(client, tokens, app_id: str, who: str = "staff"):
    """The clerk's 発行 of an application: the response."""
    return client.http.post(f"/api/staff/applications/{app_id}/issue", headers=bearer(tokens[who], **JSON), body="")


def issued(client, tokens, app_id: str | None = None) -> list[dict]:
    """The guarantees of an application issued by the clerk (by default one the factory wrote,
    submitted and paid): the 201's `guarantees`."""
    app_id = app_id or make_application().application_id
    resp = issue(client, tokens, app_id)
    assert resp.status_code == 201, resp.body
    return body(resp)["guarantees"]


# ------------------------------------------------------------------ a guarantee's versions, key and 決裁


def post_version(client, tokens, number: str, payload: dict, who: str = "staff"):
    """A version (訂正 / 変更 / 取消) of a guarantee, with the default reason unless `payload` gives one."""
    return post(client, tokens[who], f"/api/staff/guarantees/{number}/versions", {"reason": REASON, **payload})


def reissue(client, tokens, number: str, reason: str = REASON, who: str = "staff"):
    """The clerk asks for a new 認証キー (answered 202: it waits for the 決裁)."""
    return post(client, tokens[who], f"/api/staff/guarantees/{number}/reissue-key", {"reason": reason})


def approve(client, tokens, approval_id: str, who: str = "chief"):
    """Approve a 決裁 request as `who` (by default ibaraki-chief, the other staff user of the branch)."""
    return post(client, tokens[who], f"/api/staff/approvals/{approval_id}/approve")


def requested_then_approved(client, tokens, resp):
    """API.md's two steps of a cancellation or key reissue: the request's 202, then the approval
    by the branch's other staff user; returns the approval's response (201 with what the
    direct call used to answer)."""
    assert resp.status_code == 202, resp.body
    out = body(resp)
    assert out["status"] == "pending" and out["approval_id"]
    return approve(client, tokens, out["approval_id"])


# ------------------------------------------------------------------ D-Sure


def verify(client, tokens, number: str, key: str, who: str = "kasama"):
    """An orderer's verification of a 保証契約番号 with its 認証キー: the response."""
    return client.http.post(
        "/api/verify", headers=bearer(tokens[who], **JSON), body=json.dumps({"number": number, "auth_key": key})
    )


# ------------------------------------------------------------------ a 契約保証予約


def reserve(client, tokens, who: str = "contractor", **overrides) -> dict:
    """A contractor's 契約保証予約 (tests/factories.reservation_body), answered 201."""
    overrides.setdefault("delivery__email", OWN_EMAIL[who])
    resp = post(client, tokens[who], "/api/reservations", reservation_body(**overrides))
    assert resp.status_code == 201, resp.body
    return body(resp)


def pay_reservation(client, tokens, r: dict) -> None:
    """The clerk records a 契約保証予約's 保証料 paid in full today."""
    pay(client, tokens, r, subject="reservations")


def paid_reservation(client, tokens) -> str:
    """A 契約保証予約 with its 保証料 paid: its id."""
    r = reserve(client, tokens)
    pay_reservation(client, tokens, r)
    return r["id"]


def issued_reservation(client, tokens, who: str = "contractor", **overrides) -> tuple[dict, dict]:
    """A 契約保証予約 reserved, paid and issued: (the reservation, the issue's 201 body)."""
    r = reserve(client, tokens, who, **overrides)
    pay_reservation(client, tokens, r)
    resp = post(client, tokens["staff"], f"/api/staff/reservations/{r['id']}/issue")
    assert resp.status_code == 201, resp.body
    return r, body(resp)


def apply_citing(client, tokens, number: str, who: str = "contractor", **overrides):
    """An application whose 契約保証 cites a reservation's number: the response."""
    b = application_body(**overrides)
    b["contract_guarantee"]["reservation_number"] = number
    return post(client, tokens[who], "/api/applications", b)
