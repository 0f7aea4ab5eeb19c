"""Issue 4: issuance, rejection, versions, key reissue, failure atomicity, staff pages."""

from __future__ import annotations

import json
import re
import threading

import boto3
import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import settings
from chalicelib.domain import auth_key
from chalicelib.domain.errors import Conflict
from chalicelib.services import issuance, versions
from chalicelib.store import applications, guarantees, objects
from tests import tables
from tests.factories import application_body, canonical_sha256, make_application, make_guarantee
from tests.forms import csrf_of
from tests.functional.conftest import bearer, body
from tests.journeys import STAFF, issue, post_version, requested_then_approved
from tests.pdfs import pdf_text

JSON = {"Content-Type": "application/json"}
NUMBER = re.compile(r"^\d{5}-\d{6}[MK]$")
REISSUE = json.dumps({"reason": "発注者からの依頼"})


def all_guarantees():
    return tables.rows("guarantees")


def all_certificates():
    return tables.rows("certificates")


def bucket_keys():
    s3 = boto3.client("s3", region_name="ap-northeast-1")
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=settings.current().bucket).get("Contents", []))


# ------------------------------------------------------------------ issue


def test_issue_writes_guarantees_versions_pdfs_and_status(client, tokens):
    app = make_application()
    resp = issue(client, tokens, app.application_id)
    assert resp.status_code == 201, resp.body
    out = body(resp)["guarantees"]
    assert [g["kind"] for g in out] == ["advance_payment", "contract_guarantee"]
    for g in out:
        assert NUMBER.match(g["number"]) and g["form"] == "electronic"
        assert len(g["auth_key"]) == 12
    assert out[0]["number"].endswith("M") and out[1]["number"].endswith("K")
    assert out[0]["number"].startswith("300")
    assert applications.get(app.application_id).status == "issued"
    for g in out:
        row = guarantees.get(g["number"])
        assert row.auth_key == g["auth_key"] and row.status == "valid" and row.latest_version == 1
        assert row.deadline == "2027-11-15" == row.details["period_end"]
        assert row.details["notify"] is True and row.details["email"] == "soumu@example.co.jp"
        assert row.details["contractor_name"] == "〇〇建設 株式会社" and row.details["orderer_name"] == "笠間市長"
        v1 = guarantees.version(g["number"], 1)
        assert v1.kind == "new" and v1.sha256 == canonical_sha256(v1.content)
        assert v1.content["version_kind"] == "new" and v1.content["number"] == g["number"]
        assert g["number"] not in v1.pdf_key and g["number"] not in v1.key_notice_key
        for key in (v1.pdf_key, v1.key_notice_key):
            assert objects.get(key).startswith(b"%PDF")
            assert objects.tags(key) == {}  # released after commit
    assert guarantees.get(out[1]["number"]).details["deposit_bank"] is None


def test_second_issue_is_409_and_creates_nothing(client, tokens):
    app = make_application()
    assert issue(client, tokens, app.application_id).status_code == 201
    before = (len(all_guarantees()), len(all_certificates()), bucket_keys())
    again = issue(client, tokens, app.application_id)
    assert again.status_code == 409
    assert body(again)["errors"][0]["message"]
    assert (len(all_guarantees()), len(all_certificates()), bucket_keys()) == before


def test_concurrent_issue_of_one_application_issues_once(client, tokens):
    app = make_application()
    results = []

    def run():
        try:
            results.append(issuance.issue(STAFF, app.application_id))
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=run) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(r != "conflict" for r in results) == 1
    assert len(all_guarantees()) == 2 and len(all_certificates()) == 2
    assert len(bucket_keys()) == 4  # the losers' uploads were discarded


def test_paper_guarantee_has_number_and_certificate_but_no_key(client, tokens):
    form = application_body(advance_payment__form="paper", contract_guarantee=None)
    app = make_application(form=form)
    out = body(issue(client, tokens, app.application_id))["guarantees"]
    assert len(out) == 1 and out[0]["form"] == "paper" and out[0]["auth_key"] is None
    row = guarantees.get(out[0]["number"])
    assert row.auth_key is None and row.form == "paper"
    v1 = guarantees.version(out[0]["number"], 1)
    assert v1.pdf_key and v1.key_notice_key is None
    assert objects.get(v1.pdf_key).startswith(b"%PDF")
    assert len(bucket_keys()) == 1


