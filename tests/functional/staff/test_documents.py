"""Issue 15, item 2 and the fault matrix of item 7: no PDF of a committed write is ever lost.

Faults are injected at each step of issue, version and key reissue — an S3
error on upload, a DynamoDB timeout AFTER the commit (the reply lost), a
refused transaction, an untag that fails — and after each the invariant is
checked: every guarantee has its version rows and every object they name
exists and is released; nothing unreferenced is left once the reconciler ran.
"""

from __future__ import annotations

import contextlib
import itertools
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError

from chalicelib import settings
from chalicelib.services import reconcile
from chalicelib.store import applications, guarantees, objects, tx
from tests import dynamodb_calls, journeys, tables
from tests.functional.conftest import bearer, body
from tests.journeys import approve, issue, paid_reservation, post_version, reissue, submit_paid
from tests.pdfs import pdf_text

JSON = {"Content-Type": "application/json"}
_ids = itertools.count()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(tx, "backoff", lambda attempt: 0.0)


def after_commit_timeout(times: int = 1):
    """The transaction commits, then its reply is lost (the client sees a read timeout)."""
    return dynamodb_calls.fault(
        "TransactWriteItems", when="after", error=ReadTimeoutError(endpoint_url="lost-reply"), times=times
    )


@contextlib.contextmanager
def s3_failing(operation: str, times: int = 100):
    hits = []

    def fail(**_kwargs):
        if len(hits) < times:
            hits.append(1)
            raise ReadTimeoutError(endpoint_url=f"s3-{operation}")

    events = objects.client().meta.events
    uid = f"s3-{next(_ids)}"
    events.register(f"before-call.s3.{operation}", fail, unique_id=uid)
    try:
        yield hits
    finally:
        events.unregister(f"before-call.s3.{operation}", unique_id=uid)


def s3():
    return boto3.client("s3", region_name="ap-northeast-1")


def bucket() -> dict[str, str]:
    """Every object and its state tag ('pending' or '')."""
    out = {}
    for o in s3().list_objects_v2(Bucket=settings.current().bucket).get("Contents", []):
        tags = objects.tags(o["Key"])
        out[o["Key"]] = tags.get("state", "")
    return out


def assert_invariant(*, reconciled: bool = True) -> None:
    """Every guarantee: versions 1..latest, each named object present and released; with
    `reconciled`, no object pending or unreferenced."""
    if reconciled:
        reconcile.run(grace_seconds=0)
    objs = bucket()
    referenced = set()
    for g in tables.rows("guarantees"):
        versions = sorted(int(c.version) for c in guarantees.history(g.number))
        assert versions == list(range(1, int(g.latest_version) + 1)), (g.number, versions)
        for c in guarantees.history(g.number):
            for key in (c.pdf_key, c.key_notice_key):
                if key:
                    referenced.add(key)
                    assert key in objs, (g.number, c.version, key)
                    assert objs[key] != "pending", (g.number, key)
    if reconciled:
        assert set(objs) == referenced, set(objs) ^ referenced


# --- issue --------------------------------------------------------------------------


def test_a_lost_reply_after_the_issue_commit_keeps_the_pdfs_and_answers_201(client, tokens):
    app_id = submit_paid(client, tokens)
    with after_commit_timeout() as hits:
        resp = issue(client, tokens, app_id)
    assert hits and resp.status_code == 201, resp.body
    assert applications.get(app_id).status == "issued"
    assert_invariant(reconciled=False)  # released on the spot, no reconciler needed
    assert_invariant()


def test_an_s3_upload_error_issues_nothing_and_leaves_nothing(client, tokens):
    app_id = submit_paid(client, tokens)
    with s3_failing("PutObject", times=1):
        resp = issue(client, tokens, app_id)
    assert resp.status_code == 503
    assert applications.get(app_id).status == "submitted" and tables.count("guarantees") == 0
    assert_invariant()
    assert issue(client, tokens, app_id).status_code == 201  # the retry issues normally
    assert_invariant()


def test_a_failed_untag_is_left_pending_then_released_by_the_reconciler(client, tokens):
    app_id = submit_paid(client, tokens)
    with s3_failing("DeleteObjectTagging"):
        assert issue(client, tokens, app_id).status_code == 201
    assert "pending" in bucket().values()
    report = reconcile.run(grace_seconds=0)
    assert report.released == 4 and report.deleted == 0  # two certificates, two key notices
    assert_invariant()


def test_when_the_outcome_cannot_be_read_the_objects_wait_for_the_reconciler(client, tokens, monkeypatch):
    app_id = submit_paid(client, tokens)
    from chalicelib.store import guarantees as guarantees_store

    def unreadable(*_a, **_k):
        raise ReadTimeoutError(endpoint_url="still-down")

    monkeypatch.setattr(guarantees_store, "points_at", unreadable)
    with after_commit_timeout():
        resp = issue(client, tokens, app_id)
    assert resp.status_code == 503  # the client is told to retry; nothing was thrown away
    assert "pending" in bucket().values()
    monkeypatch.undo()
    assert issue(client, tokens, app_id).status_code == 409  # it had committed
    assert_invariant()


def test_an_orphan_pending_object_is_deleted_by_the_reconciler(client, tokens):
    objects.put_pending(
        "certificates/orphan.pdf", b"%PDF-1.4", owner={"number": "30026-999999M", "version": "1", "document": "pdf_key"}
    )
    assert reconcile.run(grace_seconds=0).deleted == 1
    assert "certificates/orphan.pdf" not in bucket()


def test_a_refused_issue_deletes_its_uploads(client, tokens):
    app_id = submit_paid(client, tokens)
    assert issue(client, tokens, app_id).status_code == 201
    before = set(bucket())
    assert issue(client, tokens, app_id).status_code == 409
    assert set(bucket()) == before
    assert_invariant(reconciled=False)


