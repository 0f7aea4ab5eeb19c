"""Issue 3: POST/GET /api/applications and the three-step form, through the Chalice test client."""

from __future__ import annotations

import threading

import pytest

from chalicelib.services import idempotency
from chalicelib.store import applications
from tests import tables
from tests.factories import application_body, make_application
from tests.functional.conftest import bearer, body
from tests.journeys import post_application

JSON = {"Content-Type": "application/json"}


def test_submit_answers_201_with_the_normalised_form_and_stores_it(client, tokens):
    payload = application_body(bid__award_date="2026/10/30", advance_payment__deposit_bank="ｶｻﾏ銀行 ABC支店")
    resp = post_application(client, tokens["contractor"], payload)
    assert resp.status_code == 201, resp.body
    out = body(resp)
    assert out["status"] == "submitted" and out["id"] and out["submitted_at"].endswith("+09:00")
    assert out["bid"]["award_date"] == "2026-10-30"
    assert out["advance_payment"]["deposit_bank"] == "カサマ銀行\u3000ＡＢＣ支店"
    assert out["project"]["name"] == payload["project"]["name"]
    app = applications.get(out["id"])
    assert app.owner_org == "c-0001" and app.status == "submitted"
    assert app.form["bid"]["award_date"] == "2026-10-30"
    assert set(app.form) == {"project", "advance_payment", "contract_guarantee", "bid", "delivery"}
    got = body(client.http.get(f"/api/applications/{out['id']}", headers=bearer(tokens["contractor"])))
    assert got == out


