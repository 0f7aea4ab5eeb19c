"""Schemas the OpenAPI document names once (`components.schemas`) and routes refer to.

A route declares `ERRORS` (or nothing) for an error status and gets the one shared error body;
`ref(name)` points at any schema below. Names are chosen so a generated client's models do not
collide (API.md: `ApplicationDelivery`, `Handover`, `WebhookAttempt`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import webhooks as webhook_rules
from chalicelib.domain.application import APPLICATION_SCHEMA
from chalicelib.domain.audit import ACTIONS as AUDIT_ACTIONS
from chalicelib.domain.errors import ERROR_CODES
from chalicelib.domain.reservation import RESERVATION_SCHEMA


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null (OpenAPI 3.1: a type list, or oneOf for a reference)."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) else schema


#: API.md's error body: every route's 4xx/5xx answer.
ERRORS = ref("Errors")

FEES = {
    "type": "object",
    "description": "保証料 (円)。送信時に確定し、入金・免除が記録される",
    "properties": {
        "advance_payment": {"type": ["integer", "null"]},
        "contract_guarantee": {"type": ["integer", "null"]},
        "reservation": {"type": ["integer", "null"]},
        "total": {"type": "integer"},
        "paid_on": {"type": ["string", "null"], "format": "date"},
        "waived": nullable(
            {
                "type": "object",
                "properties": {"reason": {"type": "string"}, "by": {"type": "string"}, "at": {"type": "string"}},
            }
        ),
    },
}

STRING = {"type": "string"}
STRING_OR_NULL = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
INTEGER_OR_NULL = {"type": ["integer", "null"]}


def enum(values: Any, *, null: bool = False) -> dict[str, Any]:
    listed = {"type": "string", "enum": list(values)}
    return {"oneOf": [listed, {"type": "null"}]} if null else listed


def obj(properties: dict[str, Any], required: Any = None) -> dict[str, Any]:
    """An object of these properties, all of them always present unless `required` says otherwise."""
    return {"type": "object", "required": list(properties if required is None else required), "properties": properties}


def paged(items: dict[str, Any]) -> dict[str, Any]:
    """API.md's list: `{"items": [...], "next_cursor": "…"|null}`."""
    return obj({"items": {"type": "array", "items": items}, "next_cursor": STRING_OR_NULL})


def items(item: dict[str, Any]) -> dict[str, Any]:
    """A small reference list: `{"items": [...]}` (no paging)."""
    return obj({"items": {"type": "array", "items": item}})


GUARANTEE_KINDS = ("advance_payment", "contract_guarantee", "contract_reservation")
#: What a guarantee's status can be when read (`used`: a 契約保証予約 converted into an application).
GUARANTEE_STATUSES = ("valid", "cancelled", "expired", "used")
VERSION_KINDS = ("new", "correction", "change", "cancellation")
LATEST_EVENTS = (*VERSION_KINDS, "key_reissued", "expiring")
DELIVERY_STATUSES = ("delivered", "received", "returned")
DELIVERY_FINDINGS = (
    "contract_amount_mismatch",
    "period_end_after_deadline",
    "advance_ratio",
    "intermediate_ratio",
    "contract_guarantee_ratio",
    "orderer_mismatch",
)
FORMS = ("electronic", "paper")
WEBHOOK_EVENT_TYPES = webhook_rules.EVENT_TYPES
WEBHOOK_TYPES = webhook_rules.ALL_TYPES
WEBHOOK_STATES = webhook_rules.STATES
WEBHOOK_ERRORS = webhook_rules.ERRORS
ROLES = ("contractor", "staff", "orderer", "admin")


_NESTED: dict[str, dict[str, Any]] = {}


def _answered(section: dict[str, Any], component: str) -> dict[str, Any]:
    """A body section as a read answers it: the same fields, normalised, none required; a nested object
    becomes a component of its own (`ApplicationDelivery` → `ApplicationDeliveryMailTo`), referred to
    as nullable (generators choke on a nullable object inside another)."""
    props = {}
    for name, value in section["properties"].items():
        if "properties" in value:
            inner = component + "".join(part.title() for part in name.split("_"))
            _NESTED[inner] = _answered(value, inner)
            props[name] = nullable(ref(inner))
        else:
            props[name] = value
    return {"type": "object", "properties": props}


