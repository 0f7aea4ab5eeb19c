"""Secrets the system must read back (staff and admin TOTP secrets), encrypted at rest (issue 26).

Envelope encryption: each value gets its own 256-bit data key and is sealed with AES-256-GCM,
the owner (the login) as associated data, so a sealed value copied onto another row does not
open. The data key is stored only wrapped by a key that is not in the table:

- a KMS key (`SECRETS_KMS_KEY_ID`: GenerateDataKey to seal, Decrypt to open, the data key kept
  in memory per container) wherever one is configured — deployed stages;
- otherwise a wrapping key derived from the stage's session-signing secret (SSM SecureString
  outside `local`, a per-run value locally), with HMAC-SHA256 as the derivation: still outside
  the table, so a dump of the table opens nothing.

Stored form: `enc1:<wrapper>:<wrapped key>:<nonce>:<ciphertext>` (base64url). A value without the
prefix is a row written before issue 26: it reads as it is until `bin/admin encrypt-secrets`
(services/admin.encrypt_secrets, which `bin/stage up` runs) seals it. Machine-client secrets are
not here: they are verified, never read back, so they stay argon2id hashes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets

from chalicelib import settings

PREFIX = "enc1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _kms_key_id() -> str | None:
    """The functions' key (their environment), else — for an operator's tool run against a deployed
    stage (`bin/admin smoke-fixture`, `encrypt-secrets`) — the stage's alias the template creates, so
    what a tool seals is wrapped by the same KMS key, never by a secret a rotation replaces."""
    configured = os.environ.get("SECRETS_KMS_KEY_ID")
    if configured:
        return configured
    s = settings.current()
    return None if s.is_local else f"alias/{s.app_name}-{s.stage}-secrets"


def _kms() -> object:
    from chalicelib.store import connection

    return connection.kms_client()


def _local_wrapping_key() -> bytes:
    return hmac.new(settings.signing_secret(), b"esurety|secrets-at-rest|v1", hashlib.sha256).digest()


def _aead(key: bytes):  # noqa: ANN202 - cryptography's AESGCM (kept off `import app`)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _new_data_key() -> tuple[str, bytes, bytes]:
    """(wrapper name, plaintext data key, wrapped data key)."""
    key_id = _kms_key_id()
    if key_id:
        out = _kms().generate_data_key(KeyId=key_id, KeySpec="AES_256")  # type: ignore[attr-defined]
        return "kms", out["Plaintext"], out["CiphertextBlob"]
    data_key = secrets.token_bytes(32)
    nonce = secrets.token_bytes(12)
    return "local", data_key, nonce + _aead(_local_wrapping_key()).encrypt(nonce, data_key, b"data-key")


@functools.lru_cache(maxsize=256)
def _unwrap(wrapper: str, wrapped: bytes) -> bytes:
    if wrapper == "kms":
        return _kms().decrypt(CiphertextBlob=wrapped)["Plaintext"]  # type: ignore[attr-defined]
    if wrapper == "local":
        return _aead(_local_wrapping_key()).decrypt(wrapped[:12], wrapped[12:], b"data-key")
    raise ValueError("unknown wrapper")


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX + ":")


def seal(plaintext: str, owner: str) -> str:
    """The stored form of `plaintext`, bound to `owner` (a login)."""
    wrapper, data_key, wrapped = _new_data_key()
    nonce = secrets.token_bytes(12)
    sealed = _aead(data_key).encrypt(nonce, plaintext.encode("utf-8"), owner.encode("utf-8"))
    return ":".join([PREFIX, wrapper, _b64(wrapped), _b64(nonce), _b64(sealed)])


def open_value(stored: str | None, owner: str) -> str | None:
    """The plaintext of a stored value: a sealed one opened, a row written before issue 26 as is."""
    if not stored or not is_sealed(stored):
        return stored
    _, wrapper, wrapped, nonce, sealed = stored.split(":")
    data_key = _unwrap(wrapper, _unb64(wrapped))
    return _aead(data_key).decrypt(_unb64(nonce), _unb64(sealed), owner.encode("utf-8")).decode("utf-8")
