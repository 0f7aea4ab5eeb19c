"""Issue 7: D-Sure verification — single, lockout, access log, bulk, inbox, roles."""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.domain.errors import DomainError, TooManyAttempts
from chalicelib.services import auth
from chalicelib.services import verify as verify_service
from chalicelib.store import guarantees, objects
from tests import tables
from tests.factories import add_version, make_guarantee
from tests.functional.conftest import DEMO, bearer, body

KEY = "Z28YUE4J3Bux"
NUMBER = "30026-000101M"
JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}


def _pdf(number: str) -> str:
    key = objects.new_key(f"certificates/{number}")
    objects.put_pending(key, b"%PDF-1.4 test certificate\n%%EOF")
    objects.release(key)
    return key


@pytest.fixture
def guarantee():
    return make_guarantee(NUMBER, auth_key=KEY, pdf_key=_pdf(NUMBER))


def post_verify(client, token, number, key):
    return client.http.post(
        "/api/verify", headers=bearer(token, **JSON), body=json.dumps({"number": number, "auth_key": key})
    )


def post_bulk(client, token, data: bytes, ctype: str = "text/csv"):
    return client.http.post("/api/verify/bulk", headers=bearer(token, **{"Content-Type": ctype}), body=data)


@pytest.fixture
def clock(monkeypatch):
    """The lockout clock, moved by the test (time travel)."""
    state = {"now": time.time()}
    monkeypatch.setattr(verify_service, "_now", lambda: state["now"])
    return state


# --- single verification ------------------------------------------------------


def test_valid_guarantee_returns_latest_certificate_versions_sha_and_pdf(client, tokens, guarantee):
    resp = post_verify(client, tokens["kasama"], NUMBER, KEY)
    assert resp.status_code == 200, resp.body
    out = body(resp)
    assert out["status"] == "valid"
    assert out["certificate"]["number"] == NUMBER
    assert out["certificate"]["orderer_name"] == "笠間市長"
    assert [v["version"] for v in out["versions"]] == [1]
    assert out["versions"][0]["kind"] == "new"
    assert len(out["sha256"]) == 64 and out["sha256"] == out["versions"][0]["sha256"]
    query = parse_qs(urlparse(out["pdf_url"]).query)
    expires = int(query["Expires"][0]) if "Expires" in query else time.time() + int(query["X-Amz-Expires"][0])
    assert expires <= time.time() + 61
    with urllib.request.urlopen(out["pdf_url"], timeout=10) as pdf:  # noqa: S310 - loopback moto
        assert pdf.read().startswith(b"%PDF")


def test_full_width_number_typed_in_ime_is_normalised(client, tokens, guarantee):
    resp = post_verify(client, tokens["kasama"], "３００２６－０００１０１ｍ", KEY)
    assert resp.status_code == 200


def test_cancelled_guarantee_verifies_as_cancelled_with_latest_version(client, tokens, guarantee):
    add_version(guarantee, 2, "cancellation", reason="契約解除")
    tables.update("guarantees", {"number": NUMBER}, status="cancelled", latest_version=2)
    out = body(post_verify(client, tokens["kasama"], NUMBER, KEY))
    assert out["status"] == "cancelled"
    assert out["certificate"]["version"] == 2 and out["certificate"]["version_kind"] == "cancellation"
    assert [v["kind"] for v in out["versions"]] == ["new", "cancellation"]


def test_guarantee_past_its_deadline_is_expired(client, tokens):
    make_guarantee("30024-000102M", deadline="2024-03-31", auth_key=KEY)
    out = body(post_verify(client, tokens["kasama"], "30024-000102M", KEY))
    assert out["status"] == "expired"
    assert out["pdf_url"] is None  # no PDF stored for this one


