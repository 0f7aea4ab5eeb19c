"""Reading a PDF back as a person (or pypdf) would: its text."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """Every page's extracted text, one page after the other."""
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
