"""Issue 15, item 7: every route × every role × {own, other, missing} object, from the route table.

The routes come from the app itself — the API from its OpenAPI document, the
pages from Chalice's route table — and each must have a line in ROUTES or
PAGES below: a new route without one fails `test_every_route_has_an_expectation`.
Adding a role (issue 13: admin, machine client) is one line in CALLERS plus
its name in the `roles` of the routes it may use.

What a line says: who may call the route, and whether it names an object (a
path parameter) owned by one organisation (or a fixed answer for everyone). The expectation then follows one
rule: anonymous → 401 (pages: a 303 to the login page); a role not listed →
403; a listed role on a missing object → 404, on another organisation's → 404
(the same answer); otherwise anything but 401/403/404 — and never a 5xx.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from chalicelib.store import objects
from tests.factories import make_application, make_guarantee, reservation_body
from tests.functional.conftest import DEMO, bearer, login

OWN_NUMBER = "30026-000501M"  # c-0001's guarantee, naming 08216, branch ibaraki
MISSING_NUMBER = "30026-999990M"
MISSING_APP = "0000000000000000dead"
MISSING_APPROVAL = "matrix-missing-approval"

#: caller → demo login (None: anonymous). One line per role.
CALLERS: dict[str, str | None] = {
    "anonymous": None,
    "contractor": "contractor",
    "other_contractor": "other",
    "staff": "staff",
    "orderer": "kasama",
    "other_orderer": "mito",
    "admin": "admin",
    "machine": "machine",  # an orderer's machine client (issue 13): a client-credentials token
}
#: For an object route: the caller that owns the object, and the callers of the same role that do not.
OWNERS = {"contractor": "contractor", "staff": "staff", "orderer": "orderer"}
#: Issue 29: a delivery belongs to the orderer it was handed to (08216: kasama and its machine client).
SAME_ROLE_OTHERS = {"contractor": ["other_contractor"], "staff": [], "orderer": ["other_orderer"]}
ROLE_OF = {
    "contractor": "contractor",
    "other_contractor": "contractor",
    "staff": "staff",
    "orderer": "orderer",
    "other_orderer": "orderer",
    "admin": "admin",
    "machine": "machine",
}
#: An admin route naming an account, client, orderer or organisation: the matrix names missing ones
#: only (disabling a live one would change what the other lines see); any answer but 401/403 and < 500.
ADMIN_OBJECT = "admin-object"
MISSING_ID = "matrix-missing-0000"

PUBLIC = None
ANY = ("contractor", "staff", "orderer", "admin")
ADMIN = ("admin",)
#: The D-Sure API routes a machine client may call, as its orderer.
ORDERER_API = ("orderer", "machine")
#: "METHOD path" → (roles that may call it, or PUBLIC; the role owning its object, or None)
ROUTES: dict[str, tuple[tuple[str, ...] | None, str | frozenset[int] | None]] = {
    "GET /api/health": (PUBLIC, None),
    "GET /api/openapi.json": (PUBLIC, None),
    "GET /api/orderers": (PUBLIC, None),
    "GET /api/signing/certificate": (PUBLIC, None),
    "GET /api/signing/crl": (PUBLIC, None),
    "POST /api/verify/pdf": (PUBLIC, None),
    "GET /api/dev/outbox": (PUBLIC, None),
    "POST /api/dev/reconcile": (PUBLIC, None),
    "POST /api/session": (PUBLIC, None),
    "DELETE /api/session": (ANY, None),
    "POST /api/applications": (("contractor",), None),
    "GET /api/applications": (("contractor",), None),
    "GET /api/applications/{application_id}": (("contractor",), "contractor"),
    "GET /api/guarantees": (("contractor",), None),
    "GET /api/guarantees/{number}": (("contractor",), "contractor"),
    "GET /api/guarantees/{number}/certificate": (("contractor",), "contractor"),
    "GET /api/guarantees/{number}/certificate.pdf": (("contractor",), "contractor"),
    "GET /api/guarantees/{number}/key-notice.pdf": (("contractor",), "contractor"),
    "GET /api/guarantees/{number}/views": (("contractor",), "contractor"),
    "GET /api/staff/applications": (("staff",), None),
    "POST /api/staff/applications/{application_id}/issue": (("staff",), "staff"),
    "POST /api/staff/applications/{application_id}/reject": (("staff",), "staff"),
    "POST /api/staff/guarantees/{number}/versions": (("staff",), "staff"),
    "POST /api/staff/guarantees/{number}/reissue-key": (("staff",), "staff"),
    # issue 14: search, 決裁 (an approval belongs to its branch: another's is a 404 like a missing one)
    "GET /api/staff/guarantees": (("staff",), None),
    "GET /api/staff/guarantees/{number}": (("staff",), "staff"),
    "GET /api/staff/approvals": (("staff",), None),
    "POST /api/staff/approvals/{approval_id}/approve": (("staff",), "staff"),
    "POST /api/staff/approvals/{approval_id}/decline": (("staff",), "staff"),
    "POST /api/verify": (ORDERER_API, None),
    "POST /api/verify/bulk": (ORDERER_API, None),
    "GET /api/orderer/guarantees": (ORDERER_API, None),
    "POST /api/session/mfa": (PUBLIC, None),
    "POST /api/oauth/token": (PUBLIC, None),
    "POST /api/account/password": (PUBLIC, None),
    "POST /api/account/reset": (PUBLIC, None),
    "GET /api/staff/audit": (("staff", "admin"), None),
    "POST /api/admin/clients": (ADMIN, None),
    "GET /api/admin/clients": (ADMIN, None),
    "DELETE /api/admin/clients/{client_id}": (ADMIN, ADMIN_OBJECT),
    "GET /api/admin/clients/{client_id}": (ADMIN, ADMIN_OBJECT),
    "GET /api/admin/users/{login}": (ADMIN, ADMIN_OBJECT),
    "GET /api/admin/organisations": (ADMIN, None),
    "GET /api/admin/organisations/{org_id}": (ADMIN, ADMIN_OBJECT),
    "POST /api/admin/contractors": (ADMIN, None),
    "POST /api/admin/orderers": (ADMIN, None),
    "PATCH /api/admin/orderers/{orderer_id}": (ADMIN, ADMIN_OBJECT),
    "POST /api/admin/organisations/{org_id}/disable": (ADMIN, ADMIN_OBJECT),
    "POST /api/admin/users": (ADMIN, None),
    "GET /api/admin/users": (ADMIN, None),
    "POST /api/admin/users/{login}/disable": (ADMIN, ADMIN_OBJECT),
    "POST /api/admin/users/{login}/enable": (ADMIN, ADMIN_OBJECT),
    "POST /api/admin/users/{login}/reset-mfa": (ADMIN, ADMIN_OBJECT),
    # Issue 17: 契約保証予約 and 保証料 (the quote is open to contractors and staff)
    "POST /api/fees/quote": (("contractor", "staff"), None),
    "GET /api/applications/{application_id}/fee-statement.pdf": (("contractor",), "contractor"),
    "POST /api/staff/applications/{application_id}/payment": (("staff",), "staff"),
    "POST /api/staff/applications/{application_id}/fee-waiver": (("staff",), "staff"),
    "POST /api/reservations": (("contractor",), None),
    "GET /api/reservations": (("contractor",), None),
    "GET /api/reservations/{reservation_id}": (("contractor",), "contractor"),
    "GET /api/staff/reservations": (("staff",), None),
    "POST /api/staff/reservations/{reservation_id}/payment": (("staff",), "staff"),
    "POST /api/staff/reservations/{reservation_id}/fee-waiver": (("staff",), "staff"),
    "POST /api/staff/reservations/{reservation_id}/issue": (("staff",), "staff"),
    "POST /api/staff/reservations/{reservation_id}/reject": (("staff",), "staff"),
    # Issue 29: 提出 and 受領 (departments: the matrix names a missing orderer, like the admin's objects)
    "GET /api/orderers/{orderer_id}/departments": (("contractor",), ADMIN_OBJECT),
    "POST /api/guarantees/{number}/deliveries": (("contractor",), "contractor"),
    "GET /api/guarantees/{number}/deliveries": (("contractor",), "contractor"),
    "GET /api/guarantees/{number}/deliveries/{delivery_id}": (("contractor",), "contractor"),
    "GET /api/orderer/deliveries": (ORDERER_API, None),
    "GET /api/orderer/deliveries/{delivery_id}": (ORDERER_API, "orderer"),
    "POST /api/orderer/deliveries/{delivery_id}/check": (ORDERER_API, "orderer"),
    "POST /api/orderer/deliveries/{delivery_id}/receive": (ORDERER_API, "orderer"),
    "POST /api/orderer/deliveries/{delivery_id}/return": (ORDERER_API, "orderer"),
    "POST /api/admin/orderers/{orderer_id}/departments": (ADMIN, ADMIN_OBJECT),
    "GET /api/admin/orderers/{orderer_id}/departments": (ADMIN, ADMIN_OBJECT),
    "PUT /api/admin/orderers/{orderer_id}/routing": (ADMIN, ADMIN_OBJECT),
    "GET /api/admin/orderers/{orderer_id}/routing": (ADMIN, ADMIN_OBJECT),
    "PATCH /api/admin/users/{login}": (ADMIN, ADMIN_OBJECT),
    # Issue 30: webhooks (kasama's, so also its machine client's; mito's is another orderer's: 404).
    # A DELETE spends its webhook on the first caller: any answer but 401/403 after that.
    "POST /api/orderer/webhooks": (ORDERER_API, None),
    "GET /api/orderer/webhooks": (ORDERER_API, None),
    "GET /api/orderer/webhooks/{webhook_id}": (ORDERER_API, "orderer"),
    "DELETE /api/orderer/webhooks/{webhook_id}": (ORDERER_API, ADMIN_OBJECT),
    "POST /api/orderer/webhooks/{webhook_id}/test": (ORDERER_API, "orderer"),
    "GET /api/orderer/webhooks/{webhook_id}/deliveries": (ORDERER_API, "orderer"),
    "POST /api/dev/webhooks/run": (PUBLIC, None),
    "POST /api/dev/daily": (PUBLIC, None),
}
NETDESK, DSURE, STAFF, ADMIN_PAGES = ("contractor",), ("orderer",), ("staff",), ("admin",)
#: A login form posted without its nonce cookie and token: refused by the CSRF check, whoever sends it.
CSRF_REFUSED = frozenset({403})
PAGES: dict[str, tuple[tuple[str, ...] | None, str | frozenset[int] | None]] = {
    "GET /": (PUBLIC, None),
    "GET /static/app.css": (PUBLIC, None),
    "GET /static/app.js": (PUBLIC, None),
    "GET /favicon.ico": (PUBLIC, None),
    "GET /account/setup": (PUBLIC, None),
    "POST /account/setup": (PUBLIC, CSRF_REFUSED),
    "GET /account/reset": (PUBLIC, None),
    "POST /account/reset": (PUBLIC, CSRF_REFUSED),
    "GET /verify/pdf": (PUBLIC, None),
    "POST /verify/pdf": (PUBLIC, CSRF_REFUSED),
    "GET /admin/login": (PUBLIC, None),
    "POST /admin/login": (PUBLIC, CSRF_REFUSED),
    "POST /admin/logout": (ADMIN_PAGES, None),
    "GET /admin": (ADMIN_PAGES, None),
    "POST /admin/actions": (ADMIN_PAGES, None),
    "POST /dsure/bulk/results.csv": (DSURE, None),
    "GET /netdesk/applications/{application_id}": (NETDESK, "contractor"),
    "GET /dev/outbox": (PUBLIC, None),
    "GET /netdesk/login": (PUBLIC, None),
    "POST /netdesk/login": (PUBLIC, CSRF_REFUSED),
    "GET /dsure/login": (PUBLIC, None),
    "POST /dsure/login": (PUBLIC, CSRF_REFUSED),
    "GET /staff/login": (PUBLIC, None),
    "POST /staff/login": (PUBLIC, CSRF_REFUSED),
    "POST /netdesk/logout": (NETDESK, None),
    "POST /dsure/logout": (DSURE, None),
    "POST /staff/logout": (STAFF, None),
    "GET /netdesk": (NETDESK, None),
    "GET /netdesk/orderers": (NETDESK, None),
    "GET /netdesk/applications": (NETDESK, None),
    "GET /netdesk/applications/new": (NETDESK, None),
    "POST /netdesk/applications/new": (NETDESK, None),
    "GET /netdesk/guarantees": (NETDESK, None),
    "GET /netdesk/history": (NETDESK, None),
    "GET /netdesk/help": (NETDESK, None),
    "GET /netdesk/guarantees/{number}": (NETDESK, "contractor"),
    "GET /netdesk/guarantees/{number}/certificate": (NETDESK, "contractor"),
    "GET /dsure": (DSURE, None),
    "GET /dsure/verify": (DSURE, None),
    "POST /dsure/verify": (DSURE, None),
    "GET /dsure/inbox": (DSURE, None),
    "GET /dsure/bulk": (DSURE, None),
    "POST /dsure/bulk": (DSURE, None),
    "GET /staff": (STAFF, None),
    "GET /staff/applications": (STAFF, None),
    "GET /staff/applications/{application_id}": (STAFF, "staff"),
    "POST /staff/applications/{application_id}/issue": (STAFF, "staff"),
    "POST /staff/applications/{application_id}/reject": (STAFF, "staff"),
    "GET /staff/guarantees/{number}": (STAFF, "staff"),
    "POST /staff/guarantees/{number}/versions": (STAFF, "staff"),
    "POST /staff/guarantees/{number}/reissue-key": (STAFF, "staff"),
    # Issue 17
    "GET /netdesk/applications/{application_id}/fee-statement.pdf": (NETDESK, "contractor"),
    "GET /netdesk/reservations/new": (NETDESK, None),
    "POST /netdesk/reservations/new": (NETDESK, None),
    "POST /staff/applications/{application_id}/fee/{how}": (STAFF, "staff"),
    "GET /staff/reservations": (STAFF, None),
    "GET /staff/reservations/{reservation_id}": (STAFF, "staff"),
    "POST /staff/reservations/{reservation_id}/fee/{how}": (STAFF, "staff"),
    "POST /staff/reservations/{reservation_id}/issue": (STAFF, "staff"),
    "POST /staff/reservations/{reservation_id}/reject": (STAFF, "staff"),
    # issue 14: the console's search, result page, 決裁 and audit pages
    "GET /staff/guarantees": (STAFF, None),
    "GET /staff/applications/{application_id}/issued": (STAFF, "staff"),
    "GET /staff/approvals": (STAFF, None),
    "POST /staff/approvals/{approval_id}/approve": (STAFF, "staff"),
    "POST /staff/approvals/{approval_id}/decline": (STAFF, "staff"),
    # issue 27: the result pages of confirmed writes (Post/Redirect/Get)
    "GET /staff/approvals/{approval_id}/done": (STAFF, "staff"),
    "GET /staff/reservations/{reservation_id}/issued": (STAFF, "staff"),
    "GET /netdesk/reservations/{reservation_id}": (NETDESK, "contractor"),
    "GET /netdesk/reservations/{reservation_id}/fee-statement.pdf": (NETDESK, "contractor"),
    "GET /staff/audit": (STAFF, None),
    "GET /staff/audit.csv": (STAFF, None),
    "GET /staff/guarantees/{number}/key-notice.pdf": (STAFF, "staff"),
    # Issue 29
    "POST /netdesk/guarantees/{number}/deliveries": (NETDESK, "contractor"),
    "GET /dsure/deliveries": (DSURE, None),
    "GET /dsure/deliveries/{delivery_id}": (DSURE, "orderer"),
    "POST /dsure/deliveries/{delivery_id}/check": (DSURE, "orderer"),
    "POST /dsure/deliveries/{delivery_id}/receive": (DSURE, "orderer"),
    "POST /dsure/deliveries/{delivery_id}/return": (DSURE, "orderer"),
    "GET /admin/departments": (ADMIN_PAGES, ADMIN_OBJECT),  # no orderer named: a 404 page
    "POST /admin/departments": (ADMIN_PAGES, ADMIN_OBJECT),
    # Issue 30: webhooks on D-Sure (deleting needs the confirmation step's field: x=1 only asks again)
    "GET /dsure/webhooks": (DSURE, None),
    "POST /dsure/webhooks": (DSURE, None),
    "GET /dsure/webhooks/{webhook_id}": (DSURE, "orderer"),
    "POST /dsure/webhooks/{webhook_id}/test": (DSURE, "orderer"),
    "POST /dsure/webhooks/{webhook_id}/delete": (DSURE, "orderer"),
}
#: Pages that never read a caller's credentials; every other page refuses a machine client's token (403).
NO_SESSION_PAGES = frozenset({"GET /", "GET /static/app.css", "GET /static/app.js", "GET /favicon.ico"})
FIGURES: Counter = Counter()  # requests made, for SECURITY.md (printed with -s)


def _app_routes(client) -> tuple[set[str], set[str]]:
    import app as app_module

    spec = json.loads(client.http.get("/api/openapi.json").body)
    api = {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops}
    chalice = {f"{m} {p}" for p, entry in app_module.app.routes.items() for m in entry}
    return api, chalice


def test_every_route_has_an_expectation(client):
    api, chalice = _app_routes(client)
    assert api == set(ROUTES), ("routes without a line in ROUTES", api ^ set(ROUTES))
    assert {r for r in chalice if r.split(" ")[1].startswith("/api")} == api, "an /api route not in OpenAPI"
    pages = {r for r in chalice if not r.split(" ")[1].startswith("/api")}
    assert pages == set(PAGES), ("pages without a line in PAGES", pages ^ set(PAGES))


def _objects(route: str, which: str) -> dict[str, str]:
    number = OWN_NUMBER if which == "own" else MISSING_NUMBER
    app_id = _APP["id"] if which == "own" else MISSING_APP
    reservation_id = _APP["reservation_id"] if which == "own" else MISSING_APP
    if which == "own" and route.endswith("/issued"):
        app_id = _APP["issued"]  # the result page of 発行 exists once the application is issued
    approval_id = _APP["approval"] if which == "own" else MISSING_APPROVAL
    admin_ids = dict.fromkeys(("client_id", "orderer_id", "org_id", "login"), MISSING_ID)
    return {
        "number": number,
        "application_id": app_id,
        "reservation_id": reservation_id,  # issue 17: c-0001's 契約保証予約, submitted at branch ibaraki
        "how": "payment",
        "approval_id": approval_id,
        "delivery_id": _APP["delivery"] if which == "own" else MISSING_ID,  # issue 29: OWN_NUMBER to 08216
        "webhook_id": (_APP["webhook_spent"] if route.startswith("DELETE") else _APP["webhook"])
        if which == "own"
        else MISSING_ID,
        **admin_ids,
    }


_APP: dict[str, str] = {}


def _request(client, route: str, token: str | None, which: str, *, page: bool):
    method, template = route.split(" ", 1)
    path = template.format(**_objects(route, which))
    headers = bearer(token) if token else {}
    body = None
    if method in ("POST", "DELETE", "PATCH"):
        if path.endswith("/bulk") and not page:
            headers["Content-Type"], body = "text/csv", f"{OWN_NUMBER},WRONGKEY2345\n"
        elif page:
            headers["Content-Type"], body = "application/x-www-form-urlencoded", "x=1"
        else:
            headers["Content-Type"], body = "application/json", "{}"
    FIGURES["requests"] += 1
    return client.http.request(method, path, headers=headers, body=body or b"")


def _expected(roles, owner, caller: str, which: str, *, page: bool, has_body: bool, route: str = "") -> set[int] | str:
    """The status (set), 'ok' for "anything but 401/403/404 and < 500", 'any' for "… but 401/403"."""
    if isinstance(owner, frozenset):
        return set(owner)
    if page and caller == "machine" and route not in NO_SESSION_PAGES:
        return {403}  # a machine client acts on D-Sure's API only (issue 13)
    if roles is PUBLIC:
        return "ok"
    if caller == "anonymous":
        return {303} if page else {401}
    if ROLE_OF[caller] not in roles:
        return {403}
    if owner is None:
        return "ok"
    if owner == ADMIN_OBJECT:
        return "any"
    if which == "missing" or caller in SAME_ROLE_OTHERS.get(owner, []):
        # a body is checked before the object is looked up: {} is a 400 whatever the object
        return {404, 400} if has_body else {404}
    return "ok"


@pytest.fixture
def world(client):
    """The objects the matrix points at, and a fresh token per caller (logout routes spend theirs)."""
    pdf, notice = objects.new_key("certificates"), objects.new_key("key-notices")
    for key in (pdf, notice):
        objects.put_pending(key, b"%PDF-1.4 matrix\n%%EOF")
        objects.release(key)
    make_guarantee(OWN_NUMBER, pdf_key=pdf, key_notice_key=notice)
    _APP["id"] = make_application().application_id
    _MACHINE.clear()
    tokens = _tokens(client)
    made = client.http.post(
        "/api/reservations",
        headers={**bearer(tokens["contractor"]), "Content-Type": "application/json"},
        body=json.dumps(reservation_body()),
    )
    assert made.status_code == 201, made.body
    _APP["reservation_id"] = json.loads(made.body)["id"]
    # Issue 14: an issued application (its result page), and a 決裁 asked for by the branch's second
    # clerk (ibaraki-chief), so the matrix's staff caller is not its requester.
    issued = make_application().application_id
    resp = client.http.post(
        f"/api/staff/applications/{issued}/issue",
        headers={**bearer(tokens["staff"]), "Content-Type": "application/json"},
    )
    assert resp.status_code == 201, resp.body
    _APP["issued"] = issued
    chief = auth_session("ibaraki-chief")
    resp = client.http.post(
        f"/api/staff/guarantees/{OWN_NUMBER}/reissue-key",
        headers={**bearer(chief), "Content-Type": "application/json"},
        body=json.dumps({"reason": "アクセス表の確認"}),
    )
    assert resp.status_code == 202, resp.body
    _APP["approval"] = json.loads(resp.body)["approval_id"]
    resp = client.http.post(
        f"/api/guarantees/{OWN_NUMBER}/deliveries",
        headers={**bearer(tokens["contractor"]), "Content-Type": "application/json"},
        body="{}",
    )
    assert resp.status_code == 201, resp.body
    _APP["delivery"] = json.loads(resp.body)["delivery_id"]
    for name in ("webhook", "webhook_spent"):  # issue 30: kasama's (08216) webhooks
        resp = client.http.post(
            "/api/orderer/webhooks",
            headers={**bearer(tokens["orderer"]), "Content-Type": "application/json"},
            body=json.dumps({"url": "https://contracts.example.jp/hook", "events": ["guarantee.changed"]}),
        )
        assert resp.status_code == 201, resp.body
        _APP[name] = json.loads(resp.body)["webhook_id"]
    return tokens


def auth_session(login_name: str) -> str:
    from chalicelib.services import auth

    return auth.open_session_after_mfa(login_name).token


_MACHINE: dict[str, str] = {}  # the machine client's id and secret, made once per matrix


def _machine_token(client, admin_token: str) -> str:
    """A client-credentials token of an orderer's machine client (made through the admin API)."""
    import base64

    if not _MACHINE:
        made = client.http.post(
            "/api/admin/clients",
            headers={**bearer(admin_token), "Content-Type": "application/json"},
            body=json.dumps({"orderer_id": "08216", "name": "matrix"}),
        )
        assert made.status_code == 201, made.body
        _MACHINE.update(json.loads(made.body))
    basic = base64.b64encode(f"{_MACHINE['client_id']}:{_MACHINE['client_secret']}".encode()).decode()
    resp = client.http.post(
        "/api/oauth/token",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
        body="grant_type=client_credentials",
    )
    assert resp.status_code == 200, resp.body
    return json.loads(resp.body)["access_token"]


