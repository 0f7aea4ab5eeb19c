"""The clerks' audit pages: the branch's trail with filters (a guarantee's own trail is
`?number=`), and its CSV export. Reading only: nothing here writes or edits a record."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.pagination import DEFAULT_LIMIT
from chalicelib.handlers.lazy import lazy
from chalicelib.handlers.page import PageCall, page

audit_log = lazy("chalicelib.services.audit_log")

bp = Blueprint(__name__)


def _filters(call: PageCall) -> tuple[str, str]:
    q = call.request.query_params or {}
    return (q.get("number") or "").strip()[:40], (q.get("actor") or "").strip()[:128]


@page(bp, "/staff/audit", audience="staff")
def audit_page(call: PageCall) -> Response:
    number, actor = _filters(call)
    cursor = (call.request.query_params or {}).get("cursor")
    # A bad filter is a 400 on its field; a stale or foreign cursor starts again from the newest.
    found = audit_log.search(call.principal.org_id, number, actor, DEFAULT_LIMIT, cursor, restart=True)
    return call.render(
        "html/staff/audit.html", items=found["items"], next_cursor=found["next_cursor"], number=number, actor=actor
    )


@page(bp, "/staff/audit.csv", audience="staff")
def audit_csv(call: PageCall) -> Response:
    number, actor = _filters(call)
    name, text = audit_log.export(call.principal.org_id, number, actor)  # a 400 on a filter that is not one
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
