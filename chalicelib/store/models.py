"""PynamoDB models, one table each, as DESIGN.md §2 "Data" lists them.

Table names are resolved from the stage on every access (`_StageTable`), so a
model class can be imported before the environment is set and still talk to
the right stage's table. Every model talks through the process's one shared
DynamoDB client (`store/connection.py`), never a session of its own.

Only `store/` imports this module: services and handlers see the plain values
of `domain/records/` that the repositories beside it return.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.connection.table import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib import settings
from chalicelib.domain.orderers import DEFAULT_ORDERER
from chalicelib.store import orderer_cache
from chalicelib.store.connection import SharedConnection


class _StageTable:
    """Descriptor: `Meta.table_name` read as `<app>-<stage>-<logical>` at call time."""

    def __init__(self, logical: str) -> None:
        self.logical = logical

    def __get__(self, obj: object, owner: type | None = None) -> str:
        return settings.current().table_name(self.logical)


class _StageRegion:
    def __get__(self, obj: object, owner: type | None = None) -> str:
        return settings.current().region


def _meta(logical: str, **extra: object) -> type:
    attrs: dict[str, object] = {
        "table_name": _StageTable(logical),
        "region": _StageRegion(),
        "billing_mode": "PAY_PER_REQUEST",
    }
    attrs.update(extra)
    return type("Meta", (), attrs)


def _index(name: str) -> type:
    return type(
        "Meta",
        (),
        {"index_name": name, "projection": AllProjection(), "billing_mode": "PAY_PER_REQUEST"},
    )


class StoreModel(Model):
    """A model whose table connection sends through the shared client (store/connection.py)."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()  # rebuilt by PynamoDB when the stage's table name changes
        if not isinstance(table.connection, SharedConnection):
            shared = SharedConnection(region=table.connection.region)
            shared.add_meta_table(table.connection.get_meta_table(table.table_name))
            table.connection = shared
        return table


class AccountsByOrgIndex(GlobalSecondaryIndex):
    """An organisation's users (issue 13: many per organisation), by login."""

    Meta = _index("by_org")
    org_id = UnicodeAttribute(hash_key=True)
    login = UnicodeAttribute(range_key=True)


class AccountsByRoleIndex(GlobalSecondaryIndex):
    """Users of one role, by login: the admin console's list, and "does an admin exist"."""

    Meta = _index("by_role")
    role = UnicodeAttribute(hash_key=True)
    login = UnicodeAttribute(range_key=True)


class AccountsByDirectoryIndex(GlobalSecondaryIndex):
    """Every account under one partition, by login: the unfiltered admin list without a Scan."""

    Meta = _index("by_directory")
    directory = UnicodeAttribute(hash_key=True)
    login = UnicodeAttribute(range_key=True)


class AccountModel(StoreModel):
    """A login. `org_id` is the contractor, branch or orderer the account acts for."""

    Meta = _meta("accounts")
    login = UnicodeAttribute(hash_key=True)
    role = UnicodeAttribute()  # contractor | staff | orderer | admin
    org_id = UnicodeAttribute()
    org_name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)  # null until an invited user sets one
    # Issue 13 (accounts): absent on rows written before it, read as their defaults.
    name = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # invited | active | disabled (absent = active)
    totp_secret = UnicodeAttribute(null=True)  # staff/admin; base32
    totp_confirmed = BooleanAttribute(null=True)
    totp_last_step = NumberAttribute(null=True)  # the last accepted TOTP step: a code is good once
    directory = UnicodeAttribute(null=True)  # "user": every account under one partition
    # Issue 26: the hash of the one set-up link (invitation, reset, MFA re-enrolment) that may still
    # be used; a newer link replaces it and using it spends it, so every older link is dead.
    # Absent on rows written before: their outstanding links work until one of them is used.
    link_hash = UnicodeAttribute(null=True)
    department_id = UnicodeAttribute(null=True)  # issue 29: an orderer user bound to one department
    by_org = AccountsByOrgIndex()
    by_role = AccountsByRoleIndex()
    by_directory = AccountsByDirectoryIndex()


