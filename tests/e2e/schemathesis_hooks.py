"""Loaded by the schemathesis CLI (SCHEMATHESIS_HOOKS) in the fuzz test: bodies for the media types it
cannot make itself. `POST /api/verify/pdf` takes `application/pdf`: random bytes, a PDF header with
junk, and a PDF cut short — what a hostile upload would be."""

import schemathesis
from hypothesis import strategies as st

PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"

schemathesis.openapi.media_type(
    "application/pdf",
    st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=512).map(lambda tail: PDF_HEAD + tail),
        st.integers(min_value=0, max_value=len(PDF_HEAD)).map(lambda n: PDF_HEAD[:n]),
    ),
)
