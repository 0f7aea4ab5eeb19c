"""The 保証申込 (guarantee application): normalisers and every rule of DESIGN.md §1.

Pure Python: the caller hands in what the rules need from outside (the
orderer's record as `OrdererTerms`, today's date, and the set of characters the
certificate font can draw), so the same rules run for the JSON API, the
three-step form and, through `amount_rule_errors`, for a later 変更.

`review_application(body, ...)` returns the normalised form and *every* error
of the request at once; it never raises on any input shape (wrong types are
left to the JSON Schema, and rules skip values they cannot read).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.branches import BRANCHES
from chalicelib.domain.errors import FieldError
from chalicelib.domain.fonts import undrawable_chars

PRODUCTS = ("advance_payment", "contract_guarantee")
CONTRACT_TYPES = ("construction", "design_survey")
ORDER_TYPES = ("general", "designated", "negotiated", "other")
ORDER_TYPE_LABELS = {
    "general": "一般競争入札",
    "designated": "指名競争入札",
    "negotiated": "随意契約",
    "other": "その他(見積もりあわせ等)",
}
CONTRACT_TYPE_LABELS = {"construction": "工事", "design_survey": "設計・測量等の業務"}
FORM_LABELS = {"paper": "証書(紙)", "electronic": "電子保証(認証キーを含む)"}
FEE_LABELS = {"lump_sum": "一括納付"}
RECEIPT_LABELS = {"mail": "送付", "counter": "当社窓口"}

_POSTAL = re.compile(r"^\d{3}-\d{4}$")
_DATE_FORMS = (
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
)
_DASHES = "‐‑‒–—―−－ー"


@dataclass(frozen=True)
class OrdererTerms:
    """What the rules need from an orderer's record. Rates are in tenths of 請負金額."""

    orderer_id: str
    name: str
    e_surety: bool
    advance_rate_construction: int = 4
    advance_rate_design_survey: int = 3
    intermediate_rate: int = 2
    total_advance_rate: int = 6

    def advance_rate(self, contract_type: str) -> int:
        return self.advance_rate_design_survey if contract_type == "design_survey" else self.advance_rate_construction


DEFAULT_TERMS = OrdererTerms("", "", False)


# ---------------------------------------------------------------- normalisers
# Each one is total (never raises, whatever it is given) and idempotent.


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
    import jaconv

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


# ---------------------------------------------------------------- amount rules


