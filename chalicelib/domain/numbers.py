"""One reading of a typed 保証契約番号, for every place a person enters one.

People copy numbers from PDFs and mails and type them with a Japanese IME, so
the same number arrives as `30026-000001M`, `３００２６－０００００１ｍ`,
` 30026 ー 000001m `, `30026000001m` or with a dash from a word processor. 保証契約一覧's
ピンポイント検索, the staff search, the audit filter, a cited 予約番号 and D-Sure's
verification all read it here (`normalise_number`, or `read_number` where a malformed number
is a field error), so a number found in one is found in every other.
"""

from __future__ import annotations

import re
import unicodedata

from chalicelib.domain.errors import FieldError, ValidationFailed

#: Dashes and hyphen look-alikes that stand for the number's "-" after NFKC:
#: ー (long vowel mark), ‐ (hyphen), ‑ (non-breaking hyphen; NFKC maps it to ‐),
#: – (en dash), — (em dash), ― (horizontal bar), − (minus sign), ⁃ (hyphen bullet),
#: ﹣ and － become "-" under NFKC already.
HYPHENS = "ー‐‑–—―−⁃"
_TO_ASCII_HYPHEN = str.maketrans(dict.fromkeys(HYPHENS, "-"))
_SPACE = re.compile(r"\s+")
#: 11 digits and a letter, typed without the hyphen (or with a space for it, which is removed).
_WITHOUT_HYPHEN = re.compile(r"^(\d{5})(\d{6}[A-Z])$")
#: The shape every stored number has (domain/numbering.py holds its parts and meaning).
SHAPE = re.compile(r"^\d{5}-\d{6}[A-Z]$")
#: The example the messages show: this company's own branch (茨城 300) and fiscal year format.
EXAMPLE = "30026-000001M"


def normalise_number(raw: str | None) -> str:
    """The number as stored: ASCII, upper case, no spaces, "-" for every dash variant.

    Total (never raises) and idempotent; it does not check the format — callers
    decide what an unknown or malformed number means.
    """
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw)  # full width → ASCII, ｰ → ー, ideographic space → space
    text = _SPACE.sub("", text.translate(_TO_ASCII_HYPHEN)).upper()
    return _WITHOUT_HYPHEN.sub(r"\1-\2", text)


def bad_number(field: str = "number") -> FieldError:
    """The one message for a typed 保証契約番号 that is not one, with this branch's example."""
    return FieldError(
        field, f"保証契約番号は {EXAMPLE} の形式で入力してください (全角・小文字・空白・ハイフンなしも可)。"
    )


def read_number(raw: str | None, field: str = "number") -> str:
    """A typed number as stored, or ValidationFailed on `field` when it does not have the shape."""
    text = normalise_number(raw)
    if not SHAPE.match(text):
        raise ValidationFailed([bad_number(field)])
    return text
