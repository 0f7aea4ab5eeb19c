"""handlers/page.py: the session cookie; form bodies bounded and parsed without recursion (issue 26)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from chalicelib.handlers import page as page_module
from chalicelib.handlers.errors import ApiError
from tests.hostile import nested_multipart


def test_session_cookie_is_secure_outside_local(monkeypatch):
    from chalicelib.handlers.page import session_cookie

    monkeypatch.setenv("STAGE", "local")
    local = session_cookie("tok", 60)
    assert "HttpOnly" in local and "SameSite=Lax" in local and "Secure" not in local
    monkeypatch.setenv("STAGE", "prod")
    assert session_cookie("tok", 60).endswith("; Secure")


# --- form bodies (issue 26): bounded, one level deep, parsed without recursion ------------------


def _request(ctype: str, body: bytes) -> SimpleNamespace:
    return SimpleNamespace(raw_body=body, headers={"content-type": ctype})


def _form(boundary: str = "XyZ") -> tuple[str, bytes]:
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\nabc\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csv"\r\n\r\n番号,キー\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csv_file"; filename="k.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + "30026-000601M,KEY\r\n".encode("cp932")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def test_a_browser_multipart_form_is_parsed_into_fields_and_files():
    fields, files = page_module.parse_form(_request(*_form()))
    assert fields == {"csrf_token": ["abc"], "csv": ["番号,キー"]}
    assert files == {"csv_file": b"30026-000601M,KEY\r\n"}
    quoted = _form('"a b"')[1].replace(b'"a b"', b"a b")
    assert page_module.parse_form(_request('multipart/form-data; boundary="a b"', quoted))[0]["csrf_token"] == ["abc"]


def test_the_nested_body_is_refused_by_the_shape_check_at_once():
    ctype, body = nested_multipart()
    started = time.process_time()
    with pytest.raises(ApiError) as refused:
        page_module.check_body(_request(ctype, body))
    assert refused.value.status == 400 and time.process_time() - started < 0.5


@pytest.mark.parametrize(
    ("ctype", "body", "status"),
    [
        ("multipart/form-data", b"--x\r\n\r\n--x--", 400),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nv", 400),  # unclosed
        ("multipart/form-data; boundary=x", b"--x\r\n" * 600 + b"--x--", 400),  # too many parts
        ("multipart/form-data; boundary=x", b"--x\r\n" + b"H: v\r\n" * 500 + b"\r\n\r\n--x--", 400),  # header block
        ("multipart/form-data; boundary=x", b"x" * (page_module.MAX_UPLOAD + 1), 413),
        ("application/x-www-form-urlencoded", b"a=" + b"x" * page_module.MAX_FORM, 413),
        ("text/plain", b"a=b", 415),
    ],
)
def test_bodies_out_of_bounds_are_refused_before_parsing(ctype, body, status):
    with pytest.raises(ApiError) as refused:
        page_module.check_body(_request(ctype, body))
    assert refused.value.status == status


def test_one_field_is_read_by_a_bounded_scan_without_the_form_parser(monkeypatch):
    """form_field: what `@page` checks the CSRF token with before the form is parsed (the last value,
    as the form would hold it; a file part is no field; a name must match whole)."""
    monkeypatch.setattr(page_module, "parse_form", None)  # never called
    assert page_module.form_field(_request(*_form()), "csrf_token") == "abc"
    assert page_module.form_field(_request(*_form()), "csv") == "番号,キー"
    assert page_module.form_field(_request(*_form()), "csv_file") is None
    urlenc = "application/x-www-form-urlencoded"
    body = b"xcsrf_token=no&csrf_token=first&a=1&csrf_token=the+last%21"
    assert page_module.form_field(_request(urlenc, body), "csrf_token") == "the last!"
    assert page_module.form_field(_request(urlenc, b"xcsrf_token=no&a=csrf_token=no"), "csrf_token") is None
    assert page_module.form_field(_request(urlenc, b"csrf_token=%FF%FE"), "csrf_token") == "\ufffd\ufffd"
