"""Password rules of API.md "Accounts": ≥ 12 characters, not the login, not a common password.

The common list ships with the code (`assets/passwords/`, Django's list of 19,646);
it is read once per container on first use, never downloaded.
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path

from chalicelib.domain.errors import FieldError

MIN_LENGTH = 12
MAX_LENGTH = 256
#: chalicelib/assets/passwords/, found from this file (the domain reads no settings).
_LIST = Path(__file__).resolve().parents[1] / "assets" / "passwords" / "common-passwords.txt.gz"


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(_LIST, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def _is_common(password: str) -> bool:
    lowered = password.lower()
    common = common_passwords()
    if lowered in common:
        return True
    # "password1234" or "qwerty!!!!!!": a common word padded to length is still guessed first.
    core = re.sub(r"[\d\W_]+$", "", lowered)
    if len(core) >= 4 and core in common:
        return True
    return len(set(lowered)) < 4  # "aaaaaaaaaaaa", "abababababab"


def problems(password: str, login: str, field: str = "password") -> list[FieldError]:
    """Every rule the password breaks, as field errors (empty when it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [FieldError(field, f"パスワードは{MIN_LENGTH}文字以上にしてください。")]
    if len(password) > MAX_LENGTH:
        return [FieldError(field, f"パスワードは{MAX_LENGTH}文字以内にしてください。")]
    if login and login.lower() in password.lower():
        return [FieldError(field, "ログインIDを含むパスワードは使えません。")]
    if _is_common(password):
        return [FieldError(field, "よく使われていて推測されやすいパスワードです。別のパスワードにしてください。")]
    return []
