"""A form kept across a re-login: sealed, short-lived, single use.

When a session ends while a contractor is filling the 保証申込 form, the post
that finds no session would lose everything typed. Instead the fields are
sealed (AES-GCM) and stored for 30 minutes under the SHA-256 of a random draft
id; the id travels only in an HttpOnly cookie. The encryption key is derived
from the signing secret *and* the draft id, so neither the table nor the
cookie alone reveals the form. After login the page takes the draft (the row
is deleted as it is read) and shows 申込確認 again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from chalicelib import settings
from chalicelib.domain.records import SealedDraft
from chalicelib.store import drafts as store

TTL_SECONDS = 30 * 60
_AAD = b"esurety-draft-v1"


def _key(draft_id: str) -> bytes:
    return hmac.new(settings.signing_secret(), b"draft-key|" + draft_id.encode(), hashlib.sha256).digest()


def _hash(draft_id: str) -> str:
    return hashlib.sha256(draft_id.encode()).hexdigest()


def save(fields: dict[str, str]) -> str:
    """Seal and store the fields; returns the draft id for the browser's cookie."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only on this rare path

    draft_id = secrets.token_urlsafe(24)
    nonce = secrets.token_bytes(12)
    plain = json.dumps({k: v for k, v in fields.items() if v}, ensure_ascii=False).encode()
    sealed = nonce + AESGCM(_key(draft_id)).encrypt(nonce, plain, _AAD)
    store.put(SealedDraft(_hash(draft_id), base64.b64encode(sealed).decode(), int(time.time()) + TTL_SECONDS))
    return draft_id


def take(draft_id: str | None) -> dict[str, str] | None:
    """The fields of a draft, once; None when it is unknown, expired, used or tampered with."""
    # cryptography stays off `import app` (cold start; test_foundation_units checks it)
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not draft_id or len(draft_id) > 64:
        return None
    kept = store.take(_hash(draft_id))
    if kept is None:
        return None
    raw = base64.b64decode(kept.sealed)
    try:
        plain = AESGCM(_key(draft_id)).decrypt(raw[:12], raw[12:], _AAD)
    except InvalidTag:
        return None
    data = json.loads(plain)
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None
