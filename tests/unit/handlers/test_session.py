"""handlers/session.py: the login form's next target stays on this portal (path and query kept, everything else refused)."""

from __future__ import annotations

import pytest

from chalicelib.handlers.session import same_site_target


@pytest.mark.parametrize(
    "target",
    [
        "/dsure/verify?number=30026-000901M",
        "/dsure",
        "/dsure/inbox?cursor=abc%3D%3D",
        "/dsure/verify?number=30026-000901M&x=1",
    ],
)
def test_same_site_targets_keep_path_and_query(target):
    assert same_site_target(target, "dsure") == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/dsure/",
        "/dsure//evil.example",
        "/dsure/\r\nSet-Cookie:x=1",
        "/dsure/%0d%0a".replace("%0d%0a", "\n"),
        "/dsure/../netdesk",
        "/dsure/%2e%2e/netdesk",
        "/netdesk/applications",
        "/dsurex",
        "javascript:alert(1)",
        "dsure/verify",
        "/dsure/verify\t",
        "/dsure/検証",
        "/dsure/x#frag",
        "",
    ],
)
def test_everything_else_is_refused(target):
    assert same_site_target(target, "dsure") is None