def test_issue_rechecks_rules_and_refuses_a_past_period_end(client, tokens):
    app = make_application(form=application_body(project__period_start="2020-01-01", project__period_end="2020-03-31"))
    resp = issue(client, tokens, app.application_id)
    assert resp.status_code == 400
    assert body(resp)["errors"][0]["field"] == "project.period_end"
    assert applications.get(app.application_id).status == "submitted"
    assert all_guarantees() == [] and bucket_keys() == []


def test_staff_only_and_other_branch_is_404(client, tokens):
    app = make_application()
    assert (
        client.http.post(
            f"/api/staff/applications/{app.application_id}/issue", headers=bearer(tokens["contractor"], **JSON), body=""
        ).status_code
        == 403
    )
    other = make_application(form=application_body(delivery__branch_id="tokyo"))
    missing = issue(client, tokens, "no-such-application")
    foreign = issue(client, tokens, other.application_id)
    assert missing.status_code == foreign.status_code == 404 and missing.body == foreign.body
    listed = body(client.http.get("/api/staff/applications", headers=bearer(tokens["staff"])))["items"]
    assert [a["id"] for a in listed] == [app.application_id]


def test_list_by_status_and_reject(client, tokens):
    a, b = make_application(), make_application()
    resp = client.http.post(
        f"/api/staff/applications/{a.application_id}/reject",
        headers=bearer(tokens["staff"], **JSON),
        body=json.dumps({"reason": "書類不備"}),
    )
    assert resp.status_code == 200 and body(resp)["status"] == "rejected"
    stored = applications.get(a.application_id)
    assert stored.status == "rejected" and stored.reject_reason == "書類不備"
    again = client.http.post(
        f"/api/staff/applications/{a.application_id}/reject",
        headers=bearer(tokens["staff"], **JSON),
        body=json.dumps({"reason": "x"}),
    )
    assert again.status_code == 409
    assert issue(client, tokens, a.application_id).status_code == 409
    bad = client.http.post(
        f"/api/staff/applications/{b.application_id}/reject",
        headers=bearer(tokens["staff"], **JSON),
        body=json.dumps({"reason": ""}),
    )
    assert bad.status_code == 400 and body(bad)["errors"][0]["field"] == "reason"
    sub = body(client.http.get("/api/staff/applications?status=submitted", headers=bearer(tokens["staff"])))
    rej = body(client.http.get("/api/staff/applications?status=rejected", headers=bearer(tokens["staff"])))
    assert [x["id"] for x in sub["items"]] == [b.application_id] and sub["next_cursor"] is None
    assert [x["id"] for x in rej["items"]] == [a.application_id]
    assert client.http.get("/api/staff/applications?status=bogus", headers=bearer(tokens["staff"])).status_code == 400


# ------------------------------------------------------------------ failures


def test_upload_failure_leaves_nothing_and_retry_issues(client, tokens, monkeypatch):
    app = make_application()
    real = objects.put_pending
    calls = []

    def flaky(key, data, content_type="application/pdf", owner=None):
        calls.append(key)
        if len(calls) == 3:
            raise RuntimeError("S3 is down")
        real(key, data, content_type, owner=owner)

    monkeypatch.setattr(objects, "put_pending", flaky)
    with pytest.raises(RuntimeError):
        issuance.issue(STAFF, app.application_id)
    assert all_guarantees() == [] and all_certificates() == []
    assert applications.get(app.application_id).status == "submitted"
    assert bucket_keys() == []  # the two uploaded before the failure were discarded
    monkeypatch.setattr(objects, "put_pending", real)
    resp = issue(client, tokens, app.application_id)
    assert resp.status_code == 201 and len(body(resp)["guarantees"]) == 2
    assert len(all_guarantees()) == 2 and len(bucket_keys()) == 4