class SessionsByLoginIndex(GlobalSecondaryIndex):
    Meta = _index("by_login")
    login = UnicodeAttribute(hash_key=True)
    session_id = UnicodeAttribute(range_key=True)


class SessionModel(StoreModel):
    """A live session. Deleting the row is logout; TTL clears the stale ones."""

    Meta = _meta("sessions")
    session_id = UnicodeAttribute(hash_key=True)
    login = UnicodeAttribute()
    role = UnicodeAttribute()
    org_id = UnicodeAttribute()
    org_name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()
    email = UnicodeAttribute(null=True)
    by_login = SessionsByLoginIndex()  # issue 13: end every session of a user at once


class OrdererDirectoryIndex(GlobalSecondaryIndex):
    """Every orderer under one fixed partition: a small reference list, read without Scan."""

    Meta = _index("by_directory")
    directory = UnicodeAttribute(hash_key=True)
    orderer_id = UnicodeAttribute(range_key=True)


class OrdererModel(StoreModel):
    Meta = _meta("orderers")
    orderer_id = UnicodeAttribute(hash_key=True)  # JIS municipality code, e.g. 08216
    directory = UnicodeAttribute(default="orderer")
    name = UnicodeAttribute()
    e_surety = BooleanAttribute(default=False)
    # Rates in tenths of 請負金額 (DESIGN.md §1); an orderer's record may differ. A row without
    # one reads as the domain's one set of defaults.
    advance_rate_construction = NumberAttribute(default=DEFAULT_ORDERER.advance_rate_construction)
    advance_rate_design_survey = NumberAttribute(default=DEFAULT_ORDERER.advance_rate_design_survey)
    intermediate_rate = NumberAttribute(default=DEFAULT_ORDERER.intermediate_rate)
    total_advance_rate = NumberAttribute(default=DEFAULT_ORDERER.total_advance_rate)
    by_directory = OrdererDirectoryIndex()

    def save(self, *args: Any, **kwargs: Any) -> Any:
        """Writing an orderer makes this container forget its cached list (store/orderers.py)."""
        try:
            return super().save(*args, **kwargs)
        finally:
            orderer_cache.clear()


class ApplicationsByOwnerIndex(GlobalSecondaryIndex):
    Meta = _index("by_owner")
    owner_org = UnicodeAttribute(hash_key=True)
    submitted_at = UnicodeAttribute(range_key=True)


class ApplicationsByStatusIndex(GlobalSecondaryIndex):
    """The clerks' queue: submitted applications, oldest first."""

    Meta = _index("by_status")
    status = UnicodeAttribute(hash_key=True)
    submitted_at = UnicodeAttribute(range_key=True)


class ApplicationModel(StoreModel):
    Meta = _meta("applications")
    application_id = UnicodeAttribute(hash_key=True)
    owner_org = UnicodeAttribute()
    owner_login = UnicodeAttribute()
    status = UnicodeAttribute()  # submitted | issued | rejected
    submitted_at = UnicodeAttribute()
    form = JSONAttribute()
    reject_reason = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    owner_name = UnicodeAttribute(null=True)  # the contractor's name at submission (older rows lack it)
    fee_settled = BooleanAttribute(null=True)  # issue 17: set with the 保証料's payment or waiver, atomically
    guarantee_numbers = JSONAttribute(null=True)  # set in the issue transaction (issue 14: links)
    by_owner = ApplicationsByOwnerIndex()
    by_status = ApplicationsByStatusIndex()


class GuaranteesByContractorIndex(GlobalSecondaryIndex):
    Meta = _index("by_contractor")
    contractor_org = UnicodeAttribute(hash_key=True)
    issued_at = UnicodeAttribute(range_key=True)


class GuaranteesByOrdererIndex(GlobalSecondaryIndex):
    Meta = _index("by_orderer")
    orderer_id = UnicodeAttribute(hash_key=True)
    issued_at = UnicodeAttribute(range_key=True)


class GuaranteesByBranchIndex(GlobalSecondaryIndex):
    """The clerks' search (API.md `GET /api/staff/guarantees`): a branch's guarantees, newest first."""

    Meta = _index("by_branch")
    branch_id = UnicodeAttribute(hash_key=True)
    issued_at = UnicodeAttribute(range_key=True)


