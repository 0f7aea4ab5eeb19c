"""Which bodies are binary, on each side of API Gateway (one list per side, because they differ).

API Gateway's binaryMediaTypes decide how a *request* body reaches the function: a
body whose Content-Type is listed arrives base64-encoded as the client's bytes;
any other is passed as UTF-8 text, which corrupts bytes that are not UTF-8
(a CP932 CSV). So CSV and multipart uploads must be listed there.

For a *response*, the function decides: Chalice base64-encodes a body whose type
is in `app.api.binary_types`, and API Gateway decodes it only when the request's
*first* Accept type is binary too. A browser's first Accept is `text/html`, so a
UTF-8 CSV download answered as binary would reach it as a base64 string (and
Chalice refuses it outright without a matching Accept). The function therefore
answers in base64 only what is really binary; the CSV download is UTF-8 text.

`GATEWAY` goes into the merge template (devstack/cfn.py), `ANSWERED` into
`app.api.binary_types`; tests/functional/gateway.py simulates both sides.
"""

from __future__ import annotations

#: API Gateway's binaryMediaTypes: request bodies of these types arrive as the client's bytes.
GATEWAY = ["application/pdf", "image/png", "text/csv", "multipart/form-data", "application/pkix-crl"]
#: What the function answers in base64 (Chalice's `app.api.binary_types`).
ANSWERED = ["application/pdf", "image/png", "application/pkix-crl"]
