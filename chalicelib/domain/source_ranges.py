"""The source ranges a machine client may be bound to (optional, `allowed_sources`): CIDR blocks,
IPv4 or IPv6, checked against the address API Gateway saw (`requestContext.identity.sourceIp`).

A client registered with ranges gets a token, and uses it, only from an address inside one of
them; a client registered without (`{"orderer_id", "name"}` alone) is not bound. Pure: the
standard library's `ipaddress` does the parsing and the matching.
"""

from __future__ import annotations

import ipaddress

from chalicelib.domain.errors import FieldError, ValidationFailed

FIELD = "allowed_sources"
MAX_RANGES = 20


def parse(values: list[str] | None) -> tuple[str, ...]:
    """The ranges as canonical CIDR text (`203.0.113.7` → `203.0.113.7/32`, host bits cleared:
    `198.51.100.9/24` → `198.51.100.0/24`), duplicates dropped, or a 400 on `allowed_sources[i]`."""
    if not values:
        return ()
    if len(values) > MAX_RANGES:
        raise ValidationFailed([FieldError(FIELD, f"接続元の範囲は{MAX_RANGES}件までにしてください。")])
    found: list[str] = []
    errors = []
    for i, value in enumerate(values):
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            errors.append(
                FieldError(f"{FIELD}[{i}]", "接続元はIPアドレスかCIDR (例: 203.0.113.0/24) で入力してください。")
            )
            continue
        if str(network) not in found:
            found.append(str(network))
    if errors:
        raise ValidationFailed(errors)
    return tuple(found)


def allows(ranges: tuple[str, ...], source: str | None) -> bool:
    """Whether `source` may act for a client bound to `ranges` (an unbound client: from anywhere;
    a bound one: never from an unknown or unparseable address)."""
    if not ranges:
        return True
    try:
        address = ipaddress.ip_address((source or "").strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:203.0.113.7 is 203.0.113.7
    return any(address in ipaddress.ip_network(text) for text in ranges)
