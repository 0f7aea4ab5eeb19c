"""Normalisers: what a person typed → the value the rules and the store use.

Each one is total (never raises, whatever it is given) and idempotent, so the
three-step form can re-normalise the values it carries between steps, and a
property-based test holds them to it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

_DATE_FORMS = (
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
)
_DASHES = "‐‑‒–—―−－ー"


def normalise_date(value: Any) -> str | None:
    """`20231030`, `2023/10/30` or `2023-10-30` (full-width digits too) → `2023-10-30`; else None."""
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    for pattern in _DATE_FORMS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                return None
    return None


def normalise_datetime(value: Any) -> str | None:
    """An ISO datetime → ISO with offset (JST assumed when none is given); else None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=9)))
    return moment.isoformat()


def to_full_width(text: Any) -> str:
    """預託金融機関 as DESIGN.md defines 全角: jaconv.h2z on kana, ASCII and digits."""
    import jaconv  # jaconv stays off `import app` (cold start; test_foundation_units checks it)

    if not isinstance(text, str):
        return ""
    return jaconv.h2z(text.strip(), kana=True, ascii=True, digit=True).strip()


def half_width_leftovers(text: str) -> list[str]:
    """Characters still narrow after normalisation (East Asian Width H or Na); A (e.g. ×) is fine."""
    return [c for c in text if unicodedata.east_asian_width(c) in ("H", "Na")]


def normalise_postal_code(value: Any) -> str:
    """Full-width digits and dash look-alikes → `309-1792`; `3091792` gets its dash."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFKC", value).strip()
    text = "".join("-" if c in _DASHES else c for c in text)
    if len(text) == 7 and text.isascii() and text.isdigit():
        text = f"{text[:3]}-{text[3:]}"
    return text


def normalise_text(value: Any) -> str | None:
    """Free text: surrounding blanks trimmed; empty → None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text or None


def normalise_email(address: str) -> str | None:
    """The normalised address, or None when its syntax is wrong.

    Syntax only (check_deliverability=False): no DNS inside a request."""
    from email_validator import EmailNotValidError, validate_email  # stays off `import app` (cold start)

    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def parse_amount(value: Any) -> Any:
    """Form input → int when it reads as whole yen (`20,000,000`, `２０００`, `20000000円`).

    Anything else is returned unchanged so the schema reports it; never raises."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "").removesuffix("円").removesuffix("千").strip()
    if text == "":
        return None
    if text.isascii() and text.isdigit() and len(text) <= 15:
        return int(text)
    return value


def as_int(value: Any) -> int | None:
    """An integer as the JSON body holds it (never a bool); anything else → None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: Any) -> dict:
    """A section of the body; anything but an object reads as an empty one."""
    return value if isinstance(value, dict) else {}