def test_transaction_failure_leaves_nothing_and_retry_issues(client, tokens, monkeypatch):
    app = make_application()
    real = TransactWrite._commit

    def failing(self):
        raise TransactWriteError("DynamoDB unavailable")

    monkeypatch.setattr(TransactWrite, "_commit", failing)
    with pytest.raises(TransactWriteError):
        issuance.issue(STAFF, app.application_id)
    assert all_guarantees() == [] and all_certificates() == []
    assert applications.get(app.application_id).status == "submitted"
    assert bucket_keys() == []
    monkeypatch.setattr(TransactWrite, "_commit", real)
    out = body(issue(client, tokens, app.application_id))["guarantees"]
    assert len(out) == 2 and all(NUMBER.match(g["number"]) for g in out)
    assert applications.get(app.application_id).status == "issued"


# ------------------------------------------------------------------ versions


def test_change_within_limits_is_a_new_version_with_new_pdfs(client, tokens, issued):
    number = issued[0]["number"]
    v1 = guarantees.version(number, 1)
    resp = post_version(
        client,
        tokens,
        number,
        {"kind": "change", "changes": {"guarantee_amount": 18000000, "period_end": "2028-01-31"}, "reason": "減額"},
    )
    assert resp.status_code == 201, resp.body
    out = body(resp)
    assert out["version"] == 2 and out["kind"] == "change"
    v2 = guarantees.version(number, 2)
    assert v2.sha256 == out["sha256"] == canonical_sha256(v2.content)
    assert v2.content["guarantee_amount"] == 18000000 and v2.content["deadline"] == "2028-01-31"
    assert v2.content["version_kind"] == "change" and v2.content["reason"] == "減額"
    assert v2.pdf_key != v1.pdf_key and objects.get(v2.pdf_key).startswith(b"%PDF") and v2.key_notice_key
    g = guarantees.get(number)
    assert g.deadline == "2028-01-31" and g.latest_version == 2 and g.details["guarantee_amount"] == 18000000
    # the earlier version stays readable, unchanged
    assert guarantees.version(number, 1).content == v1.content and objects.get(v1.pdf_key).startswith(b"%PDF")


def test_change_breaking_rules_is_400_and_nothing_changes(client, tokens, issued):
    """One rule through the route: a lower 請負金額 leaves 前払金保証金額 over its 4/10 (the rule reads
    the application and the orderer). Each rule's cases: tests/unit/domain/test_limits.py (amounts,
    period), tests/unit/services/test_versions.py (what each kind may change) and
    tests/unit/handlers/test_staff.py (the body's schema, real dates)."""
    number = issued[0]["number"]
    keys_before = bucket_keys()
    resp = post_version(client, tokens, number, {"kind": "change", "changes": {"contract_amount": 40000000}})
    assert resp.status_code == 400, resp.body
    assert "changes.guarantee_amount" in [e["field"] for e in body(resp)["errors"]]
    assert guarantees.get(number).latest_version == 1
    assert len(guarantees.history(number)) == 1
    assert bucket_keys() == keys_before


def test_contract_guarantee_change_below_one_tenth_is_400(client, tokens, issued):
    resp = post_version(
        client, tokens, issued[1]["number"], {"kind": "change", "changes": {"guarantee_amount": 4999999}}
    )
    assert resp.status_code == 400 and "1/10" in body(resp)["errors"][0]["message"]


def test_correction_and_cancellation(client, tokens, issued):
    number = issued[0]["number"]
    r = post_version(
        client,
        tokens,
        number,
        {"kind": "correction", "changes": {"project_name": "5市単(笠建)第1-2号道路改良工事"}, "reason": "誤記"},
    )
    assert r.status_code == 201 and body(r)["version"] == 2
    assert guarantees.version(number, 2).content["project_name"] == "5市単(笠建)第1-2号道路改良工事"
    c = requested_then_approved(
        client, tokens, post_version(client, tokens, number, {"kind": "cancellation", "reason": "契約解除"})
    )
    assert c.status_code == 201 and body(c)["version"] == 3
    g = guarantees.get(number)
    assert g.status == "cancelled" and guarantees.version(number, 3).content["version_kind"] == "cancellation"
    after = post_version(client, tokens, number, {"kind": "change", "changes": {"guarantee_amount": 1000}})
    assert after.status_code == 409
    assert (
        client.http.post(
            f"/api/staff/guarantees/{number}/reissue-key", headers=bearer(tokens["staff"], **JSON), body=REISSUE
        ).status_code
        == 409
    )
    view = versions.guarantee_detail(STAFF, number)
    assert view["status"] == "cancelled" and [v["kind"] for v in view["versions"]] == ["new", "correction", "change"][
        :2
    ] + ["cancellation"]