_APP = APPLICATION_SCHEMA["properties"]
#: An application's sections, by component name (API.md: the 申込送信先 section is ApplicationDelivery).
APPLICATION_SECTIONS = {
    "project": "ApplicationProject",
    "advance_payment": "ApplicationAdvancePayment",
    "contract_guarantee": "ApplicationContractGuarantee",
    "bid": "ApplicationBid",
    "delivery": "ApplicationDelivery",
}
APPLICATION = obj(
    {
        "id": STRING,
        "status": enum(("submitted", "issued", "rejected")),
        "submitted_at": STRING,
        **{name: nullable(ref(component)) for name, component in APPLICATION_SECTIONS.items()},
        "fees": ref("Fees"),
        "reject_reason": STRING_OR_NULL,
        "decided_at": STRING_OR_NULL,
        "email_undeliverable": enum(("bounce", "complaint"), null=True),  # the notice's address bounced
        "owner_org": {"type": "string", "description": "職員の一覧のみ"},
        "owner_name": {"type": ["string", "null"], "description": "職員の一覧のみ"},
        "guarantee_numbers": {"type": "array", "items": STRING, "description": "職員の一覧のみ"},
    },
    ["id", "status", "submitted_at", *APPLICATION_SECTIONS],
)

_SECTIONS = {component: _answered(_APP[name], component) for name, component in APPLICATION_SECTIONS.items()}
_RESERVATION_PROJECT = _answered(RESERVATION_SCHEMA["properties"]["project"], "ReservationProject")

# Issue 30: webhooks (API.md "Webhooks")
WEBHOOK = obj(
    {
        "webhook_id": STRING,
        "url": STRING,
        "events": {"type": "array", "items": enum(WEBHOOK_EVENT_TYPES)},
        "department_id": STRING_OR_NULL,
        "created_at": STRING,
    }
)
WEBHOOK_ATTEMPT = obj(
    {
        "event_id": STRING,
        "type": enum(WEBHOOK_TYPES),
        "state": enum(WEBHOOK_STATES),
        "attempts": INTEGER,
        "last_status": INTEGER_OR_NULL,
        "last_error": enum(WEBHOOK_ERRORS, null=True),
        "delivered_at": STRING_OR_NULL,
        "next_attempt_at": STRING_OR_NULL,
    }
)
WEBHOOK_EVENT = obj(
    {
        "id": {"type": "string", "description": "webhook-id ヘッダーと同じ。再送しても同じ"},
        "type": enum(WEBHOOK_TYPES),
        "created_at": STRING,
        "data": {
            "type": "object",
            "description": "ping では {}。認証キーは決して含まない",
            "properties": {
                "number": STRING,
                "version": INTEGER,
                "kind": enum(GUARANTEE_KINDS),
                "version_kind": enum(VERSION_KINDS, null=True),
                "delivery_id": STRING_OR_NULL,
                "deadline": {"type": "string", "format": "date"},
            },
        },
    }
)

