"""Issue 14 step 1: every staff write (issue, reject, version) has its audit record in the same
transaction as the change, and reject / versions / reissue-key require a reason."""

from __future__ import annotations

import json

from chalicelib.domain.audit import AuditEntry
from chalicelib.store import applications, guarantees
from chalicelib.store import audit as audit_store
from tests import tables
from tests.factories import make_application
from tests.forms import csrf_of
from tests.functional.conftest import bearer, body
from tests.journeys import post

JSON = {"Content-Type": "application/json"}
FIXED_AT = "2026-01-01T00:00:00+09:00"


def audit_rows(client, token, **query) -> list[dict]:
    """The branch's records, less the 保証料 payments the factory records for every application it
    makes (issue 17: no guarantee before its fee is paid) — setup, not the writes under test."""
    q = "&".join(f"{k}={v}" for k, v in query.items())
    resp = client.http.get(f"/api/staff/audit?{q}", headers=bearer(token))
    assert resp.status_code == 200, resp.body
    return [r for r in body(resp)["items"] if r["action"] != "fee_payment"]


def _block_next_audit_record(monkeypatch, module: str) -> None:
    """Make the next record's `all` item exist already: its put's condition fails, so the
    transaction it is part of must cancel as a whole."""
    blocker = AuditEntry(
        actor="x", action="issue", target="application:x", scope="ibaraki", at=FIXED_AT, record_id="fixed"
    )
    audit_store.items(blocker)[0].save()
    monkeypatch.setattr(f"{module}.AuditEntry", lambda **kw: AuditEntry(**{**kw, "at": FIXED_AT, "record_id": "fixed"}))


def test_issue_reject_and_version_each_write_one_record(client, tokens, issued):
    staff = tokens["staff"]
    number = issued[0]["number"]
    assert (
        post(
            client,
            staff,
            f"/api/staff/guarantees/{number}/versions",
            {"kind": "change", "changes": {"guarantee_amount": 15000000}, "reason": "増額のため"},
        ).status_code
        == 201
    )
    other = make_application()
    assert (
        post(
            client, staff, f"/api/staff/applications/{other.application_id}/reject", {"reason": "書類不備"}
        ).status_code
        == 200
    )

    rows = audit_rows(client, staff)
    assert [r["action"] for r in rows] == ["reject", "version", "issue"]
    reject, version, issue = rows
    assert reject["target"] == f"application:{other.application_id}" and reject["reason"] == "書類不備"
    assert (
        version["target"] == f"guarantee:{number}"
        and version["numbers"] == [number]
        and version["reason"] == "増額のため"
    )
    assert issue["numbers"] == [g["number"] for g in issued] and issue["actor"] == "ibaraki-staff"
    assert [r["action"] for r in audit_rows(client, staff, number=number)] == ["version", "issue"]
    dump = json.dumps([r for r in tables.rows("audit", pk="all")], default=str)
    assert all(g["auth_key"] not in dump for g in issued)  # never a 認証キー in the trail


def test_version_and_its_record_fail_together(client, tokens, issued, monkeypatch):
    number = issued[0]["number"]
    _block_next_audit_record(monkeypatch, "chalicelib.services.versions")
    resp = post(
        client,
        tokens["staff"],
        f"/api/staff/guarantees/{number}/versions",
        {"kind": "change", "changes": {"guarantee_amount": 15000000}, "reason": "増額"},
    )
    assert resp.status_code == 409
    assert guarantees.get(number).latest_version == 1 and len(guarantees.history(number)) == 1
    assert tables.count("audit", pk=f"number#{number}") == 1  # only the issue's record


def test_reject_and_its_record_fail_together(client, tokens, monkeypatch):
    app = make_application()
    before = tables.count("audit", pk="scope#ibaraki")  # the factory's fee_payment record
    _block_next_audit_record(monkeypatch, "chalicelib.services.issuance")
    resp = post(client, tokens["staff"], f"/api/staff/applications/{app.application_id}/reject", {"reason": "書類不備"})
    assert resp.status_code == 409
    assert applications.get(app.application_id).status == "submitted"
    assert tables.count("audit", pk="scope#ibaraki") == before


def test_issue_and_its_record_fail_together(client, tokens, monkeypatch):
    app = make_application()
    before = tables.count("audit", pk="scope#ibaraki")  # the factory's fee_payment record
    _block_next_audit_record(monkeypatch, "chalicelib.services.issuance")
    resp = post(client, tokens["staff"], f"/api/staff/applications/{app.application_id}/issue")
    assert resp.status_code == 409
    assert applications.get(app.application_id).status == "submitted"
    assert tables.rows("guarantees") == [] and tables.count("audit", pk="scope#ibaraki") == before