def test_unknown_wrong_key_paper_and_other_orderer_are_identical_404s(client, tokens, guarantee):
    make_guarantee("30026-000103K", kind="contract_guarantee", form="paper")
    make_guarantee("30026-000104M", orderer_id="08201", orderer_name="水戸市長", auth_key=KEY)
    answers = [
        post_verify(client, tokens["kasama"], "30026-999999M", KEY),  # unknown number
        post_verify(client, tokens["kasama"], NUMBER, "WRONGKEY2345"),  # wrong key
        post_verify(client, tokens["kasama"], "30026-000103K", KEY),  # paper
        post_verify(client, tokens["kasama"], "30026-000104M", KEY),  # mito's guarantee, right key
        post_verify(client, tokens["kasama"], NUMBER, "ｚ２８ＹＵＥ４Ｊ３Ｂｕｘ"),  # non-ASCII-ish key: no 500
        post_verify(client, tokens["kasama"], NUMBER, "鍵" * 12),  # non-ASCII key: no 500
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.body for a in answers}) == 1
    assert "正しくない" in body(answers[0])["errors"][0]["message"]


def test_the_key_comparison_runs_for_unknown_numbers_too(client, tokens, guarantee, monkeypatch):
    calls = []
    real = verify_service.hmac.compare_digest
    monkeypatch.setattr(verify_service.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    post_verify(client, tokens["kasama"], "30026-999999M", KEY)
    post_verify(client, tokens["kasama"], NUMBER, "WRONGKEY2345")
    assert (verify_service._DUMMY_KEY, KEY.encode()) in calls  # unknown number: compared with the dummy
    assert (KEY.encode(), b"WRONGKEY2345") in calls  # wrong key: compared with the stored key


def test_blank_inputs_are_400_with_fields(client, tokens):
    resp = post_verify(client, tokens["kasama"], "  ", " ")
    assert resp.status_code == 400
    assert {e["field"] for e in body(resp)["errors"]} == {"number", "auth_key"}
    resp = client.http.post("/api/verify", headers=bearer(tokens["kasama"], **JSON), body=json.dumps({"number": "x"}))
    assert resp.status_code == 400


@pytest.mark.parametrize("who", ["contractor", "staff"])
def test_other_roles_get_403(client, tokens, guarantee, who):
    assert post_verify(client, tokens[who], NUMBER, KEY).status_code == 403
    assert post_bulk(client, tokens[who], f"{NUMBER},{KEY}\n".encode()).status_code == 403
    assert client.http.get("/api/orderer/guarantees", headers=bearer(tokens[who])).status_code == 403


def test_no_login_is_401(client, guarantee):
    resp = client.http.post("/api/verify", headers=JSON, body=json.dumps({"number": NUMBER, "auth_key": KEY}))
    assert resp.status_code == 401


# --- lockout ----------------------------------------------------------------------


def _service_status(principal, number: str, key: str) -> int:
    """What `POST /api/verify` would answer, from the service alone: 200, or the error's status."""
    try:
        verify_service.verify(principal, number, key)
    except (DomainError, TooManyAttempts) as exc:
        return exc.status
    return 200


def test_1000_wrong_keys_never_succeed_and_lock_from_the_6th(guarantee, clock):
    # Driven through the service (the HTTP layer adds nothing to counting): 1,000 requests through
    # the test client took ~2.5 min; the answer's HTTP shape is the next test's.
    kasama = auth.login(*DEMO["kasama"]).principal
    statuses = [_service_status(kasama, NUMBER, f"WRONG{i:07d}") for i in range(1000)]
    assert statuses[:5] == [404] * 5
    assert set(statuses[5:]) == {429}
    # the right key during the lock is refused too, with the seconds to wait
    with pytest.raises(TooManyAttempts) as locked:
        verify_service.verify(kasama, NUMBER, KEY)
    assert 0 < locked.value.retry_after <= 15 * 60
    # after 15 minutes the right key works again
    clock["now"] += 15 * 60 + 1
    assert _service_status(kasama, NUMBER, KEY) == 200


def test_a_locked_pair_answers_429_with_retry_after_in_seconds(client, tokens, guarantee, clock):
    statuses = [post_verify(client, tokens["kasama"], NUMBER, f"WRONG{i:07d}").status_code for i in range(6)]
    assert statuses == [404] * 5 + [429]
    # the right key during the lock is refused too, with Retry-After in seconds
    locked = post_verify(client, tokens["kasama"], NUMBER, KEY)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "一時的に確認できません" in body(locked)["errors"][0]["message"]
    # after 15 minutes the right key works again
    clock["now"] += 15 * 60 + 1
    assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 200


def test_pair_lock_leaves_other_numbers_usable(client, tokens, guarantee, clock):
    make_guarantee("30026-000105M", auth_key=KEY)
    for i in range(5):
        assert post_verify(client, tokens["kasama"], NUMBER, f"WRONG{i:07d}").status_code == 404
    assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 429
    assert post_verify(client, tokens["kasama"], "30026-000105M", KEY).status_code == 200


def test_other_orderers_failures_never_lock_the_rightful_orderer(client, tokens, guarantee, clock):
    for i in range(30):
        post_verify(client, tokens["mito"], NUMBER, KEY if i % 2 else f"WRONG{i:07d}")
    assert post_verify(client, tokens["mito"], NUMBER, KEY).status_code == 429
    assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 200


def test_twenty_failures_across_numbers_lock_the_user_everywhere(client, tokens, guarantee, clock):
    for i in range(20):  # unknown numbers count the same, 4 per number so no pair lock
        resp = post_verify(client, tokens["kasama"], f"30026-{900000 + i // 4:06d}M", "WRONGKEY2345")
        assert resp.status_code == 404
    resp = post_verify(client, tokens["kasama"], NUMBER, KEY)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert post_verify(client, tokens["mito"], "30026-000001M", KEY).status_code == 404  # mito unaffected
    clock["now"] += 15 * 60 + 1
    assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 200


def test_success_resets_the_pair_count(client, tokens, guarantee, clock):
    for _ in range(2):
        for i in range(4):
            assert post_verify(client, tokens["kasama"], NUMBER, f"WRONG{i:07d}").status_code == 404
        assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 200
    assert post_verify(client, tokens["kasama"], NUMBER, "WRONGKEY2345").status_code == 404
    assert tables.row("attempts", key=f"verify:kasama:{NUMBER}").failures == 1


def test_every_attempt_is_logged_without_the_key(client, tokens, guarantee, clock):
    for i in range(6):
        post_verify(client, tokens["kasama"], NUMBER, f"WRONG{i:07d}")
    clock["now"] += 15 * 60 + 1
    post_verify(client, tokens["kasama"], NUMBER, KEY)
    post_verify(client, tokens["mito"], "30026-999998M", KEY)
    rows = tables.rows("access_log", number=NUMBER)
    assert [r.result for r in rows] == ["not_found"] * 5 + ["locked", "valid"]
    assert {(r.orderer_id, r.login) for r in rows} == {("08216", "kasama")}
    assert [r.result for r in tables.rows("access_log", number="30026-999998M")] == ["not_found"]
    dumped = json.dumps([r for r in rows], default=str)
    assert KEY not in dumped and "WRONG" not in dumped


# --- bulk -------------------------------------------------------------------------


def _kinds_of_guarantees():
    make_guarantee("30026-000201M", auth_key=KEY)
    g = make_guarantee("30026-000202M", auth_key=KEY)
    add_version(g, 2, "cancellation")
    tables.update("guarantees", {"number": g.number}, status="cancelled", latest_version=2)
    make_guarantee("30024-000203M", auth_key=KEY, deadline="2024-03-31")


def test_bulk_gives_every_result_kind(client, tokens, clock):
    _kinds_of_guarantees()
    for i in range(5):  # lock the pair for 30026-000204M first
        post_verify(client, tokens["kasama"], "30026-000204M", f"WRONG{i:07d}")
    csv = (
        "number,auth_key\n"
        f"30026-000201M,{KEY}\n"
        f"30026-000202M,{KEY}\n"
        f"30024-000203M,{KEY}\n"
        f"30026-999999M,{KEY}\n"
        "broken-line-without-key\n"
        f"30026-000204M,{KEY}\n"
    )
    resp = post_bulk(client, tokens["kasama"], csv.encode())
    assert resp.status_code == 200, resp.body
    assert body(resp)["items"] == [
        {"line": 2, "number": "30026-000201M", "result": "valid"},
        {"line": 3, "number": "30026-000202M", "result": "cancelled"},
        {"line": 4, "number": "30024-000203M", "result": "expired"},
        {"line": 5, "number": "30026-999999M", "result": "not_found"},
        {"line": 6, "number": "broken-line-without-key", "result": "invalid"},
        {"line": 7, "number": "30026-000204M", "result": "locked"},
    ]
    assert [r.result for r in tables.rows("access_log", number="30026-999999M")] == ["not_found"]


@pytest.mark.parametrize(
    "data",
    [
        f"\ufeff30026-000201M,{KEY}\n".encode(),  # UTF-8 with BOM
        f"number,auth_key\r\n30026-000201M,{KEY}\r\n".encode("cp932"),  # CP932 + CRLF + header
        f"保証,x\r\n30026-000201M,{KEY}\r\n".encode("cp932"),  # CP932 with Japanese text
    ],
)
def test_bulk_accepts_bom_cp932_crlf_and_header(client, tokens, data):
    _kinds_of_guarantees()
    items = body(post_bulk(client, tokens["kasama"], data))["items"]
    assert items[-1] == {"line": items[-1]["line"], "number": "30026-000201M", "result": "valid"}


def test_bulk_rows_count_toward_the_lockout(client, tokens, guarantee):
    csv = "".join(f"{NUMBER},WRONG{i:07d}\n" for i in range(5)) + f"{NUMBER},{KEY}\n"
    results = [i["result"] for i in body(post_bulk(client, tokens["kasama"], csv.encode()))["items"]]
    assert results == ["not_found"] * 5 + ["locked"]
    assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 429


def test_bulk_over_200_lines_is_413_and_costs_nothing(client, tokens, guarantee):
    csv = "".join(f"30026-{i:06d}M,WRONGKEY2345\n" for i in range(201))
    resp = post_bulk(client, tokens["kasama"], csv.encode())
    assert resp.status_code == 413
    assert tables.rows("access_log", number="30026-000000M") == []


def test_bulk_wrong_content_type_is_415_in_our_shape(client, tokens):
    resp = post_bulk(client, tokens["kasama"], f"{NUMBER},{KEY}".encode(), "text/plain")
    assert resp.status_code == 415
    assert body(resp) == {"errors": [{"field": None, "code": "unsupported_media_type", "message": resp_message(resp)}]}


def resp_message(resp) -> str:
    return body(resp)["errors"][0]["message"]


def test_bulk_as_json_answers_per_item_position(client, tokens, guarantee):
    items = [
        {"number": NUMBER, "auth_key": KEY},
        {"number": NUMBER, "auth_key": "WRONGKEY2345"},
        {"number": "", "auth_key": ""},
    ]
    resp = post_bulk(client, tokens["kasama"], json.dumps({"items": items}).encode(), "application/json")
    assert resp.status_code == 200, resp.body
    assert [(i["line"], i["result"]) for i in body(resp)["items"]] == [(1, "valid"), (2, "not_found"), (3, "invalid")]


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"items": []}, 400, "items"),
        ({}, 400, "items"),
        ({"items": [{"number": "x", "auth_key": "y"}] * 201}, 413, "items"),
        ({"items": [{"number": "x"}], "extra": 1}, 400, "extra"),
    ],
)
def test_bulk_json_none_or_too_many_items(client, tokens, payload, status, field):
    resp = post_bulk(client, tokens["kasama"], json.dumps(payload).encode(), "application/json")
    assert resp.status_code == status, resp.body
    assert field in [e["field"] for e in body(resp)["errors"]]
    assert tables.rows("access_log", number="x") == []


