"""Password rules of API.md "Accounts": ≥ 12 characters, not the login, not a common password.

The common list ships with the code (`assets/passwords/`: SecLists' top 100,000 of 10 million
breached passwords with Django's 19,646, 101,129 in all, NFKC-normalised, case-folded and
sorted); it is read once per container on the first password check (never at import: off the
cold path), never downloaded, and searched by bisection over its bytes (no 100k-entry set built). Issue 26: every check
reads the password NFKC-normalised and case-folded first (full-width ＰＡＳＳＷＯＲＤ１２３４ is
password1234), and beyond the list refuses what guessers try first whatever a list holds:
a run along the keyboard, the alphabet or the digits (abcdefghijkl, 123456789012), one
chunk repeated (passwordpassword, asdfasdfasdf), a listed word padded with digits or
symbols on either side, and the login or the organisation's name inside it.
"""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from pathlib import Path

from chalicelib.domain.errors import FieldError

MIN_LENGTH = 12
MAX_LENGTH = 256
#: chalicelib/assets/passwords/, found from this file (the domain reads no settings).
_LIST = Path(__file__).resolve().parents[1] / "assets" / "passwords" / "common-passwords.txt.gz"


@functools.lru_cache(maxsize=1)
def _listed_bytes() -> bytes:
    """The list decompressed: sorted lines, each ending in a newline (about 1 MB, ~15 ms once)."""
    return gzip.decompress(_LIST.read_bytes())


def is_listed(normalised_password: str) -> bool:
    """Whether the (already normalised) password is on the common list: a binary search over lines."""
    buf, word = _listed_bytes(), normalised_password.encode("utf-8")
    lo, hi = 0, len(buf)  # both always the start of a line (or the end)
    while lo < hi:
        start = buf.rfind(b"\n", 0, (lo + hi) // 2) + 1
        end = buf.index(b"\n", start)
        line = buf[start:end]
        if line == word:
            return True
        if line < word:
            lo = end + 1
        else:
            hi = start
    return False


#: Sequences a guesser walks: the keyboard's rows, the alphabet, the digits (either direction).
_SEQUENCES = ("1234567890", "qwertyuiopasdfghjklzxcvbnm", "abcdefghijklmnopqrstuvwxyz", "あいうえおかきくけこ")


def normalised(text: str) -> str:
    """NFKC, then case-folded: what every rule compares (full width and case cannot slip through)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _is_walk(text: str) -> bool:
    """Every neighbouring pair is one step along one sequence (wrapping: 9→0→1), e.g. 123456789012."""
    if len(text) < 2:
        return False
    for seq in _SEQUENCES:
        for step in (1, -1):
            if all(
                a in seq and b in seq and seq.index(b) == (seq.index(a) + step) % len(seq)
                for a, b in zip(text, text[1:], strict=False)
            ):
                return True
    return False


def _is_repeat(text: str) -> bool:
    """One chunk of at most half the length, repeated (passwordpassword, asdfasdfasdf, abab…)."""
    n = len(text)
    return any(n % k == 0 and text[:k] * (n // k) == text for k in range(1, n // 2 + 1))


def _is_common(password: str) -> bool:
    lowered = normalised(password)
    if is_listed(lowered) or _is_walk(lowered) or _is_repeat(lowered):
        return True
    # "password1234", "qwerty!!!!!!", "2024password": a common word padded is still guessed first.
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    if len(core) >= 4 and (is_listed(core) or _is_walk(core) or _is_repeat(core)):
        return True
    return len(set(lowered)) < 4  # "aaaaaaaaaaaa", "abababababab"


def _contains_name(password: str, name: str | None) -> bool:
    """The organisation's name (NFKC; spaces, punctuation and 株式会社 aside) inside the password."""
    if not name:
        return False
    core = re.sub(r"株式会社|\(株\)|[\W_]+", "", normalised(name))
    return len(core) >= 3 and core in re.sub(r"[\W_]+", "", normalised(password))


def problems(password: str, login: str, field: str = "password", org_name: str | None = None) -> list[FieldError]:
    """Every rule the password breaks, as field errors (empty when it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [FieldError(field, f"パスワードは{MIN_LENGTH}文字以上にしてください。")]
    if len(password) > MAX_LENGTH:
        return [FieldError(field, f"パスワードは{MAX_LENGTH}文字以内にしてください。")]
    if login and normalised(login) in normalised(password):
        return [FieldError(field, "ログインIDを含むパスワードは使えません。")]
    if _contains_name(password, org_name):
        return [FieldError(field, "組織名を含むパスワードは使えません。")]
    if _is_common(password):
        return [FieldError(field, "よく使われていて推測されやすいパスワードです。別のパスワードにしてください。")]
    return []
