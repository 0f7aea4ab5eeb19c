"""Issue 14 step 6: 決裁 (four-eyes) for cancellation and key reissue (API.md "Four-eyes")."""

from __future__ import annotations

import json
import threading

from chalicelib.domain import auth_key
from chalicelib.domain.audit import AuditEntry
from chalicelib.store import audit as audit_store
from chalicelib.store import guarantees
from tests import tables
from tests.forms import csrf_of, staff_cookie, staff_write
from tests.functional.conftest import bearer, body
from tests.journeys import approve, post

JSON = {"Content-Type": "application/json"}


def ask_cancel(client, tokens, number, who="staff"):
    return post(
        client, tokens[who], f"/api/staff/guarantees/{number}/versions", {"kind": "cancellation", "reason": "契約解除"}
    )


def ask_reissue(client, tokens, number, who="staff"):
    return post(client, tokens[who], f"/api/staff/guarantees/{number}/reissue-key", {"reason": "発注者からの依頼"})


def test_cancellation_waits_for_another_staff_users_approval(client, tokens, issued):
    number = issued[0]["number"]
    asked = ask_cancel(client, tokens, number)
    assert asked.status_code == 202
    out = body(asked)
    assert set(out) == {"approval_id", "status", "action", "number"}
    assert (out["status"], out["action"], out["number"]) == ("pending", "cancellation", number)
    assert guarantees.get(number).status == "valid" and len(guarantees.history(number)) == 1  # nothing yet

    listed = body(client.http.get("/api/staff/approvals?status=pending", headers=bearer(tokens["chief"])))["items"]
    assert [a["approval_id"] for a in listed] == [out["approval_id"]]
    assert {"approval_id", "status", "action", "number", "requested_by", "requested_at", "reason"} <= set(listed[0])
    assert listed[0]["requested_by"] == "ibaraki-staff" and listed[0]["reason"] == "契約解除"

    own = approve(client, tokens, out["approval_id"], who="staff")
    assert own.status_code == 403 and guarantees.get(number).status == "valid"
    done = approve(client, tokens, out["approval_id"])
    assert done.status_code == 201 and body(done)["version"] == 2 and body(done)["kind"] == "cancellation"
    assert guarantees.get(number).status == "cancelled"
    assert approve(client, tokens, out["approval_id"]).status_code == 409  # no longer pending
    assert body(client.http.get("/api/staff/approvals?status=pending", headers=bearer(tokens["chief"])))["items"] == []

    trail = body(client.http.get(f"/api/staff/audit?number={number}", headers=bearer(tokens["staff"])))["items"]
    assert [(r["action"], r["actor"]) for r in trail] == [
        ("approval_approved", "ibaraki-chief"),
        ("approval_requested", "ibaraki-staff"),
        ("issue", "ibaraki-staff"),
    ]


def test_key_reissue_waits_and_the_approver_gets_the_key_once(client, tokens, issued):
    number, old = issued[0]["number"], issued[0]["auth_key"]
    asked = ask_reissue(client, tokens, number)
    assert asked.status_code == 202 and body(asked)["action"] == "reissue_key"
    assert auth_key.matches(old, guarantees.get(number).auth_key)
    done = approve(client, tokens, body(asked)["approval_id"])
    assert done.status_code == 201 and done.headers.get("Cache-Control") == "no-store"
    new = body(done)["auth_key"]
    assert auth_key.matches(new, guarantees.get(number).auth_key) and new != old
    dump = json.dumps([r for r in tables.rows("audit", pk="all")], default=str)
    assert new not in dump and old not in dump


def test_a_pending_request_blocks_a_second_one_of_the_same_action(client, tokens, issued):
    number = issued[0]["number"]
    assert ask_reissue(client, tokens, number).status_code == 202
    assert ask_reissue(client, tokens, number, who="chief").status_code == 409
    assert ask_cancel(client, tokens, number).status_code == 202  # another action is its own request
    assert ask_cancel(client, tokens, number).status_code == 409


def test_decline_needs_a_reason_and_frees_the_guarantee_for_a_new_request(client, tokens, issued):
    number = issued[0]["number"]
    approval_id = body(ask_cancel(client, tokens, number))["approval_id"]
    path = f"/api/staff/approvals/{approval_id}/decline"
    assert [e["field"] for e in body(post(client, tokens["chief"], path, {"reason": " "}))["errors"]] == ["reason"]
    declined = post(client, tokens["chief"], path, {"reason": "解除の書類が未着"})
    assert declined.status_code == 200 and body(declined)["status"] == "declined"
    assert post(client, tokens["chief"], path, {"reason": "again"}).status_code == 409
    assert approve(client, tokens, approval_id).status_code == 409
    assert guarantees.get(number).status == "valid"
    assert ask_cancel(client, tokens, number).status_code == 202


