"""Public routes: health, the orderer list, the OpenAPI document, the stylesheet, the script, the icon."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import settings
from chalicelib.handlers.endpoint import Call, api
from chalicelib.handlers.lazy import lazy
from chalicelib.render.assets import templates_dir

orderers = lazy("chalicelib.services.orderers")

bp = Blueprint(__name__)

ORDERER = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "e_surety": {"type": "boolean"}},
}


@api(
    bp,
    "/api/health",
    "GET",
    summary="稼働確認",
    roles=None,
    responses={
        200: (
            "稼働中",
            {
                "type": "object",
                "required": ["status", "stage"],
                "properties": {"status": {"type": "string", "enum": ["ok"]}, "stage": {"type": "string"}},
            },
        )
    },
)
def health(call: Call) -> dict[str, str]:
    return {"status": "ok", "stage": settings.current().stage}


@api(
    bp,
    "/api/orderers",
    "GET",
    summary="発注者の一覧 (e_surety=true で電子保証対応の発注者のみ)",
    roles=None,
    query={"e_surety": {"type": "boolean"}},
    responses={200: ("発注者一覧", {"type": "object", "properties": {"items": {"type": "array", "items": ORDERER}}})},
)
def list_orderers(call: Call) -> dict[str, object]:
    return {"items": orderers.list_orderers(bool(call.query.get("e_surety")))}


@api(
    bp,
    "/api/openapi.json",
    "GET",
    summary="この API の OpenAPI 3 文書",
    roles=None,
    responses={200: ("OpenAPI 3.1 文書", {"type": "object", "additionalProperties": True, "required": ["openapi"]})},
)
def openapi_document(call: Call) -> dict[str, object]:
    from chalicelib.handlers.openapi import document

    return document()


@bp.route("/static/app.css", methods=["GET"])
def stylesheet() -> Response:
    css = (templates_dir() / "static" / "app.css").read_text(encoding="utf-8")
    return Response(
        body=css,
        headers={"Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300"},
    )


@bp.route("/static/app.js", methods=["GET"])
def script() -> Response:
    """Small enhancements only (the era echo, 印刷 / 閉じる): every page works without it."""
    js = (templates_dir() / "static" / "app.js").read_text(encoding="utf-8")
    return Response(
        body=js,
        headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300"},
    )


#: The tab icon: the brand's blue square with 保 (SVG; browsers ask /favicon.ico whatever the page says).
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#1f4e79"/>'
    '<path d="M9 8h14v4H9zM9 14h14v4H9zM9 20h14v4H9z" fill="#fff"/></svg>'
)


@bp.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """The icon every browser asks for on every page: an answer, not a 403 in the log."""
    return Response(
        body=FAVICON,
        headers={"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"},
    )
