"""Every label people read for a stored value: one table per kind of value, one home for all.

Pages, mails and PDFs show the same words for the same value because they all
read these tables (templates through the Jinja global `labels`, code by
import). The keys are the values the app stores and the JSON API speaks; the
words are those of the municipality's guide (DESIGN.md). A test iterates the
enums of the schemas and fails on a value without a label here.

Where two audiences are shown different words for the same value (the
contractor's 送信済み(審査中) and the clerk's 審査待ち), there are two tables,
each named for its audience, rather than one table bent to fit both.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from chalicelib.domain.era import era_date

Labels = MappingProxyType[str, str]


def _table(entries: dict[str, str]) -> Labels:
    """Read-only, so a page cannot change what every other page shows."""
    return MappingProxyType(entries)


#: 種類: the product a guarantee is (also the certificate's 商品名, frozen in its content).
KIND: Final = _table({"advance_payment": "前払金保証", "contract_guarantee": "契約保証"})

#: 種類 of a guarantee row, which may also be an issued 契約保証予約 (issue 17): D-Sure, the inbox,
#: the mails and the detail pages read a reservation's row like a guarantee's.
GUARANTEE_KIND: Final = _table({**KIND, "contract_reservation": "契約保証予約"})

#: 種類, short: the 保証契約一覧 table's narrow column.
KIND_SHORT: Final = _table({"advance_payment": "前払", "contract_guarantee": "契約"})

#: 形式 (保証証書の形式).
FORM: Final = _table({"paper": "証書(紙)", "electronic": "電子保証(認証キーを含む)"})

#: 形式, short: a narrow table column (申込詳細's 発行された保証).
FORM_SHORT: Final = _table({"paper": "証書(紙)", "electronic": "電子保証"})

#: 状態 of an application, as the contractor sees it on Net Desk.
APPLICATION_STATUS: Final = _table({"submitted": "送信済み(審査中)", "issued": "発行済み", "rejected": "差戻し"})

#: 状態 of an application, as the clerk's queue names it (a rejected application is 差戻し for both sides,
#: so the clerk's word is the one the contractor reads).
APPLICATION_STATUS_STAFF: Final = _table({"submitted": "審査待ち", "issued": "発行済", "rejected": "差戻し"})

#: 状態 of a guarantee (domain.status.effective_status).
GUARANTEE_STATUS: Final = _table(
    {"valid": "有効", "cancelled": "取消", "expired": "期限切れ", "used": "使用済み"}  # used: a converted 契約保証予約
)

#: 版の種類: what a certificate version records.
VERSION_KIND: Final = _table({"new": "新規", "correction": "訂正", "change": "変更", "cancellation": "取消"})

#: 受注区分.
ORDER_TYPE: Final = _table(
    {
        "general": "一般競争入札",
        "designated": "指名競争入札",
        "negotiated": "随意契約",
        "other": "その他(見積もりあわせ等)",
    }
)

#: 契約の種類 (it sets the advance-payment rate: 4/10 工事, 3/10 業務).
CONTRACT_TYPE: Final = _table({"construction": "工事", "design_survey": "設計・測量等の業務"})

#: 納付方法 (前払金保証料 / 契約保証料の支払方法).
FEE_PAYMENT: Final = _table({"lump_sum": "一括納付"})

#: 受取方法 (of a paper certificate).
RECEIPT: Final = _table({"mail": "送付", "counter": "当社窓口"})

#: One row of D-Sure's 一括確認, as the orderer sees it.
VERIFY_RESULT: Final = _table(
    {
        "valid": "有効",
        "cancelled": "取消",
        "expired": "期限切れ",
        "used": "使用済み",
        "not_found": "確認できません",
        "invalid": "形式エラー",
        "locked": "ロック中",
    }
)

#: One verification in the contractor's 閲覧履歴 (the access log's results).
ACCESS_RESULT: Final = _table(
    {
        "valid": "確認(有効)",
        "cancelled": "確認(取消)",
        "expired": "確認(期限切れ)",
        "used": "確認(使用済み)",
        "not_found": "該当なし",
        "invalid": "認証キー不一致",
        "locked": "ロック中",
    }
)

#: 状態 of a 契約保証予約 (issue 17): the contractor's 契約保証予約(入札ボンド) tab and the staff pages.
RESERVATION_STATUS: Final = _table(
    {
        "submitted": "審査中",
        "issued": "発行済み",
        "rejected": "差戻し",
        "used": "保証申込で使用済み",
        "expired": "有効期限切れ",
    }
)

#: 種類 of a 保証料 line (domain/fees.py PRODUCTS): the 保証料計算書 and 申込確認.
FEE_PRODUCT: Final = _table(
    {"advance_payment": "前払金保証", "contract_guarantee": "契約保証", "reservation": "契約保証予約手数料"}
)

#: The tabs of 保証契約一覧.
LIST_TAB: Final = _table(
    {"application": "保証申込", "electronic": "電子保証(認証キー)", "bond": "契約保証予約(入札ボンド)"}
)

#: 役割 of a user (domain.accounts.ROLES): the administrator's console.
ROLE: Final = _table({"contractor": "受注者", "orderer": "発注者", "staff": "保証会社の職員", "admin": "管理者"})

#: 種別 of an organisation (records.Organisation.kind): the administrator's console.
ORG_KIND: Final = _table({"contractor": "受注者", "orderer": "発注者", "branch": "支店", "hq": "本社"})

#: 状態 of an organisation: the administrator's console.
ORG_STATUS: Final = _table({"active": "利用中", "disabled": "利用停止"})

#: 状態 of a user (domain.accounts.USER_STATUSES): the administrator's console.
USER_STATUS: Final = _table({"invited": "招待中", "active": "利用中", "disabled": "利用停止"})

#: The staff console's form fields, by the `field` an error names: errors say 「保証金額: …」, never
#: an internal path such as `changes.guarantee_amount`.
STAFF_FIELD: Final = _table(
    {
        "kind": "手続の種類",
        "changes": "変更する項目",
        "changes.guarantee_amount": "保証金額",
        "changes.contract_amount": "請負金額",
        "changes.period_end": "工期末",
        "changes.project_name": "工事名",
        "reason": "理由",
        "form": "形式",
        "status": "状態",
        "delivery.branch_id": "申込送信先",
        "project.contract_amount": "請負金額",
        "project.period_start": "工期始",
        "project.period_end": "工期末",
        "advance_payment.amount": "前払金保証金額",
        "advance_payment.form": "保証証書の形式 (前払金保証)",
        "contract_guarantee.amount": "契約保証金額",
        "contract_guarantee.form": "保証証書の形式 (契約保証)",
        "csrf_token": "画面",
    }
)

#: 操作 of an audit record (domain.audit.ACTIONS): the audit pages and their CSV export.
AUDIT_ACTION: Final = _table(
    {
        "issue": "発行",
        "reject": "差戻し",
        "version": "訂正・変更・取消",
        "fee_payment": "保証料の入金",
        "fee_waiver": "保証料の免除",
        "approval_requested": "決裁の依頼",
        "approval_approved": "決裁の承認",
        "approval_declined": "決裁の否認",
        "reservation_issue": "予約の発行",
        "reservation_reject": "予約の差戻し",
        "user_created": "利用者の登録",
        "user_disabled": "利用者の停止",
        "user_enabled": "利用者の再開",
        "user_updated": "利用者の部署の変更",
        "mfa_reset": "二要素認証の再設定",
        "org_created": "組織の登録",
        "org_disabled": "組織の停止",
        "orderer_created": "発注者の登録",
        "orderer_updated": "発注者の変更",
        "client_created": "連携クライアントの登録",
        "client_revoked": "連携クライアントの失効",
    }
)

#: 手続 of a 決裁 request (domain.approvals.ACTIONS).
APPROVAL_ACTION: Final = _table({"cancellation": "取消", "reissue_key": "認証キーの再発行"})

#: What approving a 決裁 does, shown beside the button (the confirmation of its consequences).
APPROVAL_CONSEQUENCE: Final = _table(
    {
        "cancellation": "取消の版を記録します。以後この保証は発注者の確認で「取消」と表示され、認証キーは使えなくなります。元に戻せません。",
        "reissue_key": "新しい認証キーを発行します。現在の認証キーはその時点で使えなくなり、発注者に渡した「認証キーのお知らせ」も無効になります。",
    }
)

#: An inbox item's `latest_event` (services/verify.inbox): the newest version's kind, or a key
#: reissue after it; and what the orderer should do about a reissue.
LATEST_EVENT: Final = _table({**VERSION_KIND, "key_reissued": "認証キー再発行", "expiring": "保証期限間近"})

#: 状態 of a 提出 (issue 29), as both sides see it: the contractor's 提出済 is the department's 未受領.
DELIVERY_STATUS: Final = _table({"delivered": "提出済 (未受領)", "received": "受領済", "returned": "差戻し"})

#: D-Sure's tabs of 提出一覧 (the department's words).
DELIVERY_TAB: Final = _table({"delivered": "未受領", "received": "受領済", "returned": "差戻し"})
#: A delivery's own history (D-Sure's 提出 page): what each entry did.
DELIVERY_ACTION: Final = _table(
    {"delivered": "提出", "received": "受領", "returned": "差戻し", "followed": "新しい版で未受領に"}
)
KEY_REISSUED_HINT: Final = (
    "この保証の認証キーは、前回の確認の後に再発行されました。これまでの「認証キーのお知らせ」は使えません。"
    "受注者に新しい「認証キーのお知らせ」の提出を求めてください。"
)

#: 状態 of a 決裁 request (domain.approvals.STATUSES).
#: /verify/pdf (issue 31): the signature's verdict, the document's kind and its status now.
PDF_SIGNATURE: Final = _table(
    {
        "valid": "有効 (当社の電子署名があり、署名後に変更されていません)",
        "invalid": "無効 (署名後に変更されたか、当社の署名ではありません)",
        "absent": "電子署名がありません (または PDF として読めません)",
    }
)
PDF_KIND: Final = _table(
    {
        "certificate": "保証証書",
        "key_notice": "認証キーのお知らせ",
        "reservation_certificate": "契約保証予約証書",
        "fee_statement": "保証料計算書",
    }
)
PDF_STATUS: Final = _table(
    {
        "valid": "現在有効な版です",
        "superseded": "新しい版があります (この版は最新ではありません)",
        "cancelled": "取消済みです",
        "expired": "保証期限を過ぎています",
        "used": "使用済みです (保証申込に引用されました)",
        "unknown": "確認できません",
    }
)
APPROVAL_STATUS: Final = _table({"pending": "決裁待ち", "approved": "承認済み", "declined": "否認"})
#: Why mail to an address is no longer sent (SES feedback, services/bounces.py).
UNDELIVERABLE: Final = _table(
    {
        "bounce": "配信不能: このアドレスにはメールが届きません",
        "complaint": "配信停止: 受信者から迷惑メールとして報告されました",
    }
)

#: The label people see beside each field of the 保証申込 form, by the body path an error names
#: (`domain.input_errors` makes every error summary line 「label: reason」, so it says where it belongs).
FIELD: Final = _table(
    {
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
        "contract_guarantee.reservation_number": "契約保証予約番号",
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
        # issue 17: the 契約保証予約 form and the 保証料's payment/waiver forms
        "project.bid_date": "入札日",
        "bid_amount": "入札金額",
        "form": "予約証書の形式",
        "fees": "保証料",
        "paid_on": "入金日",
    }
)

#: What each confirmed staff write does (handlers/confirm.py shows it before the clerk confirms).
CONSEQUENCE: Final = _table(
    {
        "issue": "保証契約番号と認証キーを採番し、保証証書を発行します。発行は取り消せません"
        "(取消は決裁を経て取消の版を記録する手続です)。受注者に発行のお知らせが届きます。",
        "reject": "申込を差戻します。受注者には理由とともにお知らせが届き、この申込は発行できなくなります。元に戻せません。",
        "payment": "保証料の入金を記録します。記録の後は入金額・入金日を変更できず、保証証書を発行できるようになります。",
        "waiver": "保証料を免除します。免除の後は入金を記録できず、保証証書を発行できるようになります。元に戻せません。",
        "reservation_issue": "予約番号と認証キーを採番し、契約保証予約証書を発行します。発行は取り消せません。",
        "reservation_reject": "契約保証予約を差戻します。受注者には理由が表示され、この予約は発行できなくなります。元に戻せません。",
        "cancellation": "取消を依頼します (別の職員の決裁を経て実行されます)。" + APPROVAL_CONSEQUENCE["cancellation"],
        "change": "新しい版を記録します。発注者の確認にも新しい版が表示されます。",
        "correction": "新しい版を記録します。発注者の確認にも新しい版が表示されます。",
        "approve": "依頼された手続をいま実行します。元に戻せません。",
        "decline": "依頼を否認します。手続は実行されず、依頼者は改めて依頼できます。",
    }
)

#: The feedback on a result page after a confirmed write (`?done=…`, handlers/staff.py).
DONE: Final = _table(
    {
        "reject": "申込を差戻しました。",
        "payment": "保証料の入金を記録しました。",
        "waiver": "保証料の免除を記録しました。",
        "reservation_reject": "契約保証予約を差戻しました。",
        "correction": "訂正の版を記録しました。",
        "change": "変更の版を記録しました。",
        "cancellation": "取消を依頼しました。別の職員の決裁 (承認) を待っています。",
        "reissue_requested": "認証キーの再発行を依頼しました。別の職員の決裁 (承認) を待っています。",
        "decline": "決裁を否認しました。手続は実行されていません。",
    }
)


def fee_state(fees: dict | None) -> str:
    """未入金 / 入金済 (令和…の日付) / 免除: a 保証料's state as people read it."""
    if not fees:
        return ""
    if fees.get("paid_on"):
        return f"入金済 {era_date(fees['paid_on'])}"
    return "免除" if fees.get("waived") else "未入金"


#: Issue 30: a webhook's event types (API.md "Webhooks"), a delivery's state and why an attempt failed.
WEBHOOK_EVENT: Final = _table(
    {
        "delivery.created": "提出があった",
        "guarantee.changed": "訂正・変更があった",
        "guarantee.cancelled": "取消があった",
        "guarantee.key_reissued": "認証キーを再発行した",
        "guarantee.expiring": "保証期限が近い",
        "ping": "テスト送信",
    }
)
WEBHOOK_STATE: Final = _table({"pending": "送信待ち", "delivered": "送信済み", "failed": "失敗 (再送終了)"})
WEBHOOK_ERROR: Final = _table(
    {
        "timeout": "応答なし (5 秒)",
        "connection": "接続できない",
        "refused_target": "送信先が公開アドレスでない",
        "redirect": "リダイレクト (追わない)",
    }
)
