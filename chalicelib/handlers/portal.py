"""The top page of each audience, with its menu."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.handlers.page import AUDIENCES, PageCall, page, redirect

bp = Blueprint(__name__)


def portal(call: PageCall) -> Response:
    return call.render(f"html/{call.audience}/top.html")


for _aud in AUDIENCES:
    # the admin console and the clerks' console have their own top pages (admin_pages.py, staff.py)
    if _aud not in ("admin", "staff"):
        page(bp, f"/{_aud}", audience=_aud)(portal)


@page(bp, "/netdesk/help", audience="netdesk")
def netdesk_help(call: PageCall) -> Response:
    """The help of 全体トップ, 保証申込 and 保証契約一覧, and 「印刷方法について」 (one page, one section each)."""
    return call.render("html/netdesk/help.html")


@bp.route("/", methods=["GET"])
def root() -> Response:
    return redirect("/netdesk/login")
