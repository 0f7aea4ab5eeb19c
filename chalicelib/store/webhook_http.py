"""The one outbound HTTP call of the system: POST a signed webhook body to a receiver.

API.md "Targets": before every send the host is resolved, every address it resolves to must be
public (domain/webhooks.address_is_public), and the connection goes to the address that was
checked — never a second look-up, so a DNS answer that changes between the check and the
connect (rebinding) cannot reach a private address. For `https` the TLS handshake still names
and verifies the URL's host (SNI and certificate). Redirects are not followed (http.client never
does); 5 s timeout for connect and read alike. The local stage's loopback allowance
(`http://127.0.0.1:PORT`, domain/webhooks.is_loopback_allowed) is the only way to a
non-public address, and it is decided by the caller.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from chalicelib.domain.webhooks import TIMEOUT_SECONDS, Outcome, address_is_public

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with SNI and certificate checks against the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool = False,
    resolver: Resolver = resolve,
    timeout: float = TIMEOUT_SECONDS,
) -> Outcome:
    """Send once; the receiver's status, or the error that stopped it (never raises)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        return Outcome(error="connection")
    if not addresses or not (allow_private or all(address_is_public(a) for a in addresses)):
        return Outcome(error="refused_target")
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = cls(host, port, addresses[0], timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers={**headers, "Content-Type": "application/json"})
        status = conn.getresponse().status
    except TimeoutError:
        return Outcome(error="timeout")
    except (OSError, http.client.HTTPException, ssl.SSLError):
        return Outcome(error="connection")
    finally:
        conn.close()
    if 300 <= status < 400:
        return Outcome(status=status, error="redirect")
    return Outcome(status=status)