def test_parallel_approvals_exactly_one_201(client, tokens, issued):
    number = issued[0]["number"]
    approval_id = body(ask_reissue(client, tokens, number))["approval_id"]
    results: list[int] = []

    def run():
        results.append(approve(client, tokens, approval_id).status_code)

    threads = [threading.Thread(target=run) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [201, 409, 409, 409]
    assert tables.count("audit", pk=f"number#{number}") == 3  # issue, requested, approved once


def test_the_approval_and_its_record_fail_together(client, tokens, issued, monkeypatch):
    number = issued[0]["number"]
    approval_id = body(ask_cancel(client, tokens, number))["approval_id"]
    fixed = "2026-01-01T00:00:00+09:00"
    audit_store.items(
        AuditEntry(actor="x", action="issue", target="application:x", scope="ibaraki", at=fixed, record_id="fixed")
    )[0].save()
    monkeypatch.setattr(
        "chalicelib.services.versions.AuditEntry", lambda **kw: AuditEntry(**{**kw, "at": fixed, "record_id": "fixed"})
    )
    assert approve(client, tokens, approval_id).status_code == 409
    assert guarantees.get(number).status == "valid" and len(guarantees.history(number)) == 1
    pending = body(client.http.get("/api/staff/approvals?status=pending", headers=bearer(tokens["chief"])))["items"]
    assert [a["approval_id"] for a in pending] == [approval_id]  # still waiting: nothing half-done
    monkeypatch.undo()
    assert approve(client, tokens, approval_id).status_code == 201


def test_another_branchs_approval_is_404_and_contractors_get_403(client, tokens, issued):
    assert approve(client, tokens, "no-such-approval").status_code == 404
    assert client.http.get("/api/staff/approvals", headers=bearer(tokens["contractor"])).status_code == 403
    assert ask_reissue(client, tokens, "30026-999999M").status_code == 404


def test_the_approver_sees_the_new_key_with_the_key_notice_to_hand_over(client, tokens, issued):
    import re
    import urllib.request

    number, old = issued[0]["number"], issued[0]["auth_key"]
    approval_id = body(ask_reissue(client, tokens, number))["approval_id"]
    cookie = {"Cookie": f"esurety_session={tokens['chief']}"}
    listed = client.http.get("/staff/approvals", headers=cookie).body.decode()
    assert number in listed and "現在の認証キーはその時点で使えなくなり" in listed
    _shown, posted = staff_write(
        client, tokens["chief"], f"/staff/approvals/{approval_id}/approve", {}, csrf_of(listed)
    )
    done = client.http.get(posted.headers["Location"], headers=cookie)
    html = done.body.decode()
    new = guarantees.get(number).auth_key
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert new in html and old not in html and new != old
    link = re.search(r'href="([^"]+/key-notice\.pdf)" id="key-notice"', html).group(1)
    assert link == f"/staff/guarantees/{number}/key-notice.pdf"
    pdf = client.http.get(link, headers=cookie)
    assert pdf.status_code == 302 and pdf.headers["Cache-Control"] == "no-store"
    current = guarantees.version(number, guarantees.get(number).latest_version).key_notice_key
    assert current in pdf.headers["Location"]  # the notice with the new key, not the retired one
    with urllib.request.urlopen(pdf.headers["Location"], timeout=10) as resp:  # the presigned URL (moto)
        assert resp.read().startswith(b"%PDF")
    again = client.http.post(
        f"/staff/approvals/{approval_id}/approve",
        headers=staff_cookie(tokens["chief"]),
        body=f"csrf_token={csrf_of(listed)}",
    )
    assert again.status_code == 409 and new not in again.body.decode()  # a new approval finds it decided
    assert client.http.get("/staff/guarantees/30026-999999M/key-notice.pdf", headers=cookie).status_code == 404
    contractor = client.http.get(link, headers=bearer(tokens["contractor"]))
    assert contractor.status_code == 403  # a staff page


def test_a_cancelled_guarantee_has_no_key_notice_for_staff_either(client, tokens, issued):
    number = issued[0]["number"]
    assert approve(client, tokens, body(ask_cancel(client, tokens, number))["approval_id"]).status_code == 201
    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    assert client.http.get(f"/staff/guarantees/{number}/key-notice.pdf", headers=cookie).status_code == 404


def test_approving_a_cancellation_on_the_page_shows_the_recorded_version(client, tokens, issued):
    number = issued[0]["number"]
    approval_id = body(ask_cancel(client, tokens, number))["approval_id"]
    cookie = {"Cookie": f"esurety_session={tokens['chief']}"}
    listed = client.http.get("/staff/approvals", headers=cookie).body.decode()
    _shown, posted = staff_write(
        client, tokens["chief"], f"/staff/approvals/{approval_id}/approve", {}, csrf_of(listed)
    )
    done = client.http.get(posted.headers["Location"], headers=cookie)
    html = done.body.decode()
    assert done.status_code == 200 and "決裁を承認しました" in html and "版 2 (取消)" in html
    assert guarantees.get(number).status == "cancelled" and 'id="key-notice"' not in html
