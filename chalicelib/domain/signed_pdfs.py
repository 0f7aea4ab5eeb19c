"""What the signed-PDF routes declare before any signing code is loaded (handlers/signing.py).

The kinds of document we sign and the largest PDF /verify/pdf takes; services/signing.py and
services/pdf_verify.py use the same values, so `import app` can declare the routes without
importing either service (issue 32: a route's services load on its first call).
"""

from __future__ import annotations

#: Every kind of PDF we sign (services/signing.py's KIND_LABELS names them).
DOCUMENT_KINDS = ("certificate", "key_notice", "reservation_certificate", "fee_statement")
#: The largest PDF POST /api/verify/pdf and the page accept.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
