"""The access log (閲覧履歴): one row per verification attempt, never the key."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.records import AccessLogEntry
from chalicelib.store import paging
from chalicelib.store.models import AccessLogModel

BAD_CURSOR = FieldError("cursor", "cursor が正しくありません。最初のページからやり直してください。")
_KEYS = {"number", "at"}


def _record(row: AccessLogModel) -> AccessLogEntry:
    return AccessLogEntry(number=row.number, at=row.at, orderer_id=row.orderer_id, login=row.login, result=row.result)


def append(entry: AccessLogEntry) -> None:
    AccessLogModel(entry.number, entry.at, orderer_id=entry.orderer_id, login=entry.login, result=entry.result).save()


def for_number(number: str, limit: int, cursor: str | None) -> tuple[list[AccessLogEntry], str | None]:
    """Attempts on one 保証契約番号, newest first; a cursor of another list is a 400."""

    def run(start: dict[str, Any] | None, size: int) -> Any:
        valid = start is None or (
            set(start) == _KEYS
            and all(paging.is_string_value(v) for v in start.values())
            and start["number"]["S"] == number
        )
        if not valid:
            raise ValidationFailed([BAD_CURSOR])
        return AccessLogModel.query(
            number, scan_index_forward=False, limit=size, page_size=size, last_evaluated_key=start
        )

    return paging.page(run, limit, cursor, convert=_record)
