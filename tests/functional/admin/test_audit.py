"""The audit trail of the administrators' writes (store/audit.py).

A record commits with its change or not at all, is queried by number, actor and scope, and holds no
password or secret.
"""

from __future__ import annotations

import json

from chalicelib.domain.audit import AuditEntry
from chalicelib.store import audit as audit_store
from tests import tables
from tests.admin_api import GOOD_PASSWORD, audit_rows, invite, post, setup_token
from tests.functional.conftest import bearer, body


def test_audit_record_and_change_fail_together(client, admin, monkeypatch):
    """An audit item that cannot be written cancels the change; a change that fails writes no record."""
    fixed = AuditEntry(
        actor="admin",
        action="user_created",
        target="user:x",
        scope="hq",
        at="2026-01-01T00:00:00+09:00",
        record_id="fixed",
    )
    for item in audit_store.items(fixed)[:1]:  # the `all` item already exists: the transaction must cancel
        item.save()
    monkeypatch.setattr(
        "chalicelib.services.admin.AuditEntry", lambda **kw: AuditEntry(**{**kw, "at": fixed.at, "record_id": "fixed"})
    )
    resp = post(
        client,
        "/api/admin/users",
        admin,
        {"login": "ghost-user", "name": "x", "email": "g@example.jp", "role": "orderer", "org_id": "08216"},
    )
    assert resp.status_code == 409
    assert tables.count("accounts", login="ghost-user") == 0
    assert [t for t in tables.rows("tokens") if t.login == "ghost-user"] == []  # nor its invitation
    monkeypatch.undo()
    # The other way round: the change's condition fails (login taken), so no record is written.
    before = len(audit_rows(client, admin))
    taken = post(
        client,
        "/api/admin/users",
        admin,
        {"login": "kasama", "name": "x", "email": "k@example.jp", "role": "orderer", "org_id": "08216"},
    )
    assert taken.status_code == 409
    assert len(audit_rows(client, admin)) == before


def test_audit_query_by_number_actor_and_scope(client, admin, tokens):
    from chalicelib.store import tx

    entries = [
        AuditEntry(
            actor="ibaraki-staff",
            action="issue",
            target="application:a1",
            scope="ibaraki",
            numbers=("30026-000001M", "30026-000002K"),
        ),
        AuditEntry(
            actor="ibaraki-chief",
            action="approval_approved",
            target="approval:p1",
            scope="ibaraki",
            numbers=("30026-000001M",),
        ),
        AuditEntry(
            actor="tokyo-staff", action="issue", target="application:a2", scope="tokyo", numbers=("10026-000003M",)
        ),
    ]
    for e in entries:
        tx.commit(audit_store.add(tx.Writes(), e))
    staff = tokens["staff"]
    got = body(client.http.get("/api/staff/audit?number=30026-000001m", headers=bearer(staff)))["items"]
    assert [r["actor"] for r in got] == ["ibaraki-chief", "ibaraki-staff"]  # newest first, typed number folded
    assert set(got[0]) == {"at", "actor", "action", "target", "numbers", "reason"}
    assert body(client.http.get("/api/staff/audit?number=10026-000003M", headers=bearer(staff)))["items"] == []
    assert len(audit_rows(client, admin, number="10026-000003M")) == 1  # admins see every branch
    assert [r["target"] for r in audit_rows(client, admin, actor="ibaraki-staff")] == ["application:a1"]
    page1 = body(client.http.get("/api/staff/audit?limit=1", headers=bearer(staff)))
    assert len(page1["items"]) == 1 and page1["next_cursor"]
    # No route edits or deletes a record.
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.http.request(method, "/api/staff/audit", headers=bearer(admin)).status_code in (403, 405)
    assert tables.count("audit", pk="all") == 3


def test_audit_records_hold_no_password_or_secret(client, admin):
    invite(client, admin, "secretive")
    created = body(post(client, "/api/admin/clients", admin, {"orderer_id": "08216", "name": "sys"}))
    token = setup_token(client, "secretive@example.jp")
    post(client, "/api/account/password", None, {"token": token, "password": GOOD_PASSWORD})
    dump = json.dumps([r for r in tables.rows("audit", pk="all")], default=str)
    assert created["client_secret"] not in dump and GOOD_PASSWORD not in dump and token not in dump
