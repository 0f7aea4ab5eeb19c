"""One reading of a typed 保証契約番号, for every place a person enters one.

People copy numbers from PDFs and mails and type them with a Japanese IME, so
the same number arrives as `30072-000001M`, `３００７２－０００００１ｍ`,
` 30072 ー 000001m ` or with a dash from a word processor. 保証契約一覧's
ピンポイント検索 and D-Sure's verification both read it here, so a number
found in one is found in the other.
"""

from __future__ import annotations

import re
import unicodedata

#: Dashes and hyphen look-alikes that stand for the number's "-" after NFKC:
#: ー (long vowel mark), ‐ (hyphen), ‑ (non-breaking hyphen; NFKC maps it to ‐),
#: – (en dash), — (em dash), ― (horizontal bar), − (minus sign), ⁃ (hyphen bullet),
#: ﹣ and － become "-" under NFKC already.
HYPHENS = "ー‐‑–—―−⁃"
_TO_ASCII_HYPHEN = str.maketrans(dict.fromkeys(HYPHENS, "-"))
_SPACE = re.compile(r"\s+")


def normalise_number(raw: str | None) -> str:
    """The number as stored: ASCII, upper case, no spaces, "-" for every dash variant.

    Total (never raises) and idempotent; it does not check the format — callers
    decide what an unknown or malformed number means.
    """
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw)  # full width → ASCII, ｰ → ー, ideographic space → space
    text = text.translate(_TO_ASCII_HYPHEN)
    return _SPACE.sub("", text).upper()