class GuaranteesByDeadlineIndex(GlobalSecondaryIndex):
    """The daily reminders (issue 30): the guarantees whose 保証期限 is a given day."""

    Meta = _index("by_deadline")
    deadline = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute(range_key=True)


class GuaranteeModel(StoreModel):
    """The current state of one guarantee; its history is in CertificateModel."""

    Meta = _meta("guarantees")
    number = UnicodeAttribute(hash_key=True)  # 保証契約番号
    application_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # advance_payment | contract_guarantee | contract_reservation
    form = UnicodeAttribute()  # electronic | paper
    status = UnicodeAttribute()  # valid | cancelled | used (a converted reservation); expired is derived
    contractor_org = UnicodeAttribute()
    orderer_id = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    deadline = UnicodeAttribute()  # 保証期限 (ISO date)
    auth_key = UnicodeAttribute(null=True)  # 認証キー, electronic only
    latest_version = NumberAttribute(default=1)
    details = JSONAttribute()  # parties, amounts, project: what the certificate is drawn from
    branch_id = UnicodeAttribute(null=True)  # 申込送信先 (also in details): the key of by_branch
    key_reissued_at = UnicodeAttribute(null=True)  # the latest 認証キー reissue (the inbox's key_reissued)
    # The version list and the latest content, kept with the row so a verification reads one
    # item (store/guarantees.py `summary_of`); rows written before it have none.
    summary = JSONAttribute(null=True)
    expiring_at = UnicodeAttribute(null=True)  # the latest 保証期限 reminder (latest_event: expiring)
    lock_version = VersionAttribute()
    by_contractor = GuaranteesByContractorIndex()
    by_orderer = GuaranteesByOrdererIndex()
    by_branch = GuaranteesByBranchIndex()
    by_deadline = GuaranteesByDeadlineIndex()


class CertificateModel(StoreModel):
    """One immutable version of a certificate. Its stream drives the notify trigger."""

    Meta = _meta("certificates", stream_view_type="NEW_IMAGE")
    number = UnicodeAttribute(hash_key=True)
    version = NumberAttribute(range_key=True)
    kind = UnicodeAttribute()  # new | correction | change | cancellation
    content = JSONAttribute()
    sha256 = UnicodeAttribute()
    pdf_key = UnicodeAttribute(null=True)
    key_notice_key = UnicodeAttribute(null=True)
    issued_at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class CounterModel(StoreModel):
    """Atomic serials (保証契約番号), incremented with a conditional update."""

    Meta = _meta("counters")
    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)


class IdempotencyModel(StoreModel):
    """A claimed Idempotency-Key and, once done, the answer it produced."""

    Meta = _meta("idempotency")
    key = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()  # in_progress | completed
    fingerprint = UnicodeAttribute(null=True)
    response = JSONAttribute(null=True)
    status_code = NumberAttribute(null=True)
    lease_until = NumberAttribute(default=0)  # an in_progress claim is exclusive until then (store/claims.py)
    claim_token = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class AttemptModel(StoreModel):
    """Failure counters for throttling (logins, verifications); see store/attempts.py."""

    Meta = _meta("attempts")
    key = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    window_start = NumberAttribute(null=True)
    last_at = NumberAttribute(null=True)  # when the newest slot was reserved (a full counter locks from it)
    token = UnicodeAttribute(null=True)  # the newest reservation's token: a success resets only its own
    trusted = UnicodeSetAttribute(null=True)  # hashed sources that succeeded (the soft lock lets them in)
    locked_until = NumberAttribute(null=True)  # written by the former counter; read by nothing new
    expires_at = TTLAttribute(null=True)


class NotificationModel(StoreModel):
    """One per certificate version: the point where mail is de-duplicated."""

    Meta = _meta("notifications")
    notification_id = UnicodeAttribute(hash_key=True)  # <number>#<version>
    status = UnicodeAttribute()  # claimed | sent | skipped
    lease_until = NumberAttribute(default=0)
    claim_token = UnicodeAttribute(null=True)  # who holds the lease: only its holder marks or releases it
    message_id = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class AccessLogByOrdererIndex(GlobalSecondaryIndex):
    Meta = _index("by_orderer")
    orderer_id = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)


