"""The reason a clerk gives for a staff write (API.md "Staff: search, approvals, audit").

Reject (an application's or a 契約保証予約's), versions, reissue-key, decline and
fee-waiver take one: non-empty after trimming, at most 200 characters, else a
400 on `reason`. It is shown in the history, the mail and the audit record, so
it is checked once, here, for the JSON routes and the console's forms alike
(the message may name the decision: 却下理由, 免除の理由).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed

MAX_LENGTH = 200
FIELD = "reason"
#: The JSON Schema of a `reason` property: the shape only; `required()` decides.
SCHEMA: dict[str, Any] = {"type": ["string", "null"], "maxLength": 4096}
MESSAGE = f"理由を{MAX_LENGTH}文字以内で入力してください。"


def required(raw: Any, *, what: str = "") -> str:
    """The trimmed reason, or ValidationFailed on `reason` when it is missing, blank or too long.

    `what` names the reason in the message: "却下" → 「却下理由を200文字以内で…」."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > MAX_LENGTH:
        raise ValidationFailed([FieldError(FIELD, what + MESSAGE)])
    return text
