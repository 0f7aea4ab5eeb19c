"""Signed PDFs (API.md "Signed PDFs"): the chain and CRL that vouch for them, and /verify/pdf.

All public (no login): a municipality's 会計 section, an auditor or a bank checks a PDF
without an account. POST /api/verify/pdf and the page are counted per source (30 a minute).
"""

from __future__ import annotations

import secrets
from typing import Any

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.domain.errors import FieldError
from chalicelib.domain.signed_pdfs import DOCUMENT_KINDS, MAX_UPLOAD_BYTES
from chalicelib.handlers.endpoint import Call, api, cookies, source_address
from chalicelib.handlers.errors import ApiError
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import MULTIPART_OVERHEAD, PageCall, page
from chalicelib.render import links
from chalicelib.services import session_check

pdf_verify = lazy("chalicelib.services.pdf_verify")
signing = lazy("chalicelib.services.signing")

bp = Blueprint(__name__)

PEM = {"type": "string", "pattern": "^-----BEGIN CERTIFICATE-----"}
CERTIFICATES = {
    "type": "object",
    "required": ["certificates", "sha256_fingerprint"],
    "properties": {
        "certificates": {"type": "array", "items": PEM, "minItems": 1},
        "sha256_fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}
KINDS = list(DOCUMENT_KINDS)
VERIFIED = {
    "type": "object",
    "required": ["signature", "signed_by", "signed_at", "timestamped", "document", "status"],
    "properties": {
        "signature": {"type": "string", "enum": ["valid", "invalid", "absent"]},
        "signed_by": {"type": ["string", "null"]},
        "signed_at": {"type": ["string", "null"], "format": "date-time"},
        "timestamped": {"type": "boolean"},
        "document": {
            "type": ["object", "null"],
            "required": ["number", "version", "kind"],
            "properties": {
                "number": {"type": "string"},
                "version": {"type": ["integer", "null"]},
                "kind": {"type": "string", "enum": KINDS},
            },
        },
        "status": {
            "type": "string",
            "enum": ["valid", "superseded", "cancelled", "expired", "used", "unknown"],
        },
    },
}


@api(
    bp,
    "/api/signing/certificate",
    "GET",
    summary="PDF に署名する証明書チェーン (署名証明書から順に PEM) とルートの SHA-256 フィンガープリント",
    roles=None,
    responses={200: ("証明書チェーン", CERTIFICATES)},
)
def certificate(call: Call) -> dict[str, Any]:
    return signing.certificates()


@api(
    bp,
    "/api/signing/crl",
    "GET",
    summary="署名証明書を発行した認証局の現在の CRL (DER、application/pkix-crl): 証明書の CRL 配布点",
    roles=None,
    responses={200: ("CRL (DER)", None), 406: ("Accept に application/pkix-crl (または */*) がない", None)},
)
def crl(call: Call) -> Response:
    # A binary answer needs an Accept that names it (API Gateway and Chalice both): say so ourselves.
    accept = (call.request.headers or {}).get("accept", "")
    if "application/pkix-crl" not in accept and "*/*" not in accept:
        raise ApiError(406, [FieldError("", "Accept: application/pkix-crl で取得してください。")])
    return Response(
        body=signing.crl(),
        headers={"Content-Type": "application/pkix-crl", "Cache-Control": "public, max-age=3600"},
    )


@api(
    bp,
    "/api/verify/pdf",
    "POST",
    summary="PDF の電子署名と、その版が現在も有効かの確認 (application/pdf、4 MB まで、送信元ごとに毎分30回まで)",
    roles=None,
    content_types=("application/pdf",),
    raw_body=True,
    max_body=MAX_UPLOAD_BYTES,
    request_bodies={"application/pdf": {"type": "string", "format": "binary"}},
    responses={200: ("署名と文書の確認結果", VERIFIED), 429: ("同じ送信元からの確認が多すぎる (Retry-After)", None)},
)
def verify_pdf(call: Call) -> dict[str, Any]:
    return pdf_verify.verify_counted(call.body or b"", source_address(call.request))


#: The anonymous form's nonce cookie (the login forms' pattern: a nonce pair, checked before parsing).
NONCE_COOKIE = "esurety_login"  # the anonymous forms share it (account_pages.NONCE_COOKIE)
_EXPIRED = "画面の有効期限が切れました。もう一度お試しください。"


def _render(call: PageCall, status: int = 200, **context: Any) -> Response:
    nonce = cookies(call.request).get(NONCE_COOKIE) or secrets.token_urlsafe(18)
    context.setdefault("pdf_labels", pdf_verify.LABELS)
    response = call.render(
        "html/verify_pdf.html",
        status=status,
        no_store=True,
        form_token=session_check.anonymous_csrf_token(nonce),
        **context,
    )
    secure = "" if settings.current().is_local else "; Secure"
    response.headers["Set-Cookie"] = (
        f"{NONCE_COOKIE}={nonce}; Path={links.cookie_path()}; HttpOnly; SameSite=Strict; Max-Age=1800{secure}"
    )
    return response


def _expired(call: PageCall) -> Response:
    return _render(call, 403, result=None, errors=[FieldError("", _EXPIRED)])


@page(
    bp, "/verify/pdf", ("GET", "POST"), audience=None, public=True, anonymous_csrf=(NONCE_COOKIE, _expired),
    max_upload=MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD,  # the API's 4 MB (issue 26), bounded before the nonce check
)  # fmt: skip
def verify_pdf_page(call: PageCall) -> Response:
    """PDF の確認: 証書などの PDF を選ぶと、署名と現在の状態を表示する (ログイン不要)。"""
    if call.request.method == "GET":
        return _render(call, result=None, errors=[])
    upload = call.files.get("pdf_file") or b""
    if not upload:
        return _render(call, 400, result=None, errors=[pdf_verify.NO_FILE])
    if len(upload) > pdf_verify.MAX_BYTES:  # the file itself, as the API bounds it (its form is a little larger)
        return _render(call, 413, result=None, errors=[pdf_verify.TOO_LARGE])
    result = pdf_verify.verify_counted(upload, source_address(call.request))
    return _render(call, result=result, errors=[])