def test_concurrent_versions_are_numbered_without_gaps_or_duplicates(client, tokens, issued):
    number = issued[0]["number"]
    results, errors = [], []

    def run(i):
        try:
            results.append(
                versions.record_version(STAFF, number, "change", {"guarantee_amount": 10000000 + i}, f"#{i}")["version"]
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sorted(results) == [2, 3, 4, 5, 6, 7]
    stored = [int(c.version) for c in guarantees.history(number)]
    assert stored == [1, 2, 3, 4, 5, 6, 7]
    g = guarantees.get(number)
    assert g.latest_version == 7
    assert g.details["guarantee_amount"] == guarantees.version(number, 7).content["guarantee_amount"]
    # every committed version references its own PDFs; the losers' uploads were discarded
    referenced = {k for c in tables.rows("certificates") for k in (c.pdf_key, c.key_notice_key) if k}
    assert set(bucket_keys()) == referenced


def test_reissue_key_invalidates_the_old_one(client, tokens, issued):
    number = issued[0]["number"]
    old = issued[0]["auth_key"]
    notice_before = guarantees.version(number, 1).key_notice_key
    asked = client.http.post(
        f"/api/staff/guarantees/{number}/reissue-key", headers=bearer(tokens["staff"], **JSON), body=REISSUE
    )
    assert auth_key.matches(old, guarantees.get(number).auth_key)  # nothing changes until 決裁
    resp = requested_then_approved(client, tokens, asked)
    assert resp.status_code == 201 and resp.headers.get("Cache-Control") == "no-store"
    new = body(resp)["auth_key"]
    assert new != old and len(new) == 12
    stored = guarantees.get(number).auth_key
    assert auth_key.matches(new, stored) and not auth_key.matches(old, stored)
    v1 = guarantees.version(number, 1)
    assert v1.key_notice_key != notice_before and v1.sha256 == canonical_sha256(v1.content)
    assert notice_before not in bucket_keys()
    paper = make_guarantee("30026-999999M", form="paper")
    assert (
        client.http.post(
            f"/api/staff/guarantees/{paper.number}/reissue-key", headers=bearer(tokens["staff"], **JSON), body=REISSUE
        ).status_code
        == 409
    )


def test_expired_guarantee_reads_expired(client, tokens):
    make_guarantee("30020-000001M", deadline="2021-03-31")
    g = guarantees.get("30020-000001M")
    assert versions.guarantee_detail(STAFF, g.number)["status"] == "expired"
    html = client.http.get("/staff/guarantees/30020-000001M", headers={"Cookie": f"esurety_session={tokens['staff']}"})
    assert html.status_code == 200 and "期限切れ" in html.body.decode()


# ------------------------------------------------------------------ pages


def confirm(client, headers, shown):
    """Post the confirmation page's form as shown (its hidden fields and one-time token)."""
    import urllib.parse

    html = shown.body.decode()
    action = re.search(r'<form method="post" action="([^"]+)" id="confirm">', html).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return client.http.post(action, headers=headers, body=urllib.parse.urlencode(fields))


def test_console_pages_issue_and_change_with_csrf(client, tokens):
    app = make_application()
    cookie = {"Cookie": f"esurety_session={tokens['staff']}"}
    form = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
    queue = client.http.get("/staff/applications", headers=cookie)
    assert queue.status_code == 200 and app.application_id in queue.body.decode()
    detail = client.http.get(f"/staff/applications/{app.application_id}", headers=cookie).body.decode()
    assert "発行" in detail and "差戻し" in detail
    assert client.http.post(f"/staff/applications/{app.application_id}/issue", headers=form, body="").status_code == 403
    assert applications.get(app.application_id).status == "submitted"
    shown = client.http.post(
        f"/staff/applications/{app.application_id}/issue", headers=form, body=f"csrf_token={csrf_of(detail)}"
    )
    assert shown.status_code == 200 and applications.get(app.application_id).status == "submitted"
    posted = confirm(client, form, shown)
    assert posted.status_code == 303  # Post/Redirect/Get: the result is a page a reload can show again
    done = client.http.get(posted.headers["Location"], headers=cookie)
    assert done.status_code == 200 and done.headers.get("Cache-Control") == "no-store"
    numbers = re.findall(r"\d{5}-\d{6}[MK]", done.body.decode())
    assert len(set(numbers)) == 2
    number = numbers[0]
    page = client.http.get(f"/staff/guarantees/{number}", headers=cookie)
    text = page.body.decode()
    assert page.headers.get("Cache-Control") == "no-store" and "新規" in text and "訂正" in text and "取消" in text
    bad = client.http.post(
        f"/staff/guarantees/{number}/versions",
        headers=form,
        body=f"csrf_token={csrf_of(text)}&kind=change&guarantee_amount=30000000&reason=x",
    )
    assert bad.status_code == 400 and "4/10" in bad.body.decode()
    shown = client.http.post(
        f"/staff/guarantees/{number}/versions",
        headers=form,
        body=f"csrf_token={csrf_of(text)}&kind=change&guarantee_amount=15000000&reason=x",
    )
    assert shown.status_code == 200 and guarantees.get(number).latest_version == 1  # the confirmation step
    ok = confirm(client, form, shown)
    assert ok.status_code == 303 and guarantees.get(number).latest_version == 2
    asked = confirm(
        client,
        form,
        client.http.post(
            f"/staff/guarantees/{number}/reissue-key", headers=form, body=f"csrf_token={csrf_of(text)}&reason=x"
        ),
    )
    assert asked.status_code == 303
    chief = {"Cookie": f"esurety_session={tokens['chief']}"}
    queue = client.http.get("/staff/approvals", headers=chief).body.decode()
    approval_id = re.search(r"/staff/approvals/([0-9a-f]+)/approve", queue).group(1)
    chief_form = {**chief, "Content-Type": "application/x-www-form-urlencoded"}
    shown = client.http.post(
        f"/staff/approvals/{approval_id}/approve", headers=chief_form, body=f"csrf_token={csrf_of(queue)}"
    )
    approved = confirm(client, chief_form, shown)
    key = client.http.get(approved.headers["Location"], headers=chief)
    assert key.status_code == 200 and guarantees.get(number).auth_key in key.body.decode()
    assert client.http.get("/staff/guarantees/30099-000001M", headers=cookie).status_code == 404


def test_staff_lists_say_sashimodoshi_too(client, tokens):
    app = make_application()
    issuance.reject(STAFF, app.application_id, "書類不備")
    html = client.http.get("/staff/applications?status=rejected", headers=bearer(tokens["staff"])).body.decode()
    assert "差戻し" in html


def test_issued_pdfs_in_s3_carry_the_stored_sha(client):
    app = make_application()
    out = issuance.issue(STAFF, app.application_id)
    v1 = guarantees.version(out[0]["number"], 1)
    assert v1.sha256 in pdf_text(objects.get(v1.pdf_key))
    notice = pdf_text(objects.get(v1.key_notice_key))
    assert v1.sha256 in notice and out[0]["auth_key"] in notice


def test_the_review_leaves_empty_optional_bid_fields_empty_and_reads_as_the_seed(client, tokens):
    empty = {f"bid__{k}": None for k in ("rounds", "bidders", "disqualified", "second_bidder", "second_amount_k")}
    app = make_application(form=application_body(**empty, bid__highest_bidder=None, bid__highest_amount_k=None))
    page = client.http.get(f"/staff/applications/{app.application_id}", headers=bearer(tokens["staff"])).body.decode()
    assert "None" not in page
    assert "二番札入札者" in page and "最高札入札者" in page and "次順位者" not in page
    assert "差戻し" in page and "却下" not in page
    assert "茨城支店 様" not in client.http.get("/staff", headers=bearer(tokens["staff"])).body.decode()
