"""The certificate content (保証証書) of one version, exactly as docs/CONTRACTS.md fixes it.

The content is what was issued, frozen per version; its SHA-256 over a
canonical serialisation (sorted keys, no spaces, UTF-8) is stored with the
version and printed on the PDFs, so anyone holding the data can prove the
document matches it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib.domain import era, labels

BINDING_SENTENCES: dict[str, str] = {
    "advance_payment": "当社は、前払金保証約款に基づき上記のとおり保証契約を締結し、その責に任じます。",
    "contract_guarantee": "当社は、契約保証約款に基づき上記のとおり保証契約を締結し、その責に任じます。",
}

#: A cancelled guarantee's certificate says so instead of binding the company (issue 14:
#: "cancelled means cancelled"); `{date}` is the cancellation's date in the Japanese era.
CANCELLATION_SENTENCE = "本保証契約は{date}をもって取り消されました。当社は本証書に基づく保証の責を負いません。"


def build_content(
    *,
    number: str,
    kind: str,
    form: str,
    version: int,
    version_kind: str,
    orderer_id: str,
    deadline: str,
    details: dict[str, Any],
    issued_on: str,
    issuer: dict[str, str],
    reason: str | None = None,
) -> dict[str, Any]:
    """The content dict of CONTRACTS.md, drawn from a guarantee's `details`.

    `issuer` is {name, branch, address, phone} from configuration (the service
    reads settings; this module stays pure).
    """
    if kind not in labels.KIND:
        raise ValueError(f"unknown guarantee kind: {kind!r}")
    if version_kind not in labels.VERSION_KIND:
        raise ValueError(f"unknown version kind: {version_kind!r}")
    return {
        "number": number,
        "kind": kind,
        "product_name": labels.KIND[kind],
        "form": form,
        "version": version,
        "version_kind": version_kind,
        "contractor_name": details["contractor_name"],
        "jv_name": details.get("jv_name"),
        "orderer_id": orderer_id,
        "orderer_name": details["orderer_name"],
        "project_name": details["project_name"],
        "contract_amount": int(details["contract_amount"]),
        "guarantee_amount": int(details["guarantee_amount"]),
        "deadline": deadline,
        "period_start": details["period_start"],
        "period_end": details["period_end"],
        "location": details.get("location"),
        "deposit_bank": details.get("deposit_bank") if kind == "advance_payment" else None,
        "issued_on": issued_on,
        "issuer": {k: issuer[k] for k in ("name", "branch", "address", "phone")},
        "binding_sentence": (
            CANCELLATION_SENTENCE.format(date=era.era_date(issued_on))
            if version_kind == "cancellation"
            else BINDING_SENTENCES[kind]
        ),
        "reason": reason,
    }


def canonical_bytes(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256(content: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical serialisation (CONTRACTS.md)."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()
