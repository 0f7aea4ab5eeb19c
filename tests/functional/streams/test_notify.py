"""Issue 5: the completion mail from the certificates stream, exactly once per version.

Events are built in Lambda's shape from the items as the table holds them (tests/streams.py)
and handed to the very function Lambda calls, through `client.lambda_.invoke`.
Sent mail is read back from the local outbox (`GET /api/dev/outbox`) or, for
the MIME details, from moto's own record of the raw message.
"""

from __future__ import annotations

import email
import email.policy
import json
import time
from dataclasses import replace

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.render import mail as mail_render
from chalicelib.services import notify, outbox
from chalicelib.store import claims, guarantees, mailer
from tests import tables
from tests.factories import add_version, make_guarantee
from tests.functional.conftest import body
from tests.streams import deliver, event, failed, mails, raw_messages, record

KEY = "Z28YUE4J3Bux"
NUMBER = "30026-000001M"
NEW_SUBJECT = "電子保証（認証キー）発行完了のお知らせ"


# --- one mail per version, with what the contractor needs --------------------------------


def test_new_version_sends_the_completion_mail(client):
    g = make_guarantee(NUMBER, auth_key=KEY)
    v1 = guarantees.version(NUMBER, 1)
    assert deliver(client, event(record(v1, 1))) == {"batchItemFailures": []}

    [m] = mails(client)
    assert m["to"] == ["soumu@example.co.jp"]
    assert m["subject"] == NEW_SUBJECT
    text = m["body"]
    for needle in (
        "〇〇建設 株式会社",
        "5市単(笠建)第〇-〇号道路改良工事",
        "笠間市長",
        NUMBER,
        "前払金保証",
        "20,000,000円",
        f"http://127.0.0.1:8000/netdesk/guarantees/{NUMBER}",
        "認証キーを取得してください",
    ):
        assert needle in text, needle
    assert g.auth_key not in text
    row = claims.NOTIFICATIONS.read(f"{NUMBER}#1")
    assert row.status == "sent" and row.data["message_id"]


def test_every_version_gets_its_own_mail_saying_what_changed(client):
    g = make_guarantee(NUMBER, auth_key=KEY)
    v2 = add_version(g, 2, "correction", reason="工事名の誤記を訂正")
    g = replace(g, details={**g.details, "guarantee_amount": 25000000})
    v3 = add_version(g, 3, "change", reason="増額")
    v4 = add_version(g, 4, "cancellation", reason="契約解除")
    v1 = guarantees.version(NUMBER, 1)
    evt = event(*(record(v, i) for i, v in enumerate((v1, v2, v3, v4), start=1)))

    assert deliver(client, evt) == {"batchItemFailures": []}
    sent = mails(client)
    assert [m["subject"] for m in sent] == [
        NEW_SUBJECT,
        "電子保証（訂正）発行完了のお知らせ",
        "電子保証（変更）発行完了のお知らせ",
        "電子保証（取消）手続き完了のお知らせ",
    ]
    correction, change, cancellation = (m["body"] for m in sent[1:])
    assert "訂正" in correction and "工事名の誤記を訂正" in correction
    assert "保証金額: 20,000,000円 → 25,000,000円" in change and "増額" in change
    assert "取消" in cancellation and "契約解除" in cancellation
    for text in (correction, change, cancellation):
        assert f"/netdesk/guarantees/{NUMBER}" in text
    assert {r["status"] for r in tables.rows("notifications")} == {"sent"}


def test_same_record_delivered_three_times_sends_one_mail(client):
    make_guarantee(NUMBER, auth_key=KEY)
    v1 = guarantees.version(NUMBER, 1)
    # Three separate redeliveries, then the record three times in one batch.
    for _ in range(3):
        assert deliver(client, event(record(v1, 1))) == {"batchItemFailures": []}
    assert deliver(client, event(record(v1, 1), record(v1, 2), record(v1, 3))) == {"batchItemFailures": []}
    assert len(mails(client)) == 1


