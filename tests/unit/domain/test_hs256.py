"""The standard-library HS256 tokens interoperate with PyJWT and refuse what PyJWT's decode refuses."""

from __future__ import annotations

import time

import jwt
import pytest

from chalicelib.domain import hs256

SECRET = b"a-test-secret-of-at-least-32-bytes-long!"
NOW = int(time.time())
CLAIMS = {"sid": "s1", "sub": "kasama", "role": "orderer", "iat": NOW, "exp": NOW + 30 * 86400}  # outlives any run


def test_tokens_interoperate_with_pyjwt_both_ways():
    ours = hs256.encode(CLAIMS, SECRET)
    assert jwt.decode(ours, SECRET, algorithms=["HS256"]) == CLAIMS
    theirs = jwt.encode({**CLAIMS, "aud": "dsure-api"}, SECRET, algorithm="HS256")
    assert hs256.decode(theirs, SECRET, audience="dsure-api", require=("exp",))["sub"] == "kasama"


@pytest.mark.parametrize(
    ("token", "kwargs"),
    [
        (jwt.encode(CLAIMS, b"another-secret-of-at-least-32-bytes-long", algorithm="HS256"), {}),
        (jwt.encode(CLAIMS, SECRET, algorithm="HS512"), {}),
        (jwt.encode(CLAIMS, None, algorithm="none"), {}),
        (jwt.encode({**CLAIMS, "exp": NOW - 1}, SECRET, algorithm="HS256"), {}),
        (jwt.encode({**CLAIMS, "iat": NOW + 3600}, SECRET, algorithm="HS256"), {}),
        (jwt.encode({**CLAIMS, "exp": "soon"}, SECRET, algorithm="HS256"), {}),
        (jwt.encode({**CLAIMS, "aud": "dsure-api"}, SECRET, algorithm="HS256"), {}),  # audience not expected
        (jwt.encode(CLAIMS, SECRET, algorithm="HS256"), {"audience": "dsure-api"}),  # audience missing
        (jwt.encode({**CLAIMS, "aud": "other"}, SECRET, algorithm="HS256"), {"audience": "dsure-api"}),
        (jwt.encode({"sub": "x", "exp": NOW + 60}, SECRET, algorithm="HS256"), {"require": ("sid",)}),
        ("a.b", {}),
        ("not.a.token", {}),
        ("ｔｏｋｅｎ.ｘ.ｙ", {}),
        ("", {}),
    ],
    ids=[  # stable ids: the tokens hold the time, and xdist's workers must collect the same names
        "other-secret",
        "hs512",
        "alg-none",
        "expired",
        "issued-in-future",
        "exp-not-a-number",
        "audience-not-expected",
        "audience-missing",
        "audience-other",
        "sid-missing",
        "two-parts",
        "not-base64",
        "full-width",
        "empty",
    ],
)
def test_forged_expired_misaddressed_and_malformed_tokens_are_refused(token, kwargs):
    with pytest.raises(hs256.InvalidToken):
        hs256.decode(token, SECRET, **kwargs)
    if kwargs.get("require") is None:
        with pytest.raises(jwt.PyJWTError):  # PyJWT agrees
            jwt.decode(token, SECRET, algorithms=["HS256"], audience=kwargs.get("audience"))