def test_bulk_undecodable_bytes_are_400(client, tokens):
    assert post_bulk(client, tokens["kasama"], b"\x81\x7f,\xff\xfe\n").status_code == 400


# --- inbox --------------------------------------------------------------------------


def _inbox(client, token, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    resp = client.http.get("/api/orderer/guarantees" + (f"?{qs}" if qs else ""), headers=bearer(token))
    assert resp.status_code == 200, resp.body
    return body(resp)


def test_inbox_lists_verified_guarantees_newest_change_first(client, tokens):
    make_guarantee("30026-000301M", auth_key=KEY, issued_at="2026-10-01T10:00:00+09:00")
    make_guarantee("30026-000302M", auth_key=KEY, issued_at="2026-10-03T10:00:00+09:00")
    make_guarantee("30026-000303M", auth_key=KEY, issued_at="2026-10-02T10:00:00+09:00")
    make_guarantee("30026-000304M", auth_key=KEY)  # never verified
    for n in ("30026-000301M", "30026-000302M", "30026-000303M"):
        assert post_verify(client, tokens["kasama"], n, KEY).status_code == 200
    post_verify(client, tokens["kasama"], "30026-000304M", "WRONGKEY2345")  # a failure is not "verified"
    out = _inbox(client, tokens["kasama"])
    assert [i["number"] for i in out["items"]] == ["30026-000302M", "30026-000303M", "30026-000301M"]
    assert all(i["seen"] and i["latest_version_kind"] == "new" for i in out["items"])
    assert out["next_cursor"] is None
    first = _inbox(client, tokens["kasama"], limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = _inbox(client, tokens["kasama"], limit=2, cursor=first["next_cursor"])
    assert [i["number"] for i in second["items"]] == ["30026-000301M"]
    assert _inbox(client, tokens["mito"])["items"] == []


def test_a_new_version_shows_unseen_until_verified_again(client, tokens, guarantee):
    assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 200
    g = guarantees.get(NUMBER)
    add_version(g, 2, "change", reason="増額")
    tables.update("guarantees", {"number": NUMBER}, latest_version=2)
    [item] = _inbox(client, tokens["kasama"])["items"]
    assert (item["number"], item["latest_version"], item["latest_version_kind"], item["seen"]) == (
        NUMBER,
        2,
        "change",
        False,
    )
    assert post_verify(client, tokens["kasama"], NUMBER, KEY).status_code == 200
    [item] = _inbox(client, tokens["kasama"])["items"]
    assert item["seen"] is True


def test_stream_hook_moves_a_changed_guarantee_to_the_top(client, tokens):
    make_guarantee("30026-000311M", auth_key=KEY, issued_at="2026-10-01T10:00:00+09:00")
    make_guarantee("30026-000312M", auth_key=KEY, issued_at="2026-10-02T10:00:00+09:00")
    for n in ("30026-000311M", "30026-000312M"):
        post_verify(client, tokens["kasama"], n, KEY)
    verify_service.note_new_version("08216", "30026-000311M", "2026-10-05T10:00:00+09:00")
    verify_service.note_new_version("08201", "30026-000312M", "2026-10-06T10:00:00+09:00")  # no row: no-op
    assert [i["number"] for i in _inbox(client, tokens["kasama"])["items"]] == ["30026-000311M", "30026-000312M"]
    assert _inbox(client, tokens["mito"])["items"] == []


def test_inbox_bad_cursor_is_400(client, tokens):
    resp = client.http.get("/api/orderer/guarantees?cursor=forged", headers=bearer(tokens["kasama"]))
    assert resp.status_code == 400


def test_excel_cp932_csv_with_the_japanese_header_counts_only_data_lines(client, tokens):
    make_guarantee(NUMBER, auth_key=KEY)
    data = f"保証契約番号,認証キー\r\n{NUMBER},{KEY}\r\n\r\n30026-999999M,{KEY}\r\n".encode("cp932")
    resp = client.http.post(
        "/api/verify/bulk", headers=bearer(tokens["kasama"], **{"Content-Type": "text/csv"}), body=data
    )
    assert resp.status_code == 200
    assert [(i["line"], i["result"]) for i in body(resp)["items"]] == [(2, "valid"), (4, "not_found")]
    assert tables.rows("access_log", number="保証契約番号") == []
    assert tables.count("attempts", key="verify:kasama:保証契約番号") == 0


@pytest.mark.parametrize(
    "data", [b"", b"\r\n\r\n", "保証契約番号,認証キー\r\n".encode("cp932"), b"\xef\xbb\xbfnumber,auth_key\n"]
)
def test_no_data_line_is_a_400_in_japanese(client, tokens, data):
    resp = client.http.post(
        "/api/verify/bulk", headers=bearer(tokens["kasama"], **{"Content-Type": "text/csv"}), body=data
    )
    assert resp.status_code == 400
    assert "確認する行がありません" in body(resp)["errors"][0]["message"]
