"""render/links.py: the request's base path (recorded-shape requestContext values) and the URLs made under it."""

from __future__ import annotations

import pytest

from chalicelib.render import links


@pytest.mark.parametrize(
    ("context_path", "resource", "expected"),
    [
        ("/api/netdesk/guarantees/30026-000001M", "/netdesk/guarantees/{number}", "/api"),  # execute-api
        ("/api/netdesk/", "/netdesk", "/api"),  # trailing slash kept in requestContext.path
        ("/api/", "/", "/api"),
        ("/netdesk/guarantees/30026-000001M", "/netdesk/guarantees/{number}", ""),  # custom domain, (none)
        ("/esurety/dsure/verify", "/dsure/verify", "/esurety"),  # custom domain with a base path
        ("/netdesk/login", "/netdesk/login", ""),  # chalice local
        ("/api/netdesk/guarantees/30026%2D000001M", "/netdesk/guarantees/{number}", "/api"),  # encoded param
    ],
)
def test_base_path_is_what_precedes_the_route(context_path, resource, expected):
    assert links.base_path({"path": context_path}, resource) == expected


def test_url_prefixes_app_paths_only():
    token = links.bind("/api")
    try:
        assert links.url("/netdesk/guarantees?tab=x") == "/api/netdesk/guarantees?tab=x"
        assert links.url("https://bucket.s3.ap-northeast-1.amazonaws.com/k?X-Amz-Expires=60").startswith("https://")
        assert links.url("//evil.example/") == "//evil.example/"
        assert links.cookie_path() == "/api"
    finally:
        links.reset(token)
    assert links.url("/netdesk") == "/netdesk" and links.cookie_path() == "/"