class AccessLogModel(StoreModel):
    """Who verified what, when, with what result (閲覧履歴)."""

    Meta = _meta("access_log")
    number = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)  # ISO time + '#' + random suffix, unique
    orderer_id = UnicodeAttribute()
    login = UnicodeAttribute()
    result = UnicodeAttribute()
    by_orderer = AccessLogByOrdererIndex()


class InboxByChangeIndex(GlobalSecondaryIndex):
    """An orderer's inbox, newest change first."""

    Meta = _index("by_change")
    orderer_id = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class OrdererInboxModel(StoreModel):
    """A guarantee an orderer has verified, and the newest version it has seen (D-Sure inbox)."""

    Meta = _meta("inbox")
    orderer_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute(range_key=True)
    last_seen_version = NumberAttribute(default=0)
    changed_at = UnicodeAttribute()  # issued time of the newest version known to the inbox
    verified_at = UnicodeAttribute(null=True)
    by_change = InboxByChangeIndex()


# --- Issue 13: accounts (organisations, one-time tokens, machine clients, audit, suppressions) ---


class OrganisationsByKindIndex(GlobalSecondaryIndex):
    """Contractors and orderers under one partition, by kind then id: the admin's list, whole or of
    one kind (a `begins_with` on `kind_id`), without a Scan. Sparse: a branch or hq has no `directory`.
    One index, not one per use: CloudFormation adds a single GSI to a live table per update."""

    Meta = _index("by_kind")
    directory = UnicodeAttribute(hash_key=True)
    kind_id = UnicodeAttribute(range_key=True)


class OrganisationModel(StoreModel):
    """A contractor, orderer, branch or hq: its kind, name and whether it is disabled."""

    Meta = _meta("organisations")
    org_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # contractor | orderer | branch | hq
    name = UnicodeAttribute()
    status = UnicodeAttribute(default="active")  # active | disabled
    created_at = UnicodeAttribute(null=True)
    # Issue 23: on contractors and orderers only ("organisation", "<kind>#<org_id>"); absent on rows
    # written before it, which the admin's list does not show until they are written again.
    directory = UnicodeAttribute(null=True)
    kind_id = UnicodeAttribute(null=True)
    by_kind = OrganisationsByKindIndex()


class TokenModel(StoreModel):
    """A one-time token (invitation, reset, MFA re-enrolment, MFA login step), keyed by its SHA-256.

    The token itself is never stored. `used` makes it single use (a conditional
    update); `failures` counts wrong TOTP codes on an MFA step token.
    """

    Meta = _meta("tokens")
    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # invitation | reset | mfa_reset | mfa
    login = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds, checked on use (TTL deletion is lazy)
    ttl = TTLAttribute()
    used = BooleanAttribute(default=False)
    failures = NumberAttribute(default=0)


class ClientsByOrdererIndex(GlobalSecondaryIndex):
    Meta = _index("by_orderer")
    orderer_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class ClientsByDirectoryIndex(GlobalSecondaryIndex):
    """Every client under one partition: the admin console's list without a Scan."""

    Meta = _index("by_directory")
    directory = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class ClientModel(StoreModel):
    """A machine client (OAuth 2.0 client credentials) acting for one orderer."""

    Meta = _meta("clients")
    client_id = UnicodeAttribute(hash_key=True)
    directory = UnicodeAttribute(default="client")
    orderer_id = UnicodeAttribute()
    name = UnicodeAttribute()
    secret_hash = UnicodeAttribute()  # argon2id
    status = UnicodeAttribute(default="active")  # active | revoked
    created_at = UnicodeAttribute()
    allowed_sources = ListAttribute(of=UnicodeAttribute, null=True)  # CIDR blocks; absent = anywhere
    by_orderer = ClientsByOrdererIndex()
    by_directory = ClientsByDirectoryIndex()


