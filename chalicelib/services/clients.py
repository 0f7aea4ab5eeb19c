"""Machine clients: OAuth 2.0 client credentials (RFC 6749 §4.4) for a municipality's system.

The secret is shown once and stored as an argon2id hash. An access token is a
15-minute JWT naming the client; every call re-reads the client and its orderer,
so a revocation or a disabled orderer stops its tokens on the next request.
Wrong secrets are counted as logins are (issue 26, SECURITY.md): per (client, source), per
source, and per client with a *soft* lock — an outsider who knows a client id locks only
their own address out, and once the client-wide counter is full, sources the client has
obtained a token from before keep their own tries while unknown ones wait. A client registered
with `allowed_sources` (CIDR blocks) gets and uses tokens only from inside them. A client acts
as its orderer on D-Sure's API routes only (handlers/endpoint.py).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from chalicelib import logs, settings
from chalicelib.domain import clock, hs256, source_ranges
from chalicelib.domain.audit import ADMIN_SCOPE, AuditEntry
from chalicelib.domain.errors import FieldError, NotFound, TooManyAttempts, Unauthenticated, ValidationFailed
from chalicelib.domain.principal import Principal
from chalicelib.domain.records import MachineClient
from chalicelib.services.auth import hash_password, source_id, verify_secret
from chalicelib.store import attempts, clients, organisations

TOKEN_TTL_SECONDS = 900
AUDIENCE = "esurety-client"
#: The routes a client token may call (API.md "Machine clients").
CLIENT_PATHS = frozenset(
    {
        "/api/verify",
        "/api/verify/bulk",
        "/api/orderer/guarantees",
        # Issue 30: the orderer's contract system registers and watches its own webhooks.
        "/api/orderer/webhooks",
        "/api/orderer/webhooks/{webhook_id}",
        "/api/orderer/webhooks/{webhook_id}/test",
        "/api/orderer/webhooks/{webhook_id}/deliveries",
        # Issue 29: 受領 by the municipality's contract system
        "/api/orderer/deliveries",
        "/api/orderer/deliveries/{delivery_id}",
        "/api/orderer/deliveries/{delivery_id}/check",
        "/api/orderer/deliveries/{delivery_id}/receive",
        "/api/orderer/deliveries/{delivery_id}/return",
    }
)
#: One source on one client: 5 wrong secrets lock that source out of that client for 15 minutes.
SECRET_POLICY = attempts.Policy(limit=5, window_seconds=15 * 60, lock_seconds=15 * 60)
#: One source on every client: 30 failures in 15 minutes (guessing across client ids).
SOURCE_POLICY = attempts.Policy(limit=30, window_seconds=15 * 60, lock_seconds=15 * 60)
#: One client from everywhere: 50 failures a day soft-lock it for an hour (known sources still pass).
CLIENT_POLICY = attempts.Policy(limit=50, window_seconds=24 * 3600, lock_seconds=3600)
_LOCKED = "認証の失敗が続いたため、一時的にロックしています。"

_BAD_CLIENT = FieldError("client_id", "クライアントIDまたはシークレットが正しくありません。")


@dataclass(frozen=True)
class Created:
    client: MachineClient
    secret: str


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


def create(admin: Principal, orderer_id: str, name: str, allowed_sources: list[str] | None = None) -> Created:
    """Register a client; `allowed_sources` (optional CIDR blocks) binds it to those addresses."""
    sources = source_ranges.parse(allowed_sources)
    org = organisations.get(orderer_id)
    if org is None or org.kind != "orderer" or org.disabled:
        raise ValidationFailed([FieldError("orderer_id", "登録されている (利用停止でない) 発注者を指定してください。")])

    client_id = "cl-" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    client = MachineClient(
        client_id, orderer_id, name.strip(), clock.iso_now(), hash_password(secret), allowed_sources=sources
    )
    entry = AuditEntry(actor=admin.login, action="client_created", target=f"client:{client_id}", scope=ADMIN_SCOPE)
    clients.create(client, entry)
    return Created(client, secret)


def revoke(admin: Principal, client_id: str) -> None:
    entry = AuditEntry(actor=admin.login, action="client_revoked", target=f"client:{client_id}", scope=ADMIN_SCOPE)
    if not clients.revoke(client_id, entry):
        raise NotFound()


def get_client(client_id: str) -> dict[str, object]:
    """One machine client, never its secret; a revoked one is gone (404)."""
    found = clients.get(client_id)
    if found is None or found.status != "active":
        raise NotFound()
    return found.public()


def list_clients(orderer_id: str | None, limit: int, cursor: str | None) -> dict[str, object]:
    found, next_cursor = clients.list_clients(orderer_id, limit, cursor)
    return {"items": [c.public() for c in found], "next_cursor": next_cursor}


def secret_counters(client_id: str, source: str | None) -> list[attempts.Counter]:
    """What one token request is counted against: the (client, source) pair, the source, the client."""
    who, src = client_id[:64], source_id(source)
    return [
        attempts.Counter(f"oauth:{who}@{src}", SECRET_POLICY, reset=True),
        attempts.Counter(f"oauth-source:{src}", SOURCE_POLICY),
        attempts.Counter(f"oauth-client:{who}", CLIENT_POLICY, trusted=src),
    ]


def issue_token(client_id: str, secret: str, source: str | None = None) -> AccessToken:
    """A 15-minute access token for a client's right secret. Counted BEFORE the secret is checked
    (store/attempts.py: parallel guesses get no extra tries); `source` is the caller's address."""
    counters = secret_counters(client_id, source)
    key = counters[0].key
    reservation = attempts.reserve(counters)
    if reservation.ticket is None:
        raise TooManyAttempts(reservation.retry_after, [FieldError("client_id", _LOCKED)])
    client = clients.get(client_id)
    ok = verify_secret(client.secret_hash if client else None, secret)
    ok = ok and client is not None and client.status == "active" and _orderer_active(client)
    # A bound client's right secret from outside its ranges is answered, and counted, as a wrong one.
    ok = ok and client is not None and source_ranges.allows(client.allowed_sources, source)
    if not ok:
        logs.info("oauth_failure", client_id=client_id[:64])
        if attempts.remaining(key, SECRET_POLICY) == 0:  # this failure filled the counter
            raise TooManyAttempts(SECRET_POLICY.lock_seconds, [FieldError("client_id", _LOCKED)])
        raise Unauthenticated([_BAD_CLIENT])
    attempts.settle_success(reservation.ticket)
    now = int(time.time())
    claims = {
        "cid": client_id,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + TOKEN_TTL_SECONDS,
        "jti": secrets.token_hex(8),
    }
    return AccessToken(hs256.encode(claims, settings.signing_secret()), TOKEN_TTL_SECONDS)


def _orderer_active(client: MachineClient) -> bool:
    org = organisations.get(client.orderer_id)
    return org is not None and not org.disabled


def authenticate(token: str, source: str | None = None) -> Principal | None:
    """The orderer a client token acts for, or None (forged, expired, revoked, orderer disabled, or
    a client bound to source ranges called from outside them: a token carried elsewhere is no use)."""
    try:
        claims = hs256.decode(token, settings.signing_secret(), audience=AUDIENCE, require=("exp", "cid", "aud"))
    except hs256.InvalidToken:
        return None
    client = clients.get(str(claims["cid"]))
    if client is None or client.status != "active" or not source_ranges.allows(client.allowed_sources, source):
        return None
    org = organisations.get(client.orderer_id)
    if org is None or org.disabled:
        return None
    login = f"client:{client.client_id}"
    return Principal(login, "orderer", client.orderer_id, org.name, login, False, client.client_id)