COMPONENTS: dict[str, dict[str, Any]] = {
    **_SECTIONS,
    **_NESTED,
    "ReservationProject": _RESERVATION_PROJECT,
    "Application": APPLICATION,
    "ErrorItem": {
        "type": "object",
        "required": ["field", "code", "message"],
        "properties": {
            "field": {
                "type": ["string", "null"],
                "description": "誤りのある項目 (ドット区切り)。項目によらない誤りは null",
            },
            "code": {"type": "string", "enum": list(ERROR_CODES), "description": "安定した誤りの種別"},
            "message": {"type": "string", "description": "日本語の説明"},
        },
    },
    "Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {"errors": {"type": "array", "minItems": 1, "items": ref("ErrorItem")}},
    },
    "Fees": FEES,
    "Webhook": WEBHOOK,
    "WebhookAttempt": WEBHOOK_ATTEMPT,
    "WebhookEvent": WEBHOOK_EVENT,
    "Session": obj(
        {
            "token": STRING,
            "role": enum(ROLES),
            "org_id": STRING,
            "name": STRING,
            "mfa_required": {"type": "boolean", "description": "職員・管理者: POST /api/session/mfa が続く"},
            "mfa_token": STRING,
        },
        [],
    ),
    "Version": obj(
        {
            "version": INTEGER,
            "kind": enum(VERSION_KINDS),
            "issued_at": STRING,
            "sha256": STRING,
            "reason": STRING_OR_NULL,
        },
        ["version", "kind", "issued_at", "sha256"],
    ),
    "GuaranteeListItem": obj(
        {
            "number": STRING,
            "kind": enum(GUARANTEE_KINDS),
            "form": enum(FORMS),
            "status": enum(GUARANTEE_STATUSES),
            "orderer_id": STRING,
            "orderer_name": STRING_OR_NULL,
            "project_name": STRING_OR_NULL,
            "contract_amount": INTEGER_OR_NULL,
            "guarantee_amount": INTEGER_OR_NULL,
            "issued_at": {"type": "string", "format": "date-time"},
            "contractor_id": {"type": "string", "description": "職員の検索のみ"},
            "contractor_name": {"type": ["string", "null"], "description": "職員の検索のみ"},
        },
        ["number", "kind", "form", "status", "orderer_id", "issued_at"],
    ),
    "Guarantee": obj(
        {
            "number": STRING,
            "kind": enum(GUARANTEE_KINDS),
            "form": enum(FORMS),
            "status": enum(GUARANTEE_STATUSES),
            "contractor_name": STRING_OR_NULL,
            "jv_name": STRING_OR_NULL,
            "project_name": STRING_OR_NULL,
            "orderer_id": STRING,
            "orderer_name": STRING_OR_NULL,
            "contract_amount": INTEGER_OR_NULL,
            "guarantee_amount": INTEGER_OR_NULL,
            "deposit_bank": STRING_OR_NULL,
            "deadline": {"type": ["string", "null"], "format": "date"},
            "auth_key": {"type": ["string", "null"], "description": "電子のみ (取消後は null)"},
            "versions": {"type": "array", "items": ref("Version")},
            "contractor_id": {"type": "string", "description": "職員のみ"},
            "application_id": {"type": ["string", "null"], "description": "職員のみ"},
            "period_start": {"type": ["string", "null"], "description": "職員のみ"},
            "period_end": {"type": ["string", "null"], "description": "職員のみ"},
            "deliveries": {"type": "array", "items": ref("Handover"), "description": "職員のみ: 提出"},
        },
        ["number", "kind", "form", "status", "orderer_id", "auth_key", "versions"],
    ),
    # Issue 29: 提出 and 受領
    "DeliveryFinding": obj(
        {"field": STRING, "code": enum(DELIVERY_FINDINGS), "message": STRING}, ["field", "code", "message"]
    ),
    "DeliveryCheck": obj(
        {"ok": {"type": "boolean"}, "findings": {"type": "array", "items": ref("DeliveryFinding")}},
        ["ok", "findings"],
    ),
    "Handover": obj(
        {
            "delivery_id": STRING,
            "number": STRING,
            "version": INTEGER,
            "department_id": STRING,
            "department_name": STRING,
            "status": enum(DELIVERY_STATUSES),
            "delivered_at": STRING,
            "received_at": STRING_OR_NULL,
            "received_by": {"type": ["string", "null"], "description": "受領した部署の名称"},
            "returned_reason": STRING_OR_NULL,
            "check": nullable(ref("DeliveryCheck")),
        },
        ["delivery_id", "number", "version", "department_id", "department_name", "status", "delivered_at"],
    ),
    "OrdererDelivery": obj(
        {
            "delivery_id": STRING,
            "number": STRING,
            "kind": enum(GUARANTEE_KINDS),
            "version": INTEGER,
            "latest_event": enum(LATEST_EVENTS),
            "contractor_name": STRING_OR_NULL,
            "project_name": STRING_OR_NULL,
            "guarantee_amount": INTEGER_OR_NULL,
            "deadline": STRING_OR_NULL,
            "orderer_reference": STRING_OR_NULL,
            "message": STRING_OR_NULL,
            "department_id": STRING,
            "department_name": STRING,
            "status": enum(DELIVERY_STATUSES),
            "delivered_at": STRING,
            "received_at": STRING_OR_NULL,
            "received_by": STRING_OR_NULL,
            "returned_reason": STRING_OR_NULL,
            "seen": {"type": "boolean"},
            "auth_key": {"type": ["string", "null"], "description": "1件の取得のみ"},
            "received_by_login": {"type": ["string", "null"], "description": "1件の取得のみ (client:<id> も)"},
            "check": nullable(ref("DeliveryCheck")),
            "verification": ref("Verification"),
        },
        ["delivery_id", "number", "kind", "version", "latest_event", "department_id", "status", "delivered_at", "seen"],
    ),
    "Department": obj(
        {"id": STRING, "name": STRING, "email": {"type": ["string", "null"], "description": "管理者のみ"}},
        ["id", "name"],
    ),
    "Routing": obj(
        {"advance_payment": STRING, "contract_guarantee": STRING, "contract_reservation": STRING},
        ["advance_payment", "contract_guarantee", "contract_reservation"],
    ),
    "Certificate": {
        "type": "object",
        "description": "保証証書の内容 (発行したとおり; 種類により項目が異なる)",
        "properties": {
            "number": STRING,
            "kind": enum(GUARANTEE_KINDS),
            "version": INTEGER,
            "version_kind": enum(VERSION_KINDS),
        },
        "additionalProperties": True,
    },
    "Verification": obj(
        {
            "status": enum(GUARANTEE_STATUSES),
            "kind": enum(GUARANTEE_KINDS),
            "certificate": ref("Certificate"),
            "versions": {"type": "array", "items": ref("Version")},
            "sha256": STRING,
            "pdf_url": STRING_OR_NULL,
        }
    ),
    "Reservation": obj(
        {
            "id": STRING,
            "status": enum(("submitted", "issued", "rejected", "used", "expired")),
            "number": STRING_OR_NULL,
            "form": enum(FORMS),
            "project": ref("ReservationProject"),
            "bid_amount": INTEGER,
            "delivery": ref("ApplicationDelivery"),
            "fees": ref("Fees"),
            "submitted_at": STRING,
            "issued_at": STRING_OR_NULL,
            "valid_until": STRING_OR_NULL,
            "reject_reason": STRING_OR_NULL,
        }
    ),
    "Approval": obj(
        {
            "approval_id": STRING,
            "status": enum(("pending", "approved", "declined")),
            "action": enum(("cancellation", "reissue_key")),
            "number": STRING,
            "requested_by": STRING,
            "requested_at": STRING,
            "reason": STRING_OR_NULL,
            "decided_by": STRING_OR_NULL,
            "decided_at": STRING_OR_NULL,
            "decline_reason": STRING_OR_NULL,
        }
    ),
    "User": obj(
        {
            "login": STRING,
            "name": STRING_OR_NULL,
            "email": STRING_OR_NULL,
            "role": enum(ROLES),
            "org_id": STRING,
            "status": enum(("invited", "active", "disabled")),
            "department_id": {"type": ["string", "null"], "description": "発注者の利用者の部署 (null: すべて)"},
        }
    ),
    "Organisation": obj(
        {
            "id": STRING,
            "kind": enum(("contractor", "orderer")),
            "name": STRING,
            "status": enum(("active", "disabled")),
            "e_surety": {"type": "boolean", "description": "発注者のみ"},
        },
        ["id", "kind", "name", "status"],
    ),
    "AdminOrderer": obj({"id": STRING, "name": STRING, "e_surety": {"type": "boolean"}}),
    "MachineClient": obj(
        {
            "client_id": STRING,
            "orderer_id": STRING,
            "name": STRING,
            "created_at": STRING,
            "allowed_sources": {
                "type": "array",
                "items": STRING,
                "description": "接続元の範囲 (CIDR)。束縛したクライアントだけ",
            },
        },
        required=["client_id", "orderer_id", "name", "created_at"],
    ),
    "AuditRecord": obj(
        {
            "at": STRING,
            "actor": STRING,
            "action": enum(sorted(AUDIT_ACTIONS)),
            "target": STRING,
            "numbers": {"type": "array", "items": STRING},
            "reason": STRING_OR_NULL,
        }
    ),
    "OAuthError": {
        "type": "object",
        "description": "RFC 6749 §5.2 の error と、API の errors",
        "required": ["error", "errors"],
        "properties": {
            "error": {"type": "string", "enum": ["invalid_request", "unsupported_grant_type", "invalid_client"]},
            "error_description": {"type": "string"},
            "errors": {"type": "array", "minItems": 1, "items": ref("ErrorItem")},
        },
    },
}