class AuditModel(StoreModel):
    """Audit records (domain/audit.py). One record is several items written together:
    under `all`, under its scope (`scope#<branch>`), under its actor and under each
    number, so every filter of `GET /api/staff/audit` is one Query, newest first."""

    Meta = _meta("audit")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # <at>#<record id>
    record_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    scope = UnicodeAttribute()
    numbers = JSONAttribute(default=list)
    reason = UnicodeAttribute(null=True)


class ApprovalsByBranchIndex(GlobalSecondaryIndex):
    """A branch's 決裁 requests, newest first (GET /api/staff/approvals)."""

    Meta = _index("by_branch")
    branch_id = UnicodeAttribute(hash_key=True)
    requested_at = UnicodeAttribute(range_key=True)


class ApprovalModel(StoreModel):
    """決裁 requests (domain/approvals.py), and their pending locks.

    A request is the row `<approval id>`. While it is pending, a second row
    `pending#<番号>#<action>` (no branch, so outside the index) exists: it is put
    with the request conditioned on not existing (a second request of the same
    action → 409) and deleted with the decision, in the same transactions."""

    Meta = _meta("approvals")
    approval_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute(null=True)
    action = UnicodeAttribute(null=True)
    branch_id = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute(null=True)
    requested_at = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decline_reason = UnicodeAttribute(null=True)
    holder = UnicodeAttribute(null=True)  # on a lock row: the pending request's id
    by_branch = ApprovalsByBranchIndex()


class EventModel(StoreModel):
    """Staff events that tell people something (DESIGN.md §2: key_reissued, application_rejected):
    one row each, written in the same transaction as the change. Its stream feeds the same
    exactly-once trigger path as the completion mail (services/event_notices.py)."""

    Meta = _meta("events", stream_view_type="NEW_IMAGE")
    event_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # key_reissued | application_rejected | password_reset
    at = UnicodeAttribute()
    login = UnicodeAttribute(null=True)  # password_reset: the login as asked (it may not exist)
    expires_at = TTLAttribute(null=True)  # password_reset rows only: gone a week after the request
    number = UnicodeAttribute(null=True)
    application_id = UnicodeAttribute(null=True)
    orderer_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)  # where the notice goes; null: nobody asked for mail
    reason = UnicodeAttribute(null=True)
    project_name = UnicodeAttribute(null=True)
    addressee = UnicodeAttribute(null=True)  # the contractor a notice greets (rows before it: none)
    # Issue 29: delivery events (delivery_created, delivery_changed, delivery_received, delivery_returned)
    delivery_id = UnicodeAttribute(null=True)
    department_id = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    version_kind = UnicodeAttribute(null=True)


class SuppressionModel(StoreModel):
    """An address SES reported as bouncing or complaining: no mail goes to it."""

    Meta = _meta("suppressions")
    address = UnicodeAttribute(hash_key=True)  # lower case
    reason = UnicodeAttribute()  # bounce | complaint
    detail = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


# --- Issue 16: a form kept across a re-login ---


class DraftModel(StoreModel):
    """A form kept while its author logs in again (sealed: only the browser's cookie opens it)."""

    Meta = _meta("drafts")
    draft_hash = UnicodeAttribute(hash_key=True)  # SHA-256 of the draft id; the id itself is only in the cookie
    sealed = UnicodeAttribute()  # AES-GCM ciphertext, base64
    expires_at = TTLAttribute()


# ---------------------------------------------------------------- issue 17: 保証料 and 契約保証予約


class FeeRateModel(StoreModel):
    """One product's 保証料 rate table (bands × period tiers), loaded from chalicelib/data/fee_rates.json.

    One item per product: a quote reads the whole table of a product at once, and a
    reload replaces it whole, so a half-updated table can never be read.
    """

    Meta = _meta("fee_rates")
    product = UnicodeAttribute(hash_key=True)  # advance_payment | contract_guarantee | reservation
    table = JSONAttribute()  # the product's entry of fee_rates.json, as validated by domain/fees.py
    provenance = UnicodeAttribute(null=True)
    loaded_at = UnicodeAttribute()