def test_ses_failure_is_reported_and_the_retry_sends_exactly_one(client, monkeypatch):
    make_guarantee(NUMBER, auth_key=KEY, email="first@example.co.jp")
    make_guarantee("30026-000002M", auth_key="AbCdEfGh2345", email="second@example.co.jp")
    evt = event(record(guarantees.version(NUMBER, 1), 1), record(guarantees.version("30026-000002M", 1), 2))

    real_send = mailer.send
    calls = {"n": 0}

    def flaky(mail: mailer.Mail) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendRawEmail"
            )
        return real_send(mail)

    monkeypatch.setattr(mailer, "send", flaky)

    # The first record fails and is reported; the second is not held back by it.
    assert deliver(client, evt) == {"batchItemFailures": [failed(1)]}
    assert [m["to"] for m in mails(client)] == [["second@example.co.jp"]]
    assert claims.NOTIFICATIONS.read(f"{NUMBER}#1").status == "claimed"

    # Lambda retries from the failed record: one mail for it, none again for the other.
    assert deliver(client, evt) == {"batchItemFailures": []}
    assert deliver(client, evt) == {"batchItemFailures": []}
    assert sorted(m["to"][0] for m in mails(client)) == ["first@example.co.jp", "second@example.co.jp"]
    assert calls["n"] == 3


def test_live_lease_is_not_sent_but_offered_again_until_it_runs_out(client, monkeypatch):
    make_guarantee(NUMBER, auth_key=KEY)
    v1 = guarantees.version(NUMBER, 1)
    now = time.time()
    # Another attempt claimed the version and died before sending.
    assert claims.NOTIFICATIONS.claim(f"{NUMBER}#1", 60, now)

    assert deliver(client, event(record(v1, 7))) == {"batchItemFailures": [failed(7)]}
    assert mails(client) == []

    monkeypatch.setattr(notify, "_now", lambda: now + notify.LEASE_SECONDS + 61)
    assert deliver(client, event(record(v1, 7))) == {"batchItemFailures": []}
    assert len(mails(client)) == 1
    assert deliver(client, event(record(v1, 7))) == {"batchItemFailures": []}
    assert len(mails(client)) == 1


@pytest.mark.parametrize(("notify_flag", "address"), [(False, "soumu@example.co.jp"), (False, None), (True, None)])
def test_no_mail_unless_asked_for_with_an_address(client, notify_flag, address):
    make_guarantee(NUMBER, auth_key=KEY, notify=notify_flag, email=address)
    assert deliver(client, event(record(guarantees.version(NUMBER, 1), 1))) == {"batchItemFailures": []}
    assert mails(client) == []
    assert tables.rows("notifications") == []


def test_modify_and_remove_records_send_nothing(client):
    make_guarantee(NUMBER, auth_key=KEY)
    v1 = guarantees.version(NUMBER, 1)
    evt = event(record(v1, 1, "MODIFY"), record(v1, 2, "REMOVE"))
    assert deliver(client, evt) == {"batchItemFailures": []}
    assert mails(client) == []


def test_unusable_records_are_acknowledged_not_retried_forever(client):
    # A version whose guarantee does not exist, and an image that is not a version.
    orphan = {
        "number": {"S": "30026-999999M"},
        "version": {"N": "1"},
        "kind": {"S": "new"},
        "content": {"S": '{"number": "30026-999999M"}'},
        "sha256": {"S": "x"},
        "issued_at": {"S": "2026-01-01"},
    }
    keys_only = record(orphan, 2)
    keys_only["dynamodb"]["NewImage"] = dict(keys_only["dynamodb"]["Keys"])
    assert deliver(client, event(record(orphan, 1), keys_only)) == {"batchItemFailures": []}
    assert mails(client) == []


# --- the key never travels by mail; the HTML is escaped -----------------------------------


def test_no_mail_of_any_kind_contains_the_key(client):
    electronic = make_guarantee(NUMBER, auth_key=KEY)
    paper = make_guarantee("30026-000003K", kind="contract_guarantee", form="paper", email="paper@example.co.jp")
    records = []
    seq = 0
    for g in (electronic, paper):
        versions = [guarantees.version(g.number, 1)]
        for n, kind in ((2, "correction"), (3, "change"), (4, "cancellation")):
            versions.append(add_version(g, n, kind, reason=f"理由{n}"))
        for v in versions:
            seq += 1
            records.append(record(v, seq))
    assert deliver(client, event(*records)) == {"batchItemFailures": []}

    sent = outbox.sent_mail()
    assert len(sent) == 8
    subjects = {m["subject"] for m in sent}
    assert subjects == set(mail_render.SUBJECTS.values())
    for m in sent:
        for part in (m["subject"], m["body"], m["html"]):
            assert part and KEY not in part
    paper_new = next(m for m in sent if m["subject"] == "保証証書発行完了のお知らせ")
    assert paper_new["to"] == ["paper@example.co.jp"]
    assert "認証キー" not in paper_new["body"] + paper_new["html"]
    assert "受取方法でお届けします" in paper_new["body"]


