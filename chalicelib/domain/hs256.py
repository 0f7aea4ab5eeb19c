"""HS256 JSON Web Tokens (RFC 7519 / RFC 7515, HMAC-SHA256 only) with the standard library.

PyJWT imports `cryptography` (~40 ms of a cold request, issue 32) for the
asymmetric algorithms whenever it is installed, and there is no way to ask it
not to; the tokens here are HMAC-SHA256 only, which `hmac` does. The checks
are PyJWT's for `decode(..., algorithms=["HS256"], audience=…, options={"require": …})`:
three base64url segments, the header's `alg` exactly HS256, the signature
compared in constant time, a JSON object payload, `exp`/`iat`/`nbf` integers
(expired, issued in the future, not yet valid → refused), the audience (a token
naming an audience is refused where none is expected), the required claims.
Tokens are interchangeable with PyJWT's (tests/unit/domain/test_hs256.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from typing import Any

HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(Exception):
    """Forged, malformed, expired or not for this audience."""


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    try:
        return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("bad base64") from exc


def _sign(signing_input: bytes, secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, signing_input, hashlib.sha256).digest()


def encode(claims: dict[str, Any], secret: str | bytes) -> str:
    header = _b64(json.dumps(HEADER, separators=(",", ":"), sort_keys=True).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = header + b"." + payload
    return (signing_input + b"." + _b64(_sign(signing_input, secret))).decode()


def _segments(token: str) -> tuple[bytes, dict[str, Any], dict[str, Any], bytes]:
    try:
        raw = token.encode("ascii")
    except (UnicodeEncodeError, AttributeError) as exc:
        raise InvalidToken("not ascii") from exc
    if raw.count(b".") != 2:
        raise InvalidToken("not three segments")
    header_b, payload_b, signature_b = raw.split(b".")
    try:
        header, claims = json.loads(_unb64(header_b)), json.loads(_unb64(payload_b))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("not JSON") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("not an object")
    return header_b + b"." + payload_b, header, claims, _unb64(signature_b)


def _int_claim(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"{name} is not a number")
    return int(value)


def decode(
    token: str,
    secret: str | bytes,
    *,
    require: Iterable[str] = (),
    audience: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a token this secret signed, still valid; InvalidToken otherwise."""
    signing_input, header, claims, signature = _segments(token)
    if header.get("alg") != "HS256":
        raise InvalidToken("algorithm")
    if not hmac.compare_digest(_sign(signing_input, secret), signature):
        raise InvalidToken("signature")
    for name in require:
        if claims.get(name) is None:
            raise InvalidToken(f"{name} missing")
    current = time.time() if now is None else now
    exp, iat, nbf = _int_claim(claims, "exp"), _int_claim(claims, "iat"), _int_claim(claims, "nbf")
    if exp is not None and exp <= current:
        raise InvalidToken("expired")
    if (iat is not None and iat > current) or (nbf is not None and nbf > current):
        raise InvalidToken("not yet valid")
    aud = claims.get("aud")
    if audience is None and aud is not None:
        raise InvalidToken("audience not expected")
    if audience is not None and audience not in (aud if isinstance(aud, list) else [aud]):
        raise InvalidToken("audience")
    return claims