def amount_rule_errors(
    *,
    contract_amount: int | None,
    contract_type: str,
    terms: OrdererTerms,
    advance_amount: int | None = None,
    intermediate_amount: int | None = None,
    contract_guarantee_amount: int | None = None,
    low_bid: bool = False,
    prefix_advance: str = "advance_payment",
    prefix_contract: str = "contract_guarantee",
) -> list[FieldError]:
    """The amount limits of DESIGN.md §1, in integer arithmetic (no float rounding at the boundary).

    Reusable for a 変更 (issue 4): pass the new 請負金額 / 保証金額 and read the
    errors. Rates come from the orderer's record (`terms`), in tenths:
    - 前払金保証金額 ≤ rate/10 of 請負金額 (4 construction, 3 design_survey by default);
    - 中間前払金 ≤ intermediate_rate/10, and 前払金 + 中間前払金 ≤ total_advance_rate/10;
    - 契約保証金額 ≥ 1/10 of 請負金額 (3/10 when 低入札) and ≤ 請負金額.
    Amounts given as None are not checked; a missing 請負金額 skips every ratio.
    """
    errors: list[FieldError] = []
    if not isinstance(contract_amount, int) or contract_amount <= 0:
        return errors
    rate = terms.advance_rate(contract_type)
    if isinstance(advance_amount, int) and advance_amount * 10 > contract_amount * rate:
        limit = contract_amount * rate // 10
        label = "設計・測量等の業務" if contract_type == "design_survey" else "工事"
        errors.append(
            FieldError(
                f"{prefix_advance}.amount",
                f"前払金保証金額は請負金額の{rate}/10 ({limit:,}円) 以下にしてください ({label})。",
            )
        )
    if isinstance(intermediate_amount, int):
        if intermediate_amount * 10 > contract_amount * terms.intermediate_rate:
            limit = contract_amount * terms.intermediate_rate // 10
            errors.append(
                FieldError(
                    f"{prefix_advance}.intermediate_amount",
                    f"中間前払金は請負金額の{terms.intermediate_rate}/10 ({limit:,}円) 以下にしてください。",
                )
            )
        elif (
            isinstance(advance_amount, int)
            and (advance_amount + intermediate_amount) * 10 > contract_amount * terms.total_advance_rate
        ):
            limit = contract_amount * terms.total_advance_rate // 10
            errors.append(
                FieldError(
                    f"{prefix_advance}.intermediate_amount",
                    f"前払金と中間前払金の合計は請負金額の{terms.total_advance_rate}/10 ({limit:,}円) 以下にしてください。",
                )
            )
    if isinstance(contract_guarantee_amount, int):
        minimum_rate = 3 if low_bid else 1
        if contract_guarantee_amount * 10 < contract_amount * minimum_rate:
            floor = -(-contract_amount * minimum_rate // 10)
            why = "低入札の契約では" if low_bid else ""
            errors.append(
                FieldError(
                    f"{prefix_contract}.amount",
                    f"{why}契約保証金額は請負金額の{minimum_rate}/10 ({floor:,}円) 以上にしてください。",
                )
            )
        elif contract_guarantee_amount > contract_amount:
            errors.append(FieldError(f"{prefix_contract}.amount", "契約保証金額は請負金額以下にしてください。"))
    return errors


# ---------------------------------------------------------------- the whole application


class _Review:
    """Collects normalised values and errors; the first error of a field wins."""

    def __init__(self, charset: Collection[int] | None) -> None:
        self.errors: dict[str, FieldError] = {}
        self.charset = charset

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, FieldError(field, message))

    def ok(self, field: str) -> bool:
        return field not in self.errors

    def text(self, section: dict, name: str, field: str, *, required: bool, label: str) -> str | None:
        value = normalise_text(section.get(name))
        if value is None:
            if required:
                self.error(field, f"{label}を入力してください。")
            return None
        bad = undrawable_chars(value, self.charset) if self.charset is not None else []
        if bad:
            shown = "」「".join(bad[:5])
            self.error(field, f"「{shown}」は証書に印字できない文字です。別の文字に置き換えてください。")
        return value

    def date(self, section: dict, name: str, field: str, *, label: str, today: dt.date | None) -> str | None:
        raw = section.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.error(field, f"{label}を入力してください。")
            return None
        value = normalise_date(raw)
        if value is None:
            self.error(field, f"{label}は 2023-10-30、2023/10/30 または 20231030 の形式で、実在する日付を入力してください。")
            return None
        if today is not None and value < today.isoformat():
            self.error(field, f"{label}に過去の日付は指定できません。")
        return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def review_application(
    body: Any,
    *,
    orderer: OrdererTerms | None,
    today: dt.date,
    now: dt.datetime | None = None,
    charset: Collection[int] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Normalise an application body and check every DESIGN.md §1 rule.

    `orderer` is the record named by `project.orderer_id` (None when unknown),
    `today`/`now` are JST, `charset` holds the code points the PDF font can draw
    (None skips that check).
    Returns (normalised form, errors); the form is only meaningful without errors.
    """
    r = _Review(charset)
    body = _dict(body)
    project_in = _dict(body.get("project"))
    form: dict[str, Any] = {}

    # 請負工事の情報
    project: dict[str, Any] = {
        "name": r.text(project_in, "name", "project.name", required=True, label="工事名"),
        "orderer_id": project_in.get("orderer_id"),
        "contract_type": project_in.get("contract_type"),
        "jv_name": r.text(project_in, "jv_name", "project.jv_name", required=False, label="JV名"),
        "contract_amount": _int(project_in.get("contract_amount")),
        "period_start": r.date(project_in, "period_start", "project.period_start", label="工期(始期)", today=None),
        "period_end": r.date(project_in, "period_end", "project.period_end", label="工期(終期)", today=today),
        "location": r.text(project_in, "location", "project.location", required=True, label="工事場所"),
    }
    if project["orderer_id"] in (None, ""):
        r.error("project.orderer_id", "発注者を選択してください。")
    elif orderer is None:
        r.error("project.orderer_id", "発注者が見つかりません。一覧から選択してください。")
    if project["contract_type"] not in CONTRACT_TYPES:
        r.error("project.contract_type", "契約の種類 (工事 / 設計・測量等の業務) を選択してください。")
    if project["contract_amount"] is None or project["contract_amount"] <= 0:
        r.error("project.contract_amount", "請負金額を1円以上の整数(円)で入力してください。")
    if project["period_start"] and project["period_end"] and project["period_start"] > project["period_end"]:
        r.error("project.period_end", "工期の終期は始期と同じ日以降にしてください。")
    form["project"] = project

    terms = orderer or DEFAULT_TERMS
    e_surety = bool(orderer and orderer.e_surety)
    ctype = project["contract_type"] if project["contract_type"] in CONTRACT_TYPES else "construction"

    # 前払金保証
    ap_in = body.get("advance_payment")
    advance: dict[str, Any] | None = None
    if isinstance(ap_in, dict):
        advance = {
            "amount": _int(ap_in.get("amount")),
            "this_year_amount": _int(ap_in.get("this_year_amount")),
            "intermediate_amount": _int(ap_in.get("intermediate_amount")),
            "deposit_bank": None,
            "redeposit": bool(ap_in.get("redeposit")),
            "fee_payment": ap_in.get("fee_payment"),
            "intermediate": bool(ap_in.get("intermediate")),
            "intermediate_planned": bool(ap_in.get("intermediate_planned")),
            "form": ap_in.get("form"),
        }
        if advance["amount"] is None or advance["amount"] <= 0:
            r.error("advance_payment.amount", "前払金保証金額を1円以上の整数(円)で入力してください。")
        ty = advance["this_year_amount"]
        if ty is not None and (ty <= 0 or (project["contract_amount"] and ty > project["contract_amount"])):
            r.error("advance_payment.this_year_amount", "今年度対象額は1円以上、請負金額以下で入力してください。")
        ia = advance["intermediate_amount"]
        if ia is not None:
            if ia <= 0:
                r.error("advance_payment.intermediate_amount", "中間前払金の額は1円以上で入力してください。")
            elif not advance["intermediate"]:
                r.error("advance_payment.intermediate_amount", "中間前払金の額を入力する場合は「中間前払金あり」を選択してください。")
        if advance["intermediate_planned"] and not advance["intermediate"]:
            r.error("advance_payment.intermediate_planned", "中間前払金の請求を予定する場合は「中間前払金あり」を選択してください。")
        bank = ap_in.get("deposit_bank")
        bank_text = to_full_width(bank)
        if not bank_text:
            r.error("advance_payment.deposit_bank", "預託金融機関を入力してください。")
        else:
            narrow = half_width_leftovers(bank_text)
            if narrow:
                shown = "」「".join(dict.fromkeys(narrow))
                r.error("advance_payment.deposit_bank", f"預託金融機関は全角で入力してください (「{shown}」は使えません)。")
            else:
                bad = undrawable_chars(bank_text, charset) if charset is not None else []
                if bad:
                    r.error(
                        "advance_payment.deposit_bank",
                        f"「{'」「'.join(bad[:5])}」は証書に印字できない文字です。別の文字に置き換えてください。",
                    )
            advance["deposit_bank"] = bank_text
        if advance["fee_payment"] not in FEE_LABELS:
            r.error("advance_payment.fee_payment", "前払金保証料支払方法を選択してください。")
        _check_form(r, "advance_payment.form", advance["form"], e_surety)
    elif ap_in is not None:
        r.error("advance_payment", "前払金保証の内容が正しくありません。")
    form["advance_payment"] = advance

    # 契約保証
    cg_in = body.get("contract_guarantee")
    contract: dict[str, Any] | None = None
    if isinstance(cg_in, dict):
        contract = {
            "amount": _int(cg_in.get("amount")),
            "fee_payment": cg_in.get("fee_payment"),
            "form": cg_in.get("form"),
            "low_bid": bool(cg_in.get("low_bid")),
        }
        if contract["amount"] is None or contract["amount"] <= 0:
            r.error("contract_guarantee.amount", "契約保証金額を1円以上の整数(円)で入力してください。")
        if contract["fee_payment"] not in FEE_LABELS:
            r.error("contract_guarantee.fee_payment", "契約保証料支払方法を選択してください。")
        _check_form(r, "contract_guarantee.form", contract["form"], e_surety)
    elif cg_in is not None:
        r.error("contract_guarantee", "契約保証の内容が正しくありません。")
    form["contract_guarantee"] = contract

    if advance is None and contract is None and ap_in is None and cg_in is None:
        r.error("advance_payment", "前払金保証と契約保証の少なくとも一方を申し込んでください。")

    if r.ok("project.contract_amount"):
        for e in amount_rule_errors(
            contract_amount=project["contract_amount"],
            contract_type=ctype,
            terms=terms,
            advance_amount=advance["amount"] if advance else None,
            intermediate_amount=advance["intermediate_amount"] if advance and r.ok("advance_payment.intermediate_amount") else None,
            contract_guarantee_amount=contract["amount"] if contract else None,
            low_bid=bool(contract and contract["low_bid"]),
        ):
            r.error(e.field, e.message)

    form["bid"] = _review_bid(r, _dict(body.get("bid")))
    form["delivery"] = _review_delivery(r, _dict(body.get("delivery")), today, now)
    return form, list(r.errors.values())


def _check_form(r: _Review, field: str, value: Any, e_surety: bool) -> None:
    product = "前払金保証" if field.startswith("advance_payment") else "契約保証"
    if value not in FORM_LABELS:
        r.error(field, f"{product}の保証証書の形式 (証書(紙) / 電子保証) を選択してください。")
    elif value == "electronic" and not e_surety:
        r.error(
            field,
            f"この発注者は電子保証に対応していないため、{product}を電子保証で申し込むことはできません。"
            "証書(紙)を選択するか、電子保証対応の発注者をご確認ください。",
        )


def _review_bid(r: _Review, bid_in: dict) -> dict[str, Any]:
    bid: dict[str, Any] = {
        "order_type": bid_in.get("order_type"),
        "award_date": r.date(bid_in, "award_date", "bid.award_date", label="落札日", today=None),
        "rounds": _int(bid_in.get("rounds")),
        "bidders": _int(bid_in.get("bidders")),
        "disqualified": _int(bid_in.get("disqualified")),
        "second_bidder": r.text(bid_in, "second_bidder", "bid.second_bidder", required=False, label="二番札入札者"),
        "second_amount_k": _int(bid_in.get("second_amount_k")),
        "highest_bidder": r.text(bid_in, "highest_bidder", "bid.highest_bidder", required=False, label="最高札入札者"),
        "highest_amount_k": _int(bid_in.get("highest_amount_k")),
    }
    if bid["order_type"] not in ORDER_TYPES:
        r.error("bid.order_type", "受注区分を選択してください。")
    for name, label in (
        ("rounds", "入札回数"),
        ("bidders", "入札参加者数"),
        ("disqualified", "失格者数"),
        ("second_amount_k", "二番札入札金額"),
        ("highest_amount_k", "最高札入札金額"),
    ):
        if bid[name] is not None and bid[name] < 0:
            r.error(f"bid.{name}", f"{label}は0以上の整数で入力してください。")
    if bid["rounds"] == 0:
        r.error("bid.rounds", "入札回数は1以上で入力してください。")
    if bid["bidders"] is not None and bid["disqualified"] is not None and bid["disqualified"] > bid["bidders"]:
        r.error("bid.disqualified", "失格者数は入札参加者数以下にしてください。")
    return bid


def _review_delivery(r: _Review, d_in: dict, today: dt.date, now: dt.datetime | None) -> dict[str, Any]:
    delivery: dict[str, Any] = {
        "branch_id": d_in.get("branch_id"),
        "receipt": d_in.get("receipt"),
        "notify": bool(d_in.get("notify")),
        "receipt_date": None,
        "visit_at": None,
        "email": None,
        "mail_to": None,
    }
    if delivery["branch_id"] not in BRANCHES:
        r.error("delivery.branch_id", "申込送信先を選択してください。")
    if delivery["receipt"] == "mail":
        delivery["receipt_date"] = r.date(d_in, "receipt_date", "delivery.receipt_date", label="受取希望日", today=today)
    elif delivery["receipt"] == "counter":
        raw = d_in.get("visit_at")
        visit = normalise_datetime(raw)
        if raw in (None, ""):
            r.error("delivery.visit_at", "来店予定日時を入力してください。")
        elif visit is None:
            r.error("delivery.visit_at", "来店予定日時は 2026-12-10T10:00 の形式で入力してください。")
        elif now is not None and dt.datetime.fromisoformat(visit) < now:
            r.error("delivery.visit_at", "来店予定日時に過去の日時は指定できません。")
        delivery["visit_at"] = visit
    else:
        r.error("delivery.receipt", "受取方法 (送付 / 当社窓口) を選択してください。")

    email = normalise_text(d_in.get("email"))
    if email is not None:
        email = unicodedata.normalize("NFKC", email)
        valid = _email(email)
        if valid is None:
            r.error("delivery.email", "メールアドレスの形式が正しくありません。")
        else:
            email = valid
        delivery["email"] = email
    elif delivery["notify"]:
        r.error("delivery.email", "発行完了のお知らせを希望する場合はメールアドレスを入力してください。")

    mt_in = d_in.get("mail_to")
    if isinstance(mt_in, dict) and any(normalise_text(mt_in.get(k)) for k in ("name", "postal_code", "address")):
        mail_to = {
            "name": r.text(mt_in, "name", "delivery.mail_to.name", required=True, label="送付先の宛名"),
            "postal_code": normalise_postal_code(mt_in.get("postal_code")),
            "address": r.text(mt_in, "address", "delivery.mail_to.address", required=True, label="送付先の住所"),
        }
        if not _POSTAL.match(mail_to["postal_code"]):
            r.error("delivery.mail_to.postal_code", "郵便番号は 309-1792 のように NNN-NNNN で入力してください。")
        delivery["mail_to"] = mail_to
    elif delivery["receipt"] == "mail":
        r.error("delivery.mail_to.name", "送付の場合は保証証書送付先 (宛名・郵便番号・住所) を入力してください。")
    return delivery


def _email(address: str) -> str | None:
    """Syntax only (check_deliverability=False): no DNS inside a request."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None



# ---------------------------------------------------------------- the body's shape (API.md "Application body")


def _s(max_len: int = 200, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "maxLength": max_len}


def _i(nullable: bool = False) -> dict[str, Any]:
    return {"type": ["integer", "null"] if nullable else "integer", "minimum": 0, "maximum": 10**13}


def _obj(required: list[str], properties: dict[str, Any], nullable: bool = False) -> dict[str, Any]:
    return {
        "type": ["object", "null"] if nullable else "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


_BOOL = {"type": "boolean"}

#: JSON Schema of the body: types, presence and unknown fields. The rules above do the rest.
APPLICATION_SCHEMA: dict[str, Any] = _obj(
    ["project", "bid", "delivery"],
    {
        "project": _obj(
            ["name", "orderer_id", "contract_type", "contract_amount", "period_start", "period_end", "location"],
            {
                "name": _s(),
                "orderer_id": _s(16),
                "contract_type": {"type": "string", "enum": list(CONTRACT_TYPES)},
                "jv_name": _s(100, nullable=True),
                "contract_amount": _i(),
                "period_start": _s(20),
                "period_end": _s(20),
                "location": _s(),
            },
        ),
        "advance_payment": _obj(
            ["amount", "deposit_bank", "fee_payment", "form"],
            {
                "amount": _i(),
                "this_year_amount": _i(nullable=True),
                "intermediate_amount": _i(nullable=True),
                "deposit_bank": _s(100),
                "redeposit": _BOOL,
                "fee_payment": {"type": "string", "enum": list(FEE_LABELS)},
                "intermediate": _BOOL,
                "intermediate_planned": _BOOL,
                "form": {"type": "string", "enum": list(FORM_LABELS)},
            },
            nullable=True,
        ),
        "contract_guarantee": _obj(
            ["amount", "fee_payment", "form"],
            {
                "amount": _i(),
                "fee_payment": {"type": "string", "enum": list(FEE_LABELS)},
                "form": {"type": "string", "enum": list(FORM_LABELS)},
                "low_bid": _BOOL,
            },
            nullable=True,
        ),
        "bid": _obj(
            ["order_type", "award_date"],
            {
                "order_type": {"type": "string", "enum": list(ORDER_TYPES)},
                "award_date": _s(20),
                "rounds": _i(nullable=True),
                "bidders": _i(nullable=True),
                "disqualified": _i(nullable=True),
                "second_bidder": _s(100, nullable=True),
                "second_amount_k": _i(nullable=True),
                "highest_bidder": _s(100, nullable=True),
                "highest_amount_k": _i(nullable=True),
            },
        ),
        "delivery": _obj(
            ["branch_id", "receipt", "notify"],
            {
                "branch_id": _s(32),
                "receipt": {"type": "string", "enum": list(RECEIPT_LABELS)},
                "receipt_date": _s(20, nullable=True),
                "visit_at": _s(40, nullable=True),
                "notify": _BOOL,
                "email": _s(254, nullable=True),
                "mail_to": _obj(
                    [],
                    {"name": _s(100, nullable=True), "postal_code": _s(10, nullable=True), "address": _s(200, nullable=True)},
                    nullable=True,
                ),
            },
        ),
    },
)


#: The label people see beside each field of the form, by the body path an error names.
#: Error summaries say "label: reason" so every message says where it belongs.
FIELD_LABELS: dict[str, str] = {
    "project": "請負工事の情報",
    "project.name": "工事名",
    "project.orderer_id": "発注者",
    "project.contract_type": "契約の種類",
    "project.jv_name": "JV名",
    "project.contract_amount": "請負金額",
    "project.period_start": "工期(始期)",
    "project.period_end": "工期(終期)",
    "project.location": "工事場所",
    "advance_payment": "前払金保証",
    "advance_payment.this_year_amount": "今年度対象額",
    "advance_payment.amount": "前払金保証金額",
    "advance_payment.deposit_bank": "預託金融機関",
    "advance_payment.redeposit": "再預託利用区分",
    "advance_payment.fee_payment": "前払金保証料支払方法",
    "advance_payment.intermediate": "当該工事の中間前払金の有無",
    "advance_payment.intermediate_amount": "中間前払金の額",
    "advance_payment.intermediate_planned": "中間前払金の請求予定",
    "advance_payment.form": "前払金保証の保証証書の形式",
    "contract_guarantee": "契約保証",
    "contract_guarantee.amount": "契約保証金額",
    "contract_guarantee.fee_payment": "契約保証料支払方法",
    "contract_guarantee.low_bid": "低入札",
    "contract_guarantee.form": "契約保証の保証証書の形式",
    "bid": "入札の状況",
    "bid.order_type": "受注区分",
    "bid.award_date": "落札日",
    "bid.rounds": "入札回数",
    "bid.bidders": "入札参加者数",
    "bid.disqualified": "失格者数",
    "bid.second_bidder": "二番札入札者",
    "bid.second_amount_k": "二番札入札金額",
    "bid.highest_bidder": "最高札入札者",
    "bid.highest_amount_k": "最高札入札金額",
    "delivery": "申込送信先、保証証書受取",
    "delivery.branch_id": "申込送信先",
    "delivery.receipt": "受取方法",
    "delivery.receipt_date": "受取希望日",
    "delivery.visit_at": "来店予定日時",
    "delivery.notify": "電子保証発行完了のお知らせ",
    "delivery.email": "メールアドレス",
    "delivery.mail_to": "保証証書送付先",
    "delivery.mail_to.name": "送付先の宛名",
    "delivery.mail_to.postal_code": "郵便番号",
    "delivery.mail_to.address": "送付先の住所",
}
