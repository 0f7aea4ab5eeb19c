"""devstack/gateway.py: the local stack's request handler."""

from __future__ import annotations

from devstack.gateway import RoutedRequestHandler


def test_the_local_access_line_never_shows_a_query_string(capsys):
    """A set-up link clicked on the local stack printed its live `?token=` (issue 26, finding 9)."""
    handler = RoutedRequestHandler.__new__(RoutedRequestHandler)  # no socket: just the logging
    handler.command, handler.request_version = "GET", "HTTP/1.1"
    handler.client_address = ("127.0.0.1", 50000)
    handler.path = "/account/setup?token=LIVE-TOKEN-abc"
    handler.log_request(200)
    handler.path = "/netdesk/login"
    handler.log_request(200)
    err = capsys.readouterr().err
    assert '"GET /account/setup?… HTTP/1.1" 200' in err and "LIVE-TOKEN" not in err
    assert '"GET /netdesk/login HTTP/1.1" 200' in err
