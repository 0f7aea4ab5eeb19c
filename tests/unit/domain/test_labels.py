"""Issue 10 item 5: one `labels` module — every value the app can produce has a label, and only one home.

The enums come from the schemas the routes enforce and publish (the endpoint
registry that builds /api/openapi.json) and from the domain's own value tuples,
so a new value added anywhere without a label fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain import accounts, application, labels
from chalicelib.render import mail
from tests.conftest import ROOT

#: Which label tables must name each enumerated field's values. Each entry is a list of
#: alternatives; an alternative is the tables that must *all* cover the values (a status
#: of an application is shown to the contractor and to the clerk, each in their words).
FIELD_TABLES: dict[str, list[tuple[Mapping[str, str], ...]]] = {
    "kind": [
        (labels.KIND, labels.KIND_SHORT),
        (labels.GUARANTEE_KIND,),
        (labels.VERSION_KIND,),
        (labels.ROLE,),
        (labels.PDF_KIND,),
    ],
    "version_kind": [(labels.VERSION_KIND,)],
    "email_undeliverable": [(labels.UNDELIVERABLE,)],
    "latest_version_kind": [(labels.VERSION_KIND,)],
    "latest_event": [(labels.LATEST_EVENT,)],  # issue 14: a version's kind, or key_reissued
    "form": [(labels.FORM,)],
    "status": [
        (labels.APPLICATION_STATUS, labels.APPLICATION_STATUS_STAFF),
        (labels.GUARANTEE_STATUS,),
        (labels.RESERVATION_STATUS,),
        (labels.APPROVAL_STATUS,),
        (labels.USER_STATUS,),
        (labels.DELIVERY_STATUS, labels.DELIVERY_TAB),
        (labels.PDF_STATUS,),  # POST /api/verify/pdf: the document's state
    ],
    "action": [(labels.APPROVAL_ACTION,), (labels.AUDIT_ACTION,)],
    "result": [(labels.VERIFY_RESULT, labels.ACCESS_RESULT)],
    "fee_payment": [(labels.FEE_PAYMENT,)],
    "order_type": [(labels.ORDER_TYPE,)],
    "receipt": [(labels.RECEIPT,)],
    "contract_type": [(labels.CONTRACT_TYPE,)],
    "tab": [(labels.LIST_TAB,)],
    "role": [(labels.ROLE,)],
    "events": [(labels.WEBHOOK_EVENT,)],  # a webhook's subscription
    "type": [(labels.WEBHOOK_EVENT,)],
    "state": [(labels.WEBHOOK_STATE,)],
    "last_error": [(labels.WEBHOOK_ERROR,)],
    "signature": [(labels.PDF_SIGNATURE,)],  # POST /api/verify/pdf
}
#: Enumerated fields that are never shown to people as words.
UNLABELLED: set[str] = {
    "product",  # POST /api/fees/quote: which body is quoted, never shown
    "code",  # an error item's stable code: its `message` is the Japanese
    "error",  # RFC 6749's error of the token request: a machine's
    "token_type",  # always Bearer
    "mfa",  # reset-mfa's answer: always reset
}
#: Values that answer machines only (a health check, an accepted request), never shown as words.
MACHINE_VALUES: set[str] = {"ok", "accepted"}

ALL_TABLES = {name: value for name, value in vars(labels).items() if name.isupper() and isinstance(value, Mapping)}


def _enums(node: Any, name: str = "") -> Iterator[tuple[str, tuple[str, ...]]]:
    """(property name, values) for every `enum` in a JSON-Schema-like dict."""
    if isinstance(node, dict):
        if "enum" in node:
            yield name, tuple(node["enum"])
        for key, child in node.items():
            yield from _enums(child, name if key in ("items", "properties", "oneOf", "anyOf") else key)
    elif isinstance(node, list):
        for child in node:
            yield from _enums(child, name)


def _schema_enums() -> list[tuple[str, str, tuple[str, ...]]]:
    import app  # noqa: F401 - registers every blueprint's routes
    from chalicelib.handlers.endpoint import REGISTRY
    from chalicelib.handlers.netdesk_guarantees import PAGE_QUERY

    found = []
    from chalicelib.handlers.schemas import COMPONENTS

    for spec in REGISTRY:
        where = f"{spec.method} {spec.path}"
        schemas = [spec.body, spec.query, *(schema for _desc, schema in spec.responses.values())]
        for schema in schemas:
            found += [(where, name, values) for name, values in _enums(schema)]
    for component, schema in COMPONENTS.items():  # what the routes refer to by name
        found += [(f"components/{component}", name, values) for name, values in _enums(schema)]
    found += [("/netdesk/guarantees page", name, values) for name, values in _enums(PAGE_QUERY)]
    return found


def test_the_schemas_have_enums_to_check():
    fields = {name for _where, name, _values in _schema_enums()}
    assert {"kind", "form", "status", "result", "order_type", "receipt", "contract_type", "tab"} <= fields


@pytest.mark.parametrize(("where", "name", "values"), _schema_enums(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_value_a_route_can_take_or_answer_has_a_label(where, name, values):
    if name in UNLABELLED:
        return
    assert name in FIELD_TABLES, f"{where}: enum field {name!r} has no label table in this test's FIELD_TABLES"
    shown = set(values) - {None} - MACHINE_VALUES
    covered = [tables for tables in FIELD_TABLES[name] if all(shown <= set(t) for t in tables)]
    assert covered, f"{where}: {name} values {values} lack a label in domain/labels.py"


def test_every_domain_value_has_a_label():
    from chalicelib.services import applications

    assert set(application.PRODUCTS) == set(labels.KIND) == set(labels.KIND_SHORT)
    assert set(labels.GUARANTEE_KIND) == {*application.PRODUCTS, "contract_reservation"}  # issue 17
    assert set(application.CONTRACT_TYPES) == set(labels.CONTRACT_TYPE)
    assert set(application.ORDER_TYPES) == set(labels.ORDER_TYPE)
    assert set(application.FORMS) == set(labels.FORM)
    assert set(application.FEE_PAYMENTS) == set(labels.FEE_PAYMENT)
    assert set(application.RECEIPTS) == set(labels.RECEIPT)
    assert set(mail.VERSION_KINDS) == set(labels.VERSION_KIND)
    assert set(applications.STATUSES) == set(labels.APPLICATION_STATUS) == set(labels.APPLICATION_STATUS_STAFF)
    assert set(accounts.ROLES) == set(labels.ROLE)
    assert set(accounts.USER_STATUSES) == set(labels.USER_STATUS)


def test_labels_are_the_words_people_read_today():
    assert labels.FORM["electronic"] == "電子保証(認証キーを含む)" and labels.FORM["paper"] == "証書(紙)"
    assert labels.KIND["advance_payment"] == "前払金保証" and labels.KIND["contract_guarantee"] == "契約保証"
    assert labels.ORDER_TYPE["other"] == "その他(見積もりあわせ等)"
    assert labels.APPLICATION_STATUS["submitted"] == "送信済み(審査中)"
    assert labels.APPLICATION_STATUS_STAFF["rejected"] == "差戻し"
    assert dict(labels.VERSION_KIND) == {"new": "新規", "correction": "訂正", "change": "変更", "cancellation": "取消"}
    assert labels.GUARANTEE_STATUS["expired"] == "期限切れ"


def test_tables_are_read_only():
    for table in ALL_TABLES.values():
        with pytest.raises(TypeError):
            table["x"] = "y"  # type: ignore[index]


def test_templates_see_the_tables_as_a_global():
    from chalicelib.render.templates import environment

    page = environment().from_string("{{ labels.FORM[f] }}/{{ labels.KIND.advance_payment }}")
    assert page.render(f="electronic") == "電子保証(認証キーを含む)/前払金保証"


# ---------------------------------------------------------------- one home

LABELS_FILE = ROOT / "chalicelib" / "domain" / "labels.py"
#: Strings that are only ever a label (no prose uses them): finding one elsewhere means a copied table.
DISTINCTIVE = (
    "電子保証(認証キーを含む)",
    "その他(見積もりあわせ等)",
    "送信済み(審査中)",
    "認証キー不一致",
    "確認(期限切れ)",
)


def _sources() -> list[Path]:
    code = [p for p in (ROOT / "chalicelib").rglob("*.py") if p != LABELS_FILE]
    return code + sorted((ROOT / "templates").rglob("*.*"))


def test_distinctive_label_strings_live_only_in_labels_py():
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for word in DISTINCTIVE:
            assert word not in text, f"{path.relative_to(ROOT)} holds the label {word!r}: use domain/labels.py"
    assert all(word in LABELS_FILE.read_text(encoding="utf-8") for word in DISTINCTIVE)


def test_no_label_table_is_written_out_anywhere_else():
    """A `"value": "label"` pair of any table, in Python or Jinja, outside labels.py, is a copy."""
    pairs = {(key, word) for table in ALL_TABLES.values() for key, word in table.items()}
    pattern = re.compile(r"""["']([a-z_]+)["']\s*:\s*["']([^"'\n]+)["']""")
    for path in _sources():
        for key, word in pattern.findall(path.read_text(encoding="utf-8")):
            assert (key, word) not in pairs, f"{path.relative_to(ROOT)} repeats labels {key!r}: {word!r}"