# --- versions and reissue ---------------------------------------------------------------


@pytest.fixture
def issued(client, tokens):
    """Guarantees issued from an application submitted and paid through the API (this module's
    invariant is about everything the API wrote)."""
    return journeys.issued(client, tokens, submit_paid(client, tokens))


def test_a_lost_reply_after_a_version_commit_is_a_201_with_its_pdfs(client, tokens, issued):
    number = issued[0]["number"]
    with after_commit_timeout() as hits:
        resp = post_version(
            client, tokens, number, {"kind": "change", "changes": {"guarantee_amount": 18000000}, "reason": "減額"}
        )
    assert hits and resp.status_code == 201, resp.body
    assert int(guarantees.get(number).latest_version) == 2
    assert_invariant()


def test_a_lost_reply_after_a_reissue_returns_the_key_that_works(client, tokens, issued):
    number = issued[0]["number"]
    asked = reissue(client, tokens, number, "紛失")
    assert asked.status_code == 202, asked.body
    with after_commit_timeout() as hits:  # the approval's transaction carries the new key
        resp = approve(client, tokens, body(asked)["approval_id"])
    assert hits and resp.status_code == 201, resp.body
    assert guarantees.get(number).auth_key == body(resp)["auth_key"]
    assert_invariant()


def test_parallel_reissues_never_hand_out_a_key_that_was_already_replaced(client, tokens, issued, monkeypatch):
    from chalicelib.domain.principal import Principal
    from chalicelib.services import approvals, versions

    number = issued[0]["number"]
    # Issue 14: a reissue is one 決裁 request; parallel approvals of it race (by ibaraki-chief).
    approval_id = body(reissue(client, tokens, number, "紛失"))["approval_id"]
    chief = Principal("ibaraki-chief", "staff", "ibaraki", "茨城支店", "sid")
    barrier_reads: list[str] = []
    real_get = versions.store.get

    def slow_get(n, consistent=False):
        g = real_get(n, consistent=consistent)
        barrier_reads.append(n)
        return g

    monkeypatch.setattr(versions.store, "get", slow_get)

    def one(_):
        try:
            return approvals.approve(chief, approval_id)["auth_key"]
        except Exception as exc:  # noqa: BLE001
            return exc

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(one, range(10)))
    keys = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if not isinstance(r, str)]
    assert keys and all(type(e).__name__ == "Conflict" for e in losers), losers
    assert len(keys) == 1  # exactly one approval carries the reissue out
    current = guarantees.get(number).auth_key
    assert current in keys
    assert_invariant()


def test_a_lost_pdf_is_re_rendered_from_the_stored_content(client, tokens, issued):
    number = issued[0]["number"]
    cert = guarantees.version(number, 1)
    s3().delete_object(Bucket=settings.current().bucket, Key=cert.pdf_key)
    s3().delete_object(Bucket=settings.current().bucket, Key=cert.key_notice_key)
    for path in ("certificate.pdf", "key-notice.pdf"):
        resp = client.http.get(f"/api/guarantees/{number}/{path}", headers=bearer(tokens["contractor"]))
        assert resp.status_code == 302
    assert objects.get(cert.pdf_key).startswith(b"%PDF") and objects.get(cert.key_notice_key).startswith(b"%PDF")
    assert_invariant()


# --- issue 17: a 契約保証予約's PDFs are kept, reconciled and re-rendered like a guarantee's -------------


def issue_reservation(client, tokens, reservation_id: str | None = None):
    reservation_id = reservation_id or paid_reservation(client, tokens)
    return client.http.post(f"/api/staff/reservations/{reservation_id}/issue", headers=bearer(tokens["staff"], **JSON))


def test_a_lost_reply_after_a_reservation_issue_keeps_its_pdfs_and_answers_201(client, tokens):
    reservation_id = paid_reservation(client, tokens)
    with after_commit_timeout() as hits:
        resp = issue_reservation(client, tokens, reservation_id)
    assert hits and resp.status_code == 201, resp.body
    assert guarantees.get(body(resp)["number"]).kind == "contract_reservation"
    assert_invariant(reconciled=False)  # released on the spot: the version row named them
    assert_invariant()


def test_a_reservation_s_failed_untag_is_released_by_the_reconciler(client, tokens):
    reservation_id = paid_reservation(client, tokens)
    with s3_failing("DeleteObjectTagging"):
        assert issue_reservation(client, tokens, reservation_id).status_code == 201
    assert "pending" in bucket().values()
    report = reconcile.run(grace_seconds=0)
    assert report.released == 2 and report.deleted == 0  # the 予約証書 and its key notice
    assert_invariant()


def test_a_lost_reservation_pdf_is_re_rendered_as_a_reservation_certificate(client, tokens):
    number = body(issue_reservation(client, tokens))["number"]
    cert = guarantees.version(number, 1)
    s3().delete_object(Bucket=settings.current().bucket, Key=cert.pdf_key)
    s3().delete_object(Bucket=settings.current().bucket, Key=cert.key_notice_key)
    for path in ("certificate.pdf", "key-notice.pdf"):
        resp = client.http.get(f"/api/guarantees/{number}/{path}", headers=bearer(tokens["contractor"]))
        assert resp.status_code == 302
    certificate, notice = pdf_text(objects.get(cert.pdf_key)), pdf_text(objects.get(cert.key_notice_key))
    assert "契約保証予約証書" in certificate and number in certificate  # its own renderer, not a guarantee's
    assert number in notice and guarantees.get(number).auth_key in notice
    assert_invariant()
