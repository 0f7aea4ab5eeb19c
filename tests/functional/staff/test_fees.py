"""issue 17: 保証料 — quote, the fee in the 201 and reads, payment, waiver, and no issue before either."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain import clock
from chalicelib.store import applications
from tests import dynamodb_calls, tables
from tests.factories import application_body
from tests.functional.conftest import bearer, body
from tests.journeys import issue, post, submit

JSON = {"Content-Type": "application/json"}


def test_the_quote_the_201_and_every_read_carry_the_same_fees(client, tokens):
    quote = post(
        client, tokens["contractor"], "/api/fees/quote", {"product": "application", "body": application_body()}
    )
    assert quote.status_code == 200, quote.body
    # 20,000,000 前払金 and 5,000,000 契約保証 over 350 days (illustrative rates)
    assert body(quote) == {
        "advance_payment": 55_000,
        "contract_guarantee": 20_000,
        "reservation": None,
        "total": 75_000,
    }
    app = submit(client, tokens)
    assert app["fees"] == {**body(quote), "paid_on": None, "waived": None}
    read = body(client.http.get(f"/api/applications/{app['id']}", headers=bearer(tokens["contractor"])))
    assert read["fees"] == app["fees"]
    listed = body(client.http.get("/api/applications", headers=bearer(tokens["contractor"])))["items"]
    assert [a["fees"]["total"] for a in listed if a["id"] == app["id"]] == [75_000]
    staff = body(client.http.get("/api/staff/applications", headers=bearer(tokens["staff"])))["items"]
    assert [a["fees"]["total"] for a in staff if a["id"] == app["id"]] == [75_000]
    # staff may quote too; an orderer may not
    assert (
        post(
            client, tokens["staff"], "/api/fees/quote", {"product": "application", "body": application_body()}
        ).status_code
        == 200
    )
    assert (
        post(
            client, tokens["kasama"], "/api/fees/quote", {"product": "application", "body": application_body()}
        ).status_code
        == 403
    )


def test_a_new_container_reads_the_rate_table_the_stage_loaded(client, tokens):
    """A cold container has no cached rates: the quote reads the fee_rates table (as on a deployed stage)."""
    from chalicelib.store import fees as fee_store

    fee_store.clear_cache()
    quote = post(
        client, tokens["contractor"], "/api/fees/quote", {"product": "application", "body": application_body()}
    )
    assert quote.status_code == 200, quote.body
    assert body(quote)["total"] == 75_000
    assert "table" in fee_store._CACHE  # read once, then kept for the container


def test_a_quote_of_a_bad_body_names_its_fields(client, tokens):
    resp = post(
        client,
        tokens["contractor"],
        "/api/fees/quote",
        {"product": "application", "body": application_body(advance_payment__amount=-1)},
    )
    assert resp.status_code == 400
    assert "body.advance_payment.amount" in [e["field"] for e in body(resp)["errors"]]


def test_unpaid_is_409_on_fees_then_paid_issues(client, tokens):
    app = submit(client, tokens)
    resp = issue(client, tokens, app["id"])
    assert resp.status_code == 409
    assert [e["field"] for e in body(resp)["errors"]] == ["fees"]
    assert applications.get(app["id"]).status == "submitted" and tables.rows("guarantees") == []

    path = f"/api/staff/applications/{app['id']}/payment"
    today = clock.today()
    wrong = post(client, tokens["staff"], path, {"amount": 74_999, "paid_on": today.isoformat()})
    assert wrong.status_code == 400 and [e["field"] for e in body(wrong)["errors"]] == ["amount"]
    future = post(
        client, tokens["staff"], path, {"amount": 75_000, "paid_on": (today + dt.timedelta(days=1)).isoformat()}
    )
    assert future.status_code == 400 and [e["field"] for e in body(future)["errors"]] == ["paid_on"]
    bad_day = post(client, tokens["staff"], path, {"amount": 75_000, "paid_on": "2026-02-30"})
    assert bad_day.status_code == 400 and [e["field"] for e in body(bad_day)["errors"]] == ["paid_on"]
    # Issue 26: 0001-01-01 and 0206-12-01 were recorded; at most 30 days before the submission now.
    for long_ago in ("0001-01-01", "0206-12-01", (today - dt.timedelta(days=31)).isoformat()):
        old = post(client, tokens["staff"], path, {"amount": 75_000, "paid_on": long_ago})
        assert old.status_code == 400 and [e["field"] for e in body(old)["errors"]] == ["paid_on"], long_ago
    assert all(row.paid_on is None for row in tables.rows("fees"))  # nothing recorded
    assert post(client, tokens["contractor"], path, {"amount": 75_000, "paid_on": today.isoformat()}).status_code == 403

    a_month_back = (today - dt.timedelta(days=30)).isoformat()  # the submission was today
    paid = post(client, tokens["staff"], path, {"amount": 75_000, "paid_on": a_month_back})
    assert paid.status_code == 200, paid.body
    assert body(paid)["fees"]["paid_on"] == a_month_back and body(paid)["fees"]["waived"] is None
    assert post(client, tokens["staff"], path, {"amount": 75_000, "paid_on": today.isoformat()}).status_code == 409
    again = post(client, tokens["staff"], f"/api/staff/applications/{app['id']}/fee-waiver", {"reason": "後から免除"})
    assert again.status_code == 409
    read = body(client.http.get(f"/api/applications/{app['id']}", headers=bearer(tokens["contractor"])))
    assert read["fees"]["paid_on"] == a_month_back

    done = issue(client, tokens, app["id"])
    assert done.status_code == 201, done.body
    assert len(body(done)["guarantees"]) == 2


def test_a_waiver_needs_a_reason_and_then_issues(client, tokens):
    app = submit(client, tokens, contract_guarantee=None)
    path = f"/api/staff/applications/{app['id']}/fee-waiver"
    for reason in ("", "   ", "あ" * 201):
        resp = post(client, tokens["staff"], path, {"reason": reason})
        assert resp.status_code == 400 and [e["field"] for e in body(resp)["errors"]] == ["reason"]
    assert issue(client, tokens, app["id"]).status_code == 409
    waived = post(client, tokens["staff"], path, {"reason": "災害復旧工事のため免除"})
    assert waived.status_code == 200, waived.body
    w = body(waived)["fees"]["waived"]
    assert w["reason"] == "災害復旧工事のため免除" and w["by"] == "ibaraki-staff" and w["at"]
    assert body(waived)["fees"]["paid_on"] is None
    paid = post(
        client,
        tokens["staff"],
        f"/api/staff/applications/{app['id']}/payment",
        {"amount": 55_000, "paid_on": clock.today().isoformat()},
    )
    assert paid.status_code == 409
    assert issue(client, tokens, app["id"]).status_code == 201


def test_a_missing_application_is_404(client, tokens):
    resp = post(client, tokens["staff"], "/api/staff/applications/nope/payment", {"amount": 1, "paid_on": "2026-01-01"})
    assert resp.status_code == 404


def test_fee_statement_pdf_reads_back_and_renders(client, tokens, tmp_path):
    import io
    import shutil
    import subprocess
    import urllib.request

    from pypdf import PdfReader

    app = submit(client, tokens)
    post(
        client,
        tokens["staff"],
        f"/api/staff/applications/{app['id']}/payment",
        {"amount": 75_000, "paid_on": clock.today().isoformat()},
    )
    assert (
        client.http.get(f"/api/applications/{app['id']}/fee-statement.pdf", headers=bearer(tokens["other"])).status_code
        == 404
    )
    resp = client.http.get(f"/api/applications/{app['id']}/fee-statement.pdf", headers=bearer(tokens["contractor"]))
    assert resp.status_code == 302
    data = urllib.request.urlopen(resp.headers["Location"], timeout=10).read()  # noqa: S310 - the loopback moto server
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    for expected in (
        "保証料計算書",
        "〇〇建設 株式会社",
        "5市単(笠建)第〇-〇号道路改良工事",
        "前払金保証料",
        "契約保証料",
        "前払金保証金額 20,000,000円",
        "0.300%",
        "0.250%",
        "0.400%",
        "55,000円",
        "20,000円",
        "75,000円",
        "振込先",
        "〇〇銀行",
        "入金確認済み",
        "例示",
    ):
        assert expected in text, expected
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: `bin/setup --system` installs it")
    from PIL import Image

    src = tmp_path / "statement.pdf"
    src.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(src), str(tmp_path / "statement")], check=True
    )
    img = Image.open(next(tmp_path.glob("statement*.png"))).convert("L")
    assert img.size[0] > 300 and sum(img.histogram()[:128]) > 0.01 * img.size[0] * img.size[1]


def _audit(client, token, **query):
    from urllib.parse import urlencode

    resp = client.http.get(f"/api/staff/audit?{urlencode(query)}", headers=bearer(token))
    assert resp.status_code == 200, resp.body
    return body(resp)["items"]


def test_waived_is_201_with_an_audit_record(client, tokens):
    app = submit(client, tokens, contract_guarantee=None)
    waived = post(client, tokens["staff"], f"/api/staff/applications/{app['id']}/fee-waiver", {"reason": "災害復旧"})
    assert waived.status_code == 200, waived.body
    assert issue(client, tokens, app["id"]).status_code == 201
    rows = [r for r in _audit(client, tokens["staff"], actor="ibaraki-staff") if r["action"] == "fee_waiver"]
    assert len(rows) == 1
    assert rows[0]["target"] == f"application:{app['id']}" and rows[0]["reason"] == "災害復旧"


def test_a_payment_is_audited_and_reads_only_the_application_and_its_fee(client, tokens):
    app = submit(client, tokens)
    path = f"/api/staff/applications/{app['id']}/payment"
    with dynamodb_calls.recorded() as calls:
        paid = post(
            client, tokens["staff"], path, {"amount": app["fees"]["total"], "paid_on": clock.today().isoformat()}
        )
    assert paid.status_code == 200, paid.body
    # The session, the application, its fee, the write, its read-back: no staff view (its fee and bounce batches).
    assert calls == ["GetItem", "GetItem", "GetItem", "TransactWriteItems", "GetItem"]
    rows = [r for r in _audit(client, tokens["staff"], actor="ibaraki-staff") if r["action"] == "fee_payment"]
    assert [r["target"] for r in rows] == [f"application:{app['id']}"]


def test_the_waiver_and_its_audit_record_commit_together(client, tokens, monkeypatch):
    """The audit record is in the waiver's transaction: when its write is refused, no waiver is kept."""
    from chalicelib.domain.audit import AuditEntry
    from chalicelib.services import fee_payments as fee_service
    from chalicelib.store import audit as audit_store

    fixed = AuditEntry(
        actor="ibaraki-staff", action="fee_waiver", target="application:x", scope="ibaraki", record_id="fixed"
    )
    for item in audit_store.items(fixed):  # the record's items exist already: its conditional puts must fail
        item.save()
    monkeypatch.setattr(fee_service, "_audit", lambda *a, **k: fixed)
    app = submit(client, tokens, contract_guarantee=None)
    resp = post(client, tokens["staff"], f"/api/staff/applications/{app['id']}/fee-waiver", {"reason": "免除"})
    assert resp.status_code == 409
    read = body(client.http.get(f"/api/applications/{app['id']}", headers=bearer(tokens["contractor"])))
    assert read["fees"]["waived"] is None and read["fees"]["paid_on"] is None
    assert issue(client, tokens, app["id"]).status_code == 409


def test_a_fee_statement_is_rendered_once_per_fee_state_and_reused(client, tokens):
    """Issue 26: 20 downloads stored 20 objects. One per application and fee state now."""
    from chalicelib import settings
    from chalicelib.store import objects

    def stored() -> int:
        listed = objects.client().list_objects_v2(Bucket=settings.current().bucket, Prefix="fee-statements/")
        return listed.get("KeyCount", 0)

    app = submit(client, tokens)
    path = f"/api/applications/{app['id']}/fee-statement.pdf"
    unpaid = {client.http.get(path, headers=bearer(tokens["contractor"])).status_code for _ in range(3)}
    assert unpaid == {302} and stored() == 1
    post(
        client,
        tokens["staff"],
        f"/api/staff/applications/{app['id']}/payment",
        {"amount": 75_000, "paid_on": clock.today().isoformat()},
    )
    for _ in range(3):
        assert client.http.get(path, headers=bearer(tokens["contractor"])).status_code == 302
    assert stored() == 2  # unpaid, then paid: the paid one shows the payment