def test_a_missing_reason_is_400_on_reason_and_changes_nothing(client, tokens, issued):
    """One case through every route that takes a reason; the rule's cases (missing, blank, too
    long) are tests/unit/domain/test_reasons.py."""
    staff = tokens["staff"]
    number = issued[0]["number"]
    app = make_application()
    payload = {}
    calls = [
        (f"/api/staff/applications/{app.application_id}/reject", payload),
        (
            f"/api/staff/guarantees/{number}/versions",
            {"kind": "correction", "changes": {"project_name": "新しい工事名"}, **payload},
        ),
        (f"/api/staff/guarantees/{number}/reissue-key", payload),
    ]
    key_before = guarantees.get(number).auth_key
    for path, data in calls:
        resp = post(client, staff, path, data)
        assert resp.status_code == 400, (path, resp.body)
        assert [e["field"] for e in body(resp)["errors"]] == ["reason"]
    assert applications.get(app.application_id).status == "submitted"
    g = guarantees.get(number)
    assert g.latest_version == 1 and g.auth_key == key_before
    assert [r["action"] for r in audit_rows(client, staff)] == ["issue"]


def test_a_reason_of_200_characters_is_accepted(client, tokens):
    app = make_application()
    resp = post(client, tokens["staff"], f"/api/staff/applications/{app.application_id}/reject", {"reason": "理" * 200})
    assert resp.status_code == 200 and body(resp)["reject_reason"] == "理" * 200


def test_console_errors_name_the_field_by_its_label(client, tokens, issued):

    number = issued[0]["number"]
    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    page = client.http.get(f"/staff/guarantees/{number}", headers=cookie).body.decode()
    csrf = csrf_of(page)
    resp = client.http.post(
        f"/staff/guarantees/{number}/versions",
        headers={**cookie, "Content-Type": "application/x-www-form-urlencoded"},
        body=f"csrf_token={csrf}&kind=change&guarantee_amount=abc&reason=",
    )
    text = resp.body.decode()
    assert resp.status_code == 400
    assert (
        "保証金額: " in text and "理由: " in text and "[changes." not in text and "changes.guarantee_amount" not in text
    )


def test_audit_pages_and_csv_export(client, tokens, issued):
    staff = tokens["staff"]
    number = issued[0]["number"]
    post(
        client,
        staff,
        f"/api/staff/guarantees/{number}/versions",
        {"kind": "correction", "changes": {"project_name": "新工事名"}, "reason": "=1+1"},
    )
    cookie = {"Cookie": f"esurety_session={staff}"}
    page = client.http.get(f"/staff/audit?number={number}", headers=cookie)
    text = page.body.decode()
    assert page.status_code == 200 and "訂正・変更・取消" in text and "発行" in text and "=1+1" in text
    guarantee_page = client.http.get(f"/staff/guarantees/{number}", headers=cookie).body.decode()
    assert f"/staff/audit?number={number}" in guarantee_page
    export = client.http.get(f"/staff/audit.csv?number={number}", headers=cookie)
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    raw = export.body if isinstance(export.body, bytes) else export.body.encode()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and lines[1].endswith(",'=1+1") and number in lines[2]
    assert client.http.get(
        "/staff/audit.csv", headers={"Cookie": f"esurety_session={tokens['contractor']}"}
    ).status_code in (302, 303, 403)


def test_the_audit_filter_is_a_number_or_a_400_and_the_csv_filename_is_built_from_it(client, tokens):
    """Issue 26: `?number=` with CR/LF was a 500, with `"` an extra filename parameter in the header."""
    from urllib.parse import quote

    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    for bad in ('x"; filename="evil.exe', "30026-000001M\r\nSet-Cookie: a=b", "../../etc"):
        for path in ("/staff/audit.csv", "/staff/audit", "/api/staff/audit"):
            resp = client.http.get(f"{path}?number={quote(bad)}", headers=cookie)
            assert resp.status_code == 400, (path, bad, resp.status_code)
            assert "Content-Disposition" not in resp.headers
    typed = client.http.get(f"/staff/audit.csv?number={quote('３００２６－０００００１ｍ')}", headers=cookie)
    assert typed.status_code == 200
    assert typed.headers["Content-Disposition"] == 'attachment; filename="audit-30026-000001M.csv"'
    actor = client.http.get("/api/staff/audit?actor=" + quote("a\r\nb"), headers=cookie)
    assert actor.status_code == 400


def test_the_audit_page_and_its_csv_validate_their_filters_once(client, tokens, monkeypatch):
    """One validation per request: the page (a stale cursor too, which starts again from the newest)
    and the CSV (its download name comes from the number the export validated)."""
    from chalicelib.services import audit_log

    checked: list[str] = []
    real = audit_log.filters
    monkeypatch.setattr(audit_log, "filters", lambda number, actor: checked.append(number) or real(number, actor))
    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    for path in ("/staff/audit", "/staff/audit?cursor=stale", "/staff/audit.csv"):
        checked.clear()
        resp = client.http.get(f"{path}{'&' if '?' in path else '?'}number=30026-000001M", headers=cookie)
        assert resp.status_code == 200 and checked == ["30026-000001M"], (path, checked)