def test_every_template_renders_without_the_key_even_if_handed_the_guarantee(client):
    """Direct render of every (form, kind) pair, with the guarantee's whole details in the content."""
    g = make_guarantee(NUMBER, auth_key=KEY)
    content = {**guarantees.version(NUMBER, 1).content, **g.details}
    for form, kind in mail_render.SUBJECTS:
        out = mail_render.compose(
            content, version_kind=kind, form=form, guarantee_url="https://x/netdesk/guarantees/n", previous=content
        )
        assert out.text.strip() and out.html.strip()
        for part in (out.subject, out.text, out.html):
            assert KEY not in part


def test_html_part_escapes_a_project_name_with_markup(client):
    make_guarantee(NUMBER, auth_key=KEY, project_name='<script>alert("x")</script>道路工事')
    assert deliver(client, event(record(guarantees.version(NUMBER, 1), 1))) == {"batchItemFailures": []}
    [m] = outbox.sent_mail()
    assert "<script>" not in m["html"]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;道路工事" in m["html"]
    assert '<script>alert("x")</script>道路工事' in m["body"]  # the text part is text, not HTML


# --- the message itself and stage configuration ---------------------------------------------


def test_message_is_multipart_alternative_utf8_base64(client):
    make_guarantee(NUMBER, auth_key=KEY)
    deliver(client, event(record(guarantees.version(NUMBER, 1), 1)))
    [raw] = raw_messages()
    assert raw["source"] == "no-reply@e-surety.example.jp"
    text = raw["raw_data"]
    subject_line = next(line for line in text.splitlines() if line.startswith("Subject:"))
    assert "=?utf-8?b?" in subject_line.lower()
    msg = email.message_from_string(text, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for p in parts:
        assert p.get_content_charset() == "utf-8"
        assert p["Content-Transfer-Encoding"] == "base64"
    assert str(msg["Subject"]) == NEW_SUBJECT
    assert msg["From"] == "no-reply@e-surety.example.jp"


def test_sender_and_net_desk_url_come_from_stage_configuration(monkeypatch):
    monkeypatch.setenv("SES_SENDER", "notices@stage-x.example.jp")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://stage-x.example.jp")
    boto3.client("ses", region_name="ap-northeast-1").verify_email_identity(EmailAddress="notices@stage-x.example.jp")
    make_guarantee(NUMBER, auth_key=KEY)
    image = tables.image("certificates", number=NUMBER, version=1)
    assert notify.on_certificate_inserted(image) == "sent"
    [raw] = raw_messages()
    assert raw["source"] == "notices@stage-x.example.jp"
    [m] = outbox.sent_mail()
    assert f"https://stage-x.example.jp/netdesk/guarantees/{NUMBER}" in m["body"]


def test_a_new_version_through_the_stream_moves_the_orderers_inbox(client, tokens):
    """The trigger also moves a verified guarantee up kasama's inbox when it changes."""
    from tests.functional.conftest import bearer

    older = make_guarantee("30026-000411M", auth_key="Z28YUE4J3Bux", issued_at="2026-10-01T10:00:00+09:00")
    make_guarantee("30026-000412M", auth_key="Z28YUE4J3Bux", issued_at="2026-10-02T10:00:00+09:00")
    for n in ("30026-000411M", "30026-000412M"):
        resp = client.http.post(
            "/api/verify",
            headers=bearer(tokens["kasama"], **{"Content-Type": "application/json"}),
            body=json.dumps({"number": n, "auth_key": "Z28YUE4J3Bux"}),
        )
        assert resp.status_code == 200

    def inbox() -> list[str]:
        resp = client.http.get("/api/orderer/guarantees", headers=bearer(tokens["kasama"]))
        return [i["number"] for i in body(resp)["items"]]

    assert inbox() == ["30026-000412M", "30026-000411M"]
    cert = add_version(older, 2, "change", issued_at="2026-11-01T10:00:00+09:00", reason="増額")
    assert deliver(client, event(record(cert, 7)))["batchItemFailures"] == []
    assert inbox() == ["30026-000411M", "30026-000412M"]
