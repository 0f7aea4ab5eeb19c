"""services/pdf_verify.py: a signed PDF is read in a bounded child; hostile files answer `absent`.

Runs against the local signing material only (no AWS): `inspect` in the forked child is what
the route calls before it looks anything up.
"""

from __future__ import annotations

import random
import time

import pytest

from chalicelib.domain import certificate
from chalicelib.render import pdf
from chalicelib.services import pdf_verify, signing
from tests import hostile, pdfs


@pytest.fixture(scope="module")
def signed() -> bytes:
    c = pdfs.certificate_content()
    drawn = pdf.render_documents(c, certificate.sha256(c), "Z28YUE4J3Bux").certificate
    return signing.sign(drawn, signing.DocumentRef("certificate", c["number"], c["version"]))


def inspected(data: bytes) -> tuple[dict | None, float]:
    started = time.monotonic()
    found = pdf_verify.bounded(pdf_verify.inspect, data)
    return found, time.monotonic() - started


def test_a_signed_pdf_is_valid_timestamped_and_names_its_document(signed):
    found, _ = inspected(signed)
    assert found["signature"] == "valid" and found["timestamped"] and found["signed_at"]
    assert "東日本建設業保証株式会社" in found["signed_by"]
    assert signing.DocumentRef.parse(found["keyword"]) == signing.DocumentRef("certificate", "30026-000007M", 1)
    assert inspected(pdfs.flipped(signed))[0]["signature"] == "invalid"


@pytest.mark.parametrize(
    "make",
    [
        lambda s: b"not a pdf at all",
        lambda s: s[: len(s) // 2],
        lambda s: hostile.pdf_xref_loop(),
        lambda s: hostile.pdf_deep_nesting(),
        lambda s: hostile.pdf_decompression_bomb(),
    ],
    ids=["not-a-pdf", "truncated", "xref-loop", "deep-nesting", "decompression-bomb"],
)
def test_a_hostile_file_answers_absent_within_the_bounds(signed, make, monkeypatch):
    monkeypatch.setattr(pdf_verify, "DEADLINE_SECONDS", 2.0)
    data = make(signed)
    started = time.monotonic()
    answer = pdf_verify.verify(data)  # the bounded child, then nothing to look up
    assert answer["signature"] == "absent" and answer["document"] is None and answer["status"] == "unknown"
    assert time.monotonic() - started < 3.0


def test_random_damage_never_passes_as_valid_nor_escapes_the_child(signed, monkeypatch):
    monkeypatch.setattr(pdf_verify, "DEADLINE_SECONDS", 2.0)
    rng = random.Random(31)
    signed_range_end = signed.rindex(b"/Contents <")  # the signature's own hex lies after this
    for _ in range(8):
        data = bytearray(signed)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(16, signed_range_end)
            data[at] = rng.randrange(256)
        found, spent = inspected(bytes(data))
        assert found is None or found["signature"] in ("invalid", "absent"), found
        assert spent < 3.0
