"""The surety company's letterhead on the certificate (見本①): who signs, FAX, and the (注) notes.

These are the company's standing details, not terms of a guarantee, so they
are not part of the hashed certificate content (docs/CONTRACTS.md fixes its
`issuer` as name, branch, address, phone); the page and the PDF draw them from
the stage's settings at render time.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import settings

#: (注) of 見本①, as the seed prints them under the certificate.
NOTES = (
    "保証契約を変更する場合は、変更後の契約内容を記載した保証証書 (変更) を発行します。"
    "発注者は保証確認サービス (D-Sure) で最新の内容をご確認ください。",
    "請求金額のみの変更の場合は、この保証契約の効力に影響を及ぼさないため、保証契約の変更の手続きは必要ありません。",
)
#: A paper certificate has no D-Sure entry: its first note says where the changed one comes from.
PAPER_NOTES = (
    "保証契約を変更する場合は、変更後の契約内容を記載した保証証書 (変更) を発行し、お届けします。",
    NOTES[1],
)


@dataclass(frozen=True)
class Letterhead:
    representative: str
    fax: str
    notes: tuple[str, ...]


def letterhead(form: str | None = None) -> Letterhead:
    """The letterhead of a certificate of `form` (electronic | paper): paper ones never name D-Sure."""
    s = settings.current()
    notes = PAPER_NOTES if form == "paper" else NOTES
    return Letterhead(representative=s.issuer_representative, fax=s.issuer_fax, notes=notes)


def addressee(orderer_name: str | None) -> str:
    """笠間市長 → 笠間市長 殿 (the orderer the certificate is addressed to)."""
    return f"{orderer_name} 殿" if orderer_name else ""