def _token(client, caller: str) -> str | None:
    """A fresh session of one caller. Staff and admin get theirs as a completed TOTP step opens it (a code
    is accepted once per 30-s step, and the matrix logs in again after every logout route)."""
    from chalicelib.services import auth

    key = CALLERS[caller]
    if key is None:
        return None
    if key == "machine":
        return _machine_token(client, _token(client, "admin"))
    if key in ("staff", "admin"):
        return auth.open_session_after_mfa({**DEMO, "admin": ("admin", "demo-pass-7")}[key][0]).token
    return login(client, *DEMO[key])["token"]


def _tokens(client) -> dict[str, str | None]:
    """A fresh session per caller."""
    return {caller: _token(client, caller) for caller in CALLERS}


@pytest.mark.parametrize("table", ["api", "pages"])
def test_the_access_matrix(client, world, table):
    routes = ROUTES if table == "api" else PAGES
    page = table == "pages"
    tokens = dict(world)
    unexpected = []
    # spending routes (logout, issue, reissue, reject) last, so the others see the objects as made
    order = sorted(routes, key=lambda r: ("logout" in r or "session" in r, "issue" in r or "reject" in r, r))
    for route in order:
        roles, owner = routes[route]
        for caller in CALLERS:
            for which in ("own", "missing") if "{" in route else ("own",):
                if "DELETE /api/session" == route or "logout" in route:
                    tokens[caller] = _token(client, caller)  # its own earlier call of this route ended it
                resp = _request(client, route, tokens[caller], which, page=page)
                has_body = route.startswith("POST") and not page
                want = _expected(roles, owner, caller, which, page=page, has_body=has_body, route=route)
                if want == "any":
                    ok = resp.status_code < 500 and resp.status_code not in (401, 403)
                else:
                    ok = resp.status_code < 500 and (
                        resp.status_code not in (401, 403, 404) if want == "ok" else resp.status_code in want
                    )
                if not ok:
                    unexpected.append((route, caller, which, resp.status_code, want))
        if "session" in route or "logout" in route:
            tokens = _tokens(client)
    print(f"\naccess matrix ({table}): {FIGURES['requests']} requests, {len(unexpected)} unexpected")
    assert unexpected == [], "\n".join(map(str, unexpected))
