"""`chalice local`'s gateway with an unknown path answered as API.md says: 404 in our error shape.

Chalice's LocalGateway copies API Gateway's own answer for a path with no route — 403, and with an
`Authorization` header a message that ends `Authorization=<the header>`, echoing the caller's token.
Chalice has no catch-all route, so the answer is made here, before the app runs, by the app's own
`middleware.not_found` (JSON under /api/, the HTML error page elsewhere). Behind API Gateway the
template's GatewayResponses do the same (devstack/cfn.py). Its access lines show no query string.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
)


class NotFoundAnswer(LocalGatewayException):
    CODE = 404


class RoutedGateway(LocalGateway):
    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: Any) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:
            from chalicelib.handlers.middleware import not_found

            answer = not_found(path).to_dict(self._app_object.api.binary_types)
            raise NotFoundAnswer(answer["headers"], answer["body"].encode("utf-8")) from None


class RoutedRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self.local_gateway = RoutedGateway(app_object, config)
        # BaseHTTPRequestHandler.__init__ serves the request: the gateway must exist first.
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """http.server's access line without the query string: a set-up link's `?token=` (a live
        password-setting credential) never reaches the local stack's output (issue 26, finding 9)."""
        path, _, query = (self.path or "").partition("?")
        shown = path + ("?…" if query else "")
        self.log_message('"%s %s %s" %s %s', self.command, shown, self.request_version, code, size)


def local_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    """`chalice.local.create_local_server`, with RoutedRequestHandler."""
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=RoutedRequestHandler)