class FeeModel(StoreModel):
    """The 保証料 of one application or reservation: the quote frozen at submission, then its payment or waiver."""

    Meta = _meta("fees")
    subject = UnicodeAttribute(hash_key=True)  # application#<id> | reservation#<id>
    total = NumberAttribute()
    amounts = JSONAttribute()  # {"advance_payment": yen|null, "contract_guarantee": …, "reservation": …}
    lines = JSONAttribute()  # domain.fees.FeeLine.as_dict() per product: what the 保証料計算書 prints
    quoted_at = UnicodeAttribute()
    paid_on = UnicodeAttribute(null=True)  # ISO date the payment was received
    paid_amount = NumberAttribute(null=True)
    paid_by = UnicodeAttribute(null=True)
    paid_at = UnicodeAttribute(null=True)
    waived = JSONAttribute(null=True)  # {"reason", "by", "at"}


class ReservationsByOwnerIndex(GlobalSecondaryIndex):
    Meta = _index("by_owner")
    owner_org = UnicodeAttribute(hash_key=True)
    submitted_at = UnicodeAttribute(range_key=True)


class ReservationsByStatusIndex(GlobalSecondaryIndex):
    """The clerks' queue of 契約保証予約, oldest first."""

    Meta = _index("by_status")
    status = UnicodeAttribute(hash_key=True)
    submitted_at = UnicodeAttribute(range_key=True)


class ReservationModel(StoreModel):
    """A 契約保証予約 (入札ボンド). Once issued its number also has a GuaranteeModel row
    (kind contract_reservation) so D-Sure, the certificates stream (mail) and the inbox
    treat it like a guarantee."""

    Meta = _meta("reservations")
    reservation_id = UnicodeAttribute(hash_key=True)
    owner_org = UnicodeAttribute()
    owner_login = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    status = UnicodeAttribute()  # submitted | issued | rejected | used (expired is derived)
    submitted_at = UnicodeAttribute()
    form = JSONAttribute()  # {"project", "bid_amount", "form", "delivery"} normalised
    number = UnicodeAttribute(null=True)
    valid_until = UnicodeAttribute(null=True)  # bid_date + 90 days
    issued_at = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    used_by = UnicodeAttribute(null=True)  # the application that converted it
    used_at = UnicodeAttribute(null=True)
    by_owner = ReservationsByOwnerIndex()
    by_status = ReservationsByStatusIndex()


# ---------------------------------------------------------------- issue 30: webhooks and reminders


class WebhooksByOrdererIndex(GlobalSecondaryIndex):
    Meta = _index("by_orderer")
    orderer_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class WebhookModel(StoreModel):
    """An orderer's registered receiver (API.md "Webhooks"); the secret sealed (store/sealed.py)."""

    Meta = _meta("webhooks")
    webhook_id = UnicodeAttribute(hash_key=True)
    orderer_id = UnicodeAttribute()
    department_id = UnicodeAttribute(null=True)  # registered by a user bound to a department
    url = UnicodeAttribute()
    events = JSONAttribute()  # the subscribed event types
    secret = UnicodeAttribute()  # sealed `whsec_…`, owner = the webhook id
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    by_orderer = WebhooksByOrdererIndex()


class MessagesByWebhookIndex(GlobalSecondaryIndex):
    """A webhook's delivery log, newest first."""

    Meta = _index("by_webhook")
    webhook_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class MessagesDueIndex(GlobalSecondaryIndex):
    """Sparse: only pending messages carry `due`; the sweep reads those due by now, oldest first."""

    Meta = _index("by_due")
    due = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class WebhookMessageModel(StoreModel):
    """One event for one webhook and every attempt to deliver it (the same event id each time)."""

    Meta = _meta("webhook_messages")
    message_id = UnicodeAttribute(hash_key=True)  # <webhook_id>#<event_id>
    webhook_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    body = UnicodeAttribute()  # the JSON text signed and sent
    created_at = UnicodeAttribute()
    first_due = NumberAttribute()  # epoch seconds: the 24-hour window starts here
    state = UnicodeAttribute()  # pending | delivered | failed
    attempts = NumberAttribute(default=0)
    last_status = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    delivered_at = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    due = UnicodeAttribute(null=True)  # "due" while pending (the by_due index), else absent
    due_at = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # the log keeps 30 days
    by_webhook = MessagesByWebhookIndex()
    by_due = MessagesDueIndex()


