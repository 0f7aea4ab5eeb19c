"""The completion mail (発行完了のお知らせ) for one certificate version: subject, text and HTML.

Bodies are the Jinja2 templates `templates/email/<version kind>.txt|.html`
(the .html ones autoescaped, the .txt ones not). They are given the version's
certificate content, the guarantee's form and the Net Desk URLs — never the
guarantee itself, so the 認証キー cannot reach a template even by mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib import settings
from chalicelib.domain.era import era_date
from chalicelib.render.formatting import application_number, yen
from chalicelib.render.templates import render

VERSION_KINDS = ("new", "correction", "change", "cancellation")  # one body template each

#: (form, version kind) → subject. The 新規 electronic one is the name the guide uses.
SUBJECTS = {
    ("electronic", "new"): "電子保証（認証キー）発行完了のお知らせ",
    ("electronic", "correction"): "電子保証（訂正）発行完了のお知らせ",
    ("electronic", "change"): "電子保証（変更）発行完了のお知らせ",
    ("electronic", "cancellation"): "電子保証（取消）手続き完了のお知らせ",
    ("paper", "new"): "保証証書発行完了のお知らせ",
    ("paper", "correction"): "保証証書（訂正）発行完了のお知らせ",
    ("paper", "change"): "保証証書（変更）発行完了のお知らせ",
    ("paper", "cancellation"): "保証証書（取消）手続き完了のお知らせ",
}

#: Certificate fields a reader cares about when a version changes them, in display order.
_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("contractor_name", "保証契約者 (受注者)", "text"),
    ("jv_name", "JV名", "text"),
    ("orderer_name", "発注者", "text"),
    ("project_name", "工事名", "text"),
    ("location", "工事場所", "text"),
    ("contract_amount", "請負金額", "yen"),
    ("guarantee_amount", "保証金額", "yen"),
    ("deadline", "保証期限", "date"),
    ("period_start", "工期 (始)", "date"),
    ("period_end", "工期 (至)", "date"),
    ("deposit_bank", "預託金融機関", "text"),
)


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def _show(value: Any, how: str) -> str:
    if value is None or value == "":
        return "(なし)"
    if how == "yen":
        return yen(value)
    if how == "date":
        try:
            return era_date(str(value))
        except ValueError:
            return str(value)
    return str(value)


def _tidy(text: str) -> str:
    """One blank line between paragraphs, whatever the template blocks left behind."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def changed_fields(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[Change]:
    """What differs between two versions' contents, for people (amounts in yen, era dates)."""
    if not previous:
        return []
    return [
        Change(label, _show(previous.get(key), how), _show(current.get(key), how))
        for key, label, how in _FIELDS
        if previous.get(key) != current.get(key)
    ]


def compose(
    content: dict[str, Any],
    *,
    version_kind: str,
    form: str,
    guarantee_url: str,
    previous: dict[str, Any] | None = None,
) -> Composed:
    """Render the subject and both parts for one version. `content` is the certificate content."""
    if version_kind not in VERSION_KINDS:
        raise ValueError(f"unknown version kind {version_kind!r}")
    form = "paper" if form == "paper" else "electronic"
    subject = SUBJECTS[(form, version_kind)]
    context = {
        "subject": subject,
        "certificate": content,
        "electronic": form == "electronic",
        "version_kind": version_kind,
        "guarantee_url": guarantee_url,
        "changes": changed_fields(previous, content),
        "reason": content.get("reason"),
        "issuer": content.get("issuer") or {},
        "fax": settings.current().issuer_fax,
    }
    return Composed(
        subject=subject,
        text=_tidy(render(f"email/{version_kind}.txt", **context)),
        html=render(f"email/{version_kind}.html", **context),
    )


NOTICE_KINDS = (
    "key_reissued",
    "application_rejected",
    "guarantee_expiring",  # the 保証期限 reminder
    # 提出 and 受領: to the department's address (created, changed) and to the contractor (received, returned)
    "delivery_created",
    "delivery_changed",
    "delivery_received",
    "delivery_returned",
)


def compose_notice(
    kind: str,
    *,
    addressee: str | None,
    number: str | None,
    application_id: str | None,
    project_name: str | None,
    reason: str | None,
    url: str,
    deadline: str | None = None,
    version: int | None = None,
    event: str | None = None,
    department_name: str | None = None,
) -> str:
    """The plain body of an event notice in the house style (templates/email/notice/): never a key.
    A 保証期限 reminder names its threshold in days as `reason` and the 保証期限 (和暦) as `deadline`;
    a delivery's notice also names the version, the event that brought it (`event`: change,
    key_reissued …) and the department."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice {kind!r}")
    s = settings.current()
    return _tidy(
        render(
            f"email/notice/{kind}.txt",
            addressee=addressee,
            number=number,
            application_no=application_number(application_id) if application_id else "",
            project_name=project_name,
            reason=reason,
            url=url,
            deadline=deadline,
            version=version,
            event=event,
            department_name=department_name,
            issuer=s.issuer,
            fax=s.issuer_fax,
        )
    )