ERROR_CASES = [
    ("advance over 4/10", {"advance_payment__amount": 20_000_001}, "advance_payment.amount"),
    (
        "design survey over 3/10",
        {"project__contract_type": "design_survey", "advance_payment__amount": 15_000_001},
        "advance_payment.amount",
    ),
    (
        "intermediate over 2/10",
        {"advance_payment__intermediate": True, "advance_payment__intermediate_amount": 10_000_001},
        "advance_payment.intermediate_amount",
    ),
    ("contract guarantee under 1/10", {"contract_guarantee__amount": 4_999_999}, "contract_guarantee.amount"),
    (
        "low bid under 3/10",
        {"contract_guarantee__low_bid": True, "contract_guarantee__amount": 14_999_999},
        "contract_guarantee.amount",
    ),
    ("period reversed", {"project__period_start": "2027-12-01"}, "project.period_end"),
    (
        "period end in the past",
        {"project__period_start": "2020-01-01", "project__period_end": "2021-01-01"},
        "project.period_end",
    ),
    ("receipt date in the past", {"delivery__receipt_date": "2021-01-01"}, "delivery.receipt_date"),
    ("counter without visit", {"delivery__receipt": "counter"}, "delivery.visit_at"),
    ("bad award date", {"bid__award_date": "2023.10.30"}, "bid.award_date"),
    ("half-width leftover bank", {"advance_payment__deposit_bank": "銀行₩"}, "advance_payment.deposit_bank"),
    ("bad email", {"delivery__email": "soumu@"}, "delivery.email"),
    ("notify without email", {"delivery__email": None}, "delivery.email"),
    ("bad postal code", {"delivery__mail_to__postal_code": "3091-792"}, "delivery.mail_to.postal_code"),
    ("no product", {"advance_payment": None, "contract_guarantee": None}, "advance_payment"),
    (
        "electronic for a paper-only orderer",
        {"project__orderer_id": "08999", "contract_guarantee": None},
        "advance_payment.form",
    ),
    ("unknown orderer", {"project__orderer_id": "99999"}, "project.orderer_id"),
    ("unknown branch", {"delivery__branch_id": "osaka"}, "delivery.branch_id"),
    ("undrawable character", {"project__name": "𠮷田道路改良工事"}, "project.name"),
    ("undrawable jv name", {"project__jv_name": "𠮷田JV"}, "project.jv_name"),
    ("empty name", {"project__name": "  "}, "project.name"),
    ("bad contract type", {"project__contract_type": "shipbuilding"}, "project.contract_type"),
    ("amount as text", {"project__contract_amount": "5千万"}, "project.contract_amount"),
    ("bad order type", {"bid__order_type": "auction"}, "bid.order_type"),
    ("disqualified above bidders", {"bid__disqualified": 6}, "bid.disqualified"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_every_error_is_400_naming_the_field_and_nothing_is_stored(client, tokens, case, overrides, field):
    before = tables.count("applications")
    resp = post_application(client, tokens["contractor"], application_body(**overrides))
    assert resp.status_code == 400, resp.body
    errors = body(resp)["errors"]
    assert field in [e["field"] for e in errors]
    assert all(e["message"] and not e["message"].isascii() for e in errors)  # Japanese messages
    assert tables.count("applications") == before


def test_all_errors_at_once(client, tokens):
    payload = application_body(advance_payment__amount=30_000_000, bid__award_date="x", delivery__email="bad")
    fields = {e["field"] for e in body(post_application(client, tokens["contractor"], payload))["errors"]}
    assert fields == {"advance_payment.amount", "bid.award_date", "delivery.email"}


def test_missing_sections_and_unknown_fields_are_400(client, tokens):
    before = tables.count("applications")
    payload = application_body()
    payload["project"]["colour"] = "red"
    payload["extra"] = 1
    del payload["bid"]
    resp = post_application(client, tokens["contractor"], payload)
    assert resp.status_code == 400
    fields = {e["field"] for e in body(resp)["errors"]}
    assert {"project.colour", "extra", "bid"} <= fields
    assert tables.count("applications") == before


@pytest.mark.parametrize(
    ("payload", "ctype", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'"text"', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"project=1", "text/plain", 415),
        (b"project=1", "application/x-www-form-urlencoded", 415),
        (b'{"project": "' + b"a" * 70000 + b'"}', "application/json", 413),
    ],
)
def test_malformed_requests_never_500(client, tokens, payload, ctype, status):
    before = tables.count("applications")
    resp = client.http.post(
        "/api/applications", headers=bearer(tokens["contractor"], **{"Content-Type": ctype}), body=payload
    )
    assert resp.status_code == status
    assert tables.count("applications") == before


def test_roles_and_auth(client, tokens):
    assert post_application(client, "nope", application_body()).status_code == 401
    assert post_application(client, tokens["kasama"], application_body()).status_code == 403
    assert post_application(client, tokens["staff"], application_body()).status_code == 403
    assert client.http.get("/api/applications").status_code == 401


def test_another_organisations_application_is_404_like_a_missing_one(client, tokens):
    mine = body(post_application(client, tokens["contractor"], application_body()))["id"]
    theirs = client.http.get(f"/api/applications/{mine}", headers=bearer(tokens["other"]))
    missing = client.http.get("/api/applications/doesnotexist", headers=bearer(tokens["other"]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.body == missing.body
    assert body(client.http.get("/api/applications", headers=bearer(tokens["other"])))["items"] == []


def test_list_is_newest_first_paginated_and_filtered(client, tokens):
    for i in range(3):
        make_application("c-0001", status="submitted", form=application_body(project__name=f"工事{i}"))
    make_application("c-0001", status="issued", form=application_body(project__name="発行済みの工事"))
    make_application("c-0002", form=application_body(project__name="他社の工事"))
    headers = bearer(tokens["contractor"])
    first = body(client.http.get("/api/applications?limit=2", headers=headers))
    assert [a["project"]["name"] for a in first["items"]] == ["発行済みの工事", "工事2"]
    second = body(client.http.get(f"/api/applications?limit=2&cursor={first['next_cursor']}", headers=headers))
    assert [a["project"]["name"] for a in second["items"]] == ["工事1", "工事0"]
    assert second["next_cursor"] is None
    submitted = body(client.http.get("/api/applications?status=submitted", headers=headers))["items"]
    assert len(submitted) == 3 and all(a["status"] == "submitted" for a in submitted)
    assert client.http.get("/api/applications?status=lost", headers=headers).status_code == 400
    assert client.http.get("/api/applications?cursor=forged.cursor", headers=headers).status_code == 400
    assert client.http.get("/api/applications?limit=1000", headers=headers).status_code == 400


# ---- Idempotency-Key


def test_same_key_same_body_creates_one_and_returns_the_first_answer(client, tokens):
    before = tables.count("applications")
    first = post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "k-1"})
    again = post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert body(first) == body(again)
    assert tables.count("applications") == before + 1


def test_same_key_different_body_is_409_and_creates_nothing(client, tokens):
    post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "k-2"})
    before = tables.count("applications")
    resp = post_application(
        client, tokens["contractor"], application_body(project__name="別の工事"), **{"Idempotency-Key": "k-2"}
    )
    assert resp.status_code == 409
    assert body(resp)["errors"][0]["field"] == "Idempotency-Key"
    assert tables.count("applications") == before