# ---------------------------------------------------------------- issue 29: 提出 and 受領


class DepartmentModel(StoreModel):
    """An orderer's departments (課), and its routing by kind on the row `#routing` (a department
    id never starts with `#`). `main` (代表) is implicit: it has no row unless it was given a mail address."""

    Meta = _meta("departments")
    orderer_id = UnicodeAttribute(hash_key=True)
    department_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    routing = JSONAttribute(null=True)  # on `#routing` only: {kind: department_id}


class DeliveriesByNumberIndex(GlobalSecondaryIndex):
    """A guarantee's deliveries (the contractor's and the clerk's view, and a new version's follow-up)."""

    Meta = _index("by_number")
    number = UnicodeAttribute(hash_key=True)
    delivery_id = UnicodeAttribute(range_key=True)


class DeliveriesByOrdererIndex(GlobalSecondaryIndex):
    """An orderer's deliveries, newest first by the time each last became `delivered`."""

    Meta = _index("by_orderer")
    orderer_id = UnicodeAttribute(hash_key=True)
    sort_at = UnicodeAttribute(range_key=True)


class DeliveriesByDepartmentIndex(GlobalSecondaryIndex):
    """One department's deliveries (`<orderer>#<department>`), newest first: a bound user's list."""

    Meta = _index("by_department")
    orderer_department = UnicodeAttribute(hash_key=True)
    sort_at = UnicodeAttribute(range_key=True)


class DeliveryModel(StoreModel):
    """A 提出 (domain/records.Delivery): every state change is a conditional write on `event_at`."""

    Meta = _meta("deliveries")
    delivery_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute()
    orderer_id = UnicodeAttribute()
    department_id = UnicodeAttribute()
    orderer_department = UnicodeAttribute()
    contractor_org = UnicodeAttribute()
    kind = UnicodeAttribute()
    version = NumberAttribute()
    latest_event = UnicodeAttribute()
    status = UnicodeAttribute()  # delivered | received | returned
    delivered_at = UnicodeAttribute()
    event_at = UnicodeAttribute()
    sort_at = UnicodeAttribute()  # <event_at>#<delivery_id>: unique, newest first
    orderer_reference = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute(null=True)
    received_by_login = UnicodeAttribute(null=True)
    returned_reason = UnicodeAttribute(null=True)
    check = JSONAttribute(null=True)
    seen = BooleanAttribute(default=False)
    history = JSONAttribute(null=True)  # [{"at", "by", "action", "version", "reason"?}], oldest first
    by_number = DeliveriesByNumberIndex()
    by_orderer = DeliveriesByOrdererIndex()
    by_department = DeliveriesByDepartmentIndex()


ALL_MODELS: dict[str, type[StoreModel]] = {
    "accounts": AccountModel,
    "sessions": SessionModel,
    "orderers": OrdererModel,
    "applications": ApplicationModel,
    "guarantees": GuaranteeModel,
    "certificates": CertificateModel,
    "counters": CounterModel,
    "idempotency": IdempotencyModel,
    "attempts": AttemptModel,
    "notifications": NotificationModel,
    "access_log": AccessLogModel,
    "inbox": OrdererInboxModel,
    "organisations": OrganisationModel,
    "tokens": TokenModel,
    "clients": ClientModel,
    "audit": AuditModel,
    "suppressions": SuppressionModel,
    "approvals": ApprovalModel,
    "events": EventModel,
    "drafts": DraftModel,
    "fee_rates": FeeRateModel,
    "fees": FeeModel,
    "reservations": ReservationModel,
    "webhooks": WebhookModel,
    "webhook_messages": WebhookMessageModel,
    "departments": DepartmentModel,
    "deliveries": DeliveryModel,
}
assert set(ALL_MODELS) == set(settings.TABLES)
