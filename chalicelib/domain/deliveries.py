"""提出 and 受領 (API.md): departments, routing by kind, the delivery's states, and the check of a
certificate against the orderer's own contract record (DESIGN.md §1 rules). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed

MAIN = "main"
MAIN_NAME = "代表"
DEPARTMENT_ID = re.compile(r"^[a-z0-9-]{1,32}$")
ROUTED_KINDS = ("advance_payment", "contract_guarantee", "contract_reservation")
STATUSES = ("delivered", "received", "returned")
MAX_REFERENCE = 40
MAX_MESSAGE = 200
MAX_REASON = 200

FINDING_CODES = (
    "contract_amount_mismatch",
    "period_end_after_deadline",
    "advance_ratio",
    "intermediate_ratio",
    "contract_guarantee_ratio",
    "orderer_mismatch",
)


def delivery_id(number: str, department_id: str) -> str:
    """One delivery per guarantee and department: delivering again finds the same one."""
    return "d-" + hashlib.sha256(f"{number}#{department_id}".encode()).hexdigest()[:20]


def routed(routing: dict[str, str], kind: str) -> str:
    """The department a kind goes to (`main` unless the orderer routes it elsewhere)."""
    return routing.get(kind) or MAIN


def full_routing(routing: dict[str, str]) -> dict[str, str]:
    """The routing object as the API shows it: every kind, unset ones as `main`."""
    return {kind: routed(routing, kind) for kind in ROUTED_KINDS}


def check_routing(body: dict[str, Any], known: set[str]) -> dict[str, str]:
    """A routing body: every named department must exist (400 on that kind); unset kinds are `main`."""
    errors = [
        FieldError(kind, "登録されていない部署です。")
        for kind in ROUTED_KINDS
        if body.get(kind) is not None and body[kind] not in known
    ]
    if errors:
        raise ValidationFailed(errors)
    return {kind: body[kind] for kind in ROUTED_KINDS if body.get(kind) and body[kind] != MAIN}


def delivery_text(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """工事番号 (≤ 40) and message (≤ 200), trimmed; empty is none."""
    reference = (body.get("orderer_reference") or "").strip() or None
    message = (body.get("message") or "").strip() or None
    errors = []
    if reference and (len(reference) > MAX_REFERENCE or not reference.isprintable()):
        errors.append(
            FieldError("orderer_reference", f"工事番号等は{MAX_REFERENCE}文字以内で入力してください。", "too_long")
        )
    if message and len(message) > MAX_MESSAGE:
        errors.append(FieldError("message", f"連絡事項は{MAX_MESSAGE}文字以内で入力してください。", "too_long"))
    if errors:
        raise ValidationFailed(errors)
    return reference, message


HISTORY_KEPT = 50  # a delivery's own record: the newest entries (a guarantee has a handful of versions)
HISTORY_ACTIONS = ("delivered", "received", "returned", "followed")


def noted(
    history: tuple[dict[str, Any], ...],
    action: str,
    *,
    at: str,
    by: str | None,
    version: int,
    reason: str | None = None,
    event: str | None = None,
) -> tuple[dict[str, Any], ...]:
    """`history` with one more entry: who (a login, `client:<id>`, or None for the system), when, what
    (a 差戻し's `reason`; the `event` — change, key_reissued … — a followed version brought)."""
    if action not in HISTORY_ACTIONS:
        raise ValueError(f"unknown delivery action {action!r}")
    entry: dict[str, Any] = {"at": at, "by": by, "action": action, "version": version}
    if reason:
        entry["reason"] = reason
    if event:
        entry["event"] = event
    return (*history, entry)[-HISTORY_KEPT:]


def return_reason(raw: Any) -> str:
    reason = (raw or "").strip() if isinstance(raw, str) else ""
    if not reason:
        raise ValidationFailed([FieldError("reason", "差戻しの理由を入力してください。", "required")])
    if len(reason) > MAX_REASON:
        raise ValidationFailed([FieldError("reason", f"理由は{MAX_REASON}文字以内で入力してください。", "too_long")])
    return reason


@dataclass(frozen=True)
class Terms:
    """What the check needs beyond the certificate: the orderer's rates and the contract's kind."""

    orderer_id: str
    advance_tenths: int = 4
    intermediate_tenths: int = 2
    low_bid: bool = False


def _finding(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _ratio_findings(kind: str, guarantee: int, contract: int, cert: dict[str, Any], terms: Terms) -> list[dict]:
    out = []
    if contract <= 0:
        return out
    if kind == "advance_payment" and guarantee * 10 > contract * terms.advance_tenths:
        out.append(
            _finding(
                "guarantee_amount",
                "advance_ratio",
                f"前払金保証金額が請負金額の{terms.advance_tenths}/10を超えています。",
            )
        )
    intermediate = cert.get("intermediate_amount")
    if (
        kind == "advance_payment"
        and isinstance(intermediate, int)
        and intermediate * 10 > contract * terms.intermediate_tenths
    ):
        out.append(
            _finding(
                "intermediate_amount",
                "intermediate_ratio",
                f"中間前払金が請負金額の{terms.intermediate_tenths}/10を超えています。",
            )
        )
    floor = 3 if terms.low_bid else 1
    if kind == "contract_guarantee" and guarantee * 10 < contract * floor:
        out.append(
            _finding("guarantee_amount", "contract_guarantee_ratio", f"契約保証金額が請負金額の{floor}/10未満です。")
        )
    return out


def check(cert: dict[str, Any], record: dict[str, Any], terms: Terms) -> dict[str, Any]:
    """The certificate (its latest content) against the orderer's contract record: `{ok, findings}`.

    The ratios use the record's 請負金額 when given, else the certificate's; 保証期限 must be on or
    after the record's 工期末 (保証期限 = 工期末, DESIGN.md §1); the certificate must name this orderer.
    A 契約保証予約's certificate names no 請負金額: only its 保証期限 and orderer are checked.
    """
    findings: list[dict[str, str]] = []
    kind = cert.get("kind") or ""
    cert_amount = int(cert.get("contract_amount") or 0)
    record_amount = record.get("contract_amount")
    if record_amount is not None and "contract_amount" in cert and record_amount != cert_amount:
        findings.append(
            _finding(
                "contract_amount",
                "contract_amount_mismatch",
                f"請負金額が契約の記録 ({record_amount:,}円) と異なります (保証証書: {cert_amount:,}円)。",
            )
        )
    deadline = cert.get("deadline") or ""
    period_end = record.get("period_end")
    if period_end and deadline and period_end > deadline:
        findings.append(
            _finding(
                "period_end",
                "period_end_after_deadline",
                f"工期末 ({period_end}) が保証期限 ({deadline}) より後です。",
            )
        )
    contract = record_amount if record_amount is not None else cert_amount
    findings += _ratio_findings(kind, int(cert.get("guarantee_amount") or 0), contract, cert, terms)
    if cert.get("orderer_id") != terms.orderer_id:
        findings.append(_finding("orderer_id", "orderer_mismatch", "保証証書の発注者がこの発注者ではありません。"))
    return {"ok": not findings, "findings": findings}


#: What a department is told changed between two versions of a certificate (label, how it is shown).
CHANGED_FIELDS = (
    ("project_name", "工事名", "text"),
    ("contract_amount", "請負金額", "yen"),
    ("guarantee_amount", "保証金額", "yen"),
    ("period_end", "工期末", "text"),
    ("deadline", "保証期限", "text"),
)


def _shown(value: Any, how: str) -> str:
    if value is None:
        return "なし"
    return f"{value:,}円" if how == "yen" and isinstance(value, int) else str(value)


def what_changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """The lines `項目: 前 → 後` for every field that differs between two versions' contents."""
    if not before or not after:
        return ""
    return "\n".join(
        f"{label}: {_shown(before.get(name), how)} → {_shown(after.get(name), how)}"
        for name, label, how in CHANGED_FIELDS
        if before.get(name) != after.get(name)
    )