def test_keys_are_scoped_per_organisation(client, tokens):
    mine = body(post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "shared"}))
    theirs_body = application_body(delivery__email="info@example.com")  # △△工業's own address
    theirs = body(post_application(client, tokens["other"], theirs_body, **{"Idempotency-Key": "shared"}))
    assert mine["id"] != theirs["id"]


def test_a_rejected_request_does_not_burn_the_key(client, tokens):
    bad = post_application(
        client, tokens["contractor"], application_body(bid__award_date="x"), **{"Idempotency-Key": "k-3"}
    )
    assert bad.status_code == 400
    good = post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "k-3"})
    assert good.status_code == 201


def test_bad_key_is_400(client, tokens):
    resp = post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "x" * 300})
    assert resp.status_code == 400 and body(resp)["errors"][0]["field"] == "Idempotency-Key"


def test_concurrent_submissions_with_one_key_create_exactly_one(client, tokens):
    before = tables.count("applications")
    answers: list = []
    barrier = threading.Barrier(8)

    def send() -> None:
        barrier.wait()
        answers.append(
            post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "race"})
        )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in answers] == [201] * 8
    assert len({body(r)["id"] for r in answers}) == 1
    assert tables.count("applications") == before + 1


def test_a_stale_claim_is_taken_over_without_a_second_application(client, tokens, monkeypatch):
    """A process that died after claiming: after the lease, a retry finishes the job exactly once."""
    import time

    from chalicelib.domain.principal import Principal
    from chalicelib.services import applications

    first = body(post_application(client, tokens["contractor"], application_body(), **{"Idempotency-Key": "stale"}))
    record_key = idempotency.scoped("applications#c-0001", "stale")
    tables.update(  # the claim as a process that died after claiming left it
        "idempotency",
        {"key": record_key},
        status="in_progress",
        response=None,
        expires_at=int(time.time()) + idempotency.TTL_SECONDS - 60,
    )
    before = tables.count("applications")
    who = Principal("demo-contractor", "contractor", "c-0001", "〇〇建設 株式会社", "s")
    status, again = applications.submit(who, application_body(), "stale")
    assert status == 201 and again["id"] == first["id"]
    assert tables.count("applications") == before


# ---- issue 15: notices go only to the contractor's own registered addresses


@pytest.mark.parametrize(
    "address",
    ["someone@example.net", "info@example.com"],  # anyone's; another contractor's user's
    ids=["stranger", "other-contractor"],
)
def test_a_notice_address_outside_the_organisation_is_400_and_stores_nothing(client, tokens, address):
    before = tables.count("applications")
    resp = post_application(client, tokens["contractor"], application_body(delivery__email=address))
    assert resp.status_code == 400
    (error,) = [e for e in body(resp)["errors"] if e["field"] == "delivery.email"]
    assert "登録されたメールアドレス" in error["message"]
    assert tables.count("applications") == before


def test_any_active_user_of_the_organisation_may_receive_the_notice(client, tokens):
    from chalicelib.domain.records import Account
    from chalicelib.store import accounts

    accounts.put(
        Account("c1-keiri", "contractor", "c-0001", "〇〇建設 株式会社", email="Keiri@Example.co.jp", status="active")
    )
    accounts.put(
        Account("c1-gone", "contractor", "c-0001", "〇〇建設 株式会社", email="gone@example.co.jp", status="disabled")
    )
    ok = post_application(client, tokens["contractor"], application_body(delivery__email="keiri@example.co.jp"))
    assert ok.status_code == 201, ok.body
    assert body(ok)["delivery"]["email"] == "keiri@example.co.jp"
    gone = post_application(client, tokens["contractor"], application_body(delivery__email="gone@example.co.jp"))
    assert gone.status_code == 400
    assert [e["field"] for e in body(gone)["errors"]] == ["delivery.email"]
