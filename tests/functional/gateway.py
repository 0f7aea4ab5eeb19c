"""API Gateway's two doors, simulated: REST proxy events of the recorded shape, sent to the Lambda handler.

`chalice local` and `chalice.test.Client` hide what API Gateway does to a
request (NOTES.md, "What moto and chalice local hide"). A `Door` turns a URL
that a browser asks for into the event API Gateway would send to `app.app`,
and back:

- the execute-api URL (`https://<id>.execute-api.<region>.amazonaws.com/api/...`):
  a path without the stage segment never reaches the function (API Gateway
  answers 403 itself); the event's `path` omits the segment and
  `requestContext.path` keeps it;
- a custom domain with a base-path mapping (`https://e-surety.example.jp/...`):
  no stage segment anywhere (`requestContext.path` == `path`), or the
  mapping's own base path in `requestContext.path` only.

Bodies follow API Gateway's rules (chalicelib/handlers/binary.py): a request
body is base64 (`isBase64Encoded`) when its Content-Type is one of the API's
binary media types (`binary.GATEWAY`), otherwise passed as UTF-8 text, which
corrupts bytes that are not UTF-8; a base64 answer is decoded only when the
request's first Accept type is binary too, else the client gets the base64 text.
Requests carry a browser's Accept header unless a test gives its own.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from chalicelib.handlers import binary

API_ID = "a1b2c3d4e5"
REGION = "ap-northeast-1"
STAGE = "api"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    multi_headers: dict[str, list[str]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def set_cookies(self) -> list[str]:
        for key, values in self.multi_headers.items():
            if key.lower() == "set-cookie":
                return list(values)
        one = self.header("set-cookie")
        return [one] if one else []


class LambdaContext:
    """The attributes of Lambda's context object that a handler may read."""

    function_name = "esurety-branch-api"
    memory_limit_in_mb = 1024
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:esurety-branch-api"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class Door:
    """One way in: `prefix` is what the browser's path carries before the app's own path."""

    app: Any
    host: str
    prefix: str  # "/api" on execute-api, "" (or a mapping's base path) behind a custom domain
    context_prefix: str  # what requestContext.path carries before the app path
    cookies: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (value, path)
    source_ip: str = "203.0.113.10"  # requestContext.identity.sourceIp: the caller's address

    @classmethod
    def execute_api(cls, app: Any) -> Door:
        return cls(app, f"{API_ID}.execute-api.{REGION}.amazonaws.com", f"/{STAGE}", f"/{STAGE}")

    @classmethod
    def custom_domain(cls, app: Any, base_path: str = "", source_ip: str = "203.0.113.10") -> Door:
        return cls(app, "e-surety.example.jp", base_path, base_path, source_ip=source_ip)

    @property
    def name(self) -> str:
        return "execute-api" if "execute-api" in self.host else f"custom-domain{self.prefix or ''}"

    # --- routing, as API Gateway's resource tree does it ---------------------------------------

    def _resource(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The route template and path parameters for an app path (static routes win)."""
        candidates = []
        for route in self.app.routes:
            pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(route)) + "$"
            m = re.match(pattern, path)
            if m:
                candidates.append((route.count("{"), route, {k: unquote(v) for k, v in m.groupdict().items()}))
        if not candidates:
            return None
        _, route, params = min(candidates)
        return route, params

    def request(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes | str | None = None
    ) -> Answer:
        """What the browser gets for `method url` through this door (cookies kept like a browser)."""
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != self.host:
            raise AssertionError(f"{url} leaves {self.host}")
        asked = parts.path
        if self.prefix and not (asked == self.prefix or asked.startswith(self.prefix + "/")):
            return self._gateway_refusal()
        app_path = asked[len(self.prefix) :] or "/"
        if app_path != "/" and app_path.endswith("/"):
            app_path = app_path[:-1]  # API Gateway drops a trailing slash (so does chalice local)
        found = self._resource(app_path)
        if found is None:
            return self._gateway_refusal()
        resource, params = found
        h = {
            "Host": self.host,
            "User-Agent": "Mozilla/5.0 (door test)",
            "X-Forwarded-Proto": "https",
            "Accept": BROWSER_ACCEPT,
        }
        h.update(headers or {})
        jar = self._cookie_header(asked)
        if jar:
            h["Cookie"] = "; ".join(filter(None, [h.get("Cookie"), jar]))
        raw = body.encode("utf-8") if isinstance(body, str) else body
        event = self._event(method, asked, app_path, resource, params, parts.query, h, raw)
        response = self.app(event, LambdaContext())
        answer = self._answer(response, h.get("Accept") or "")
        self._keep_cookies(answer)
        return answer

    def get(self, url: str, **kw: Any) -> Answer:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> Answer:
        return self.request("POST", url, **kw)

    # --- the event and the answer ---------------------------------------------------------------

    def _event(
        self,
        method: str,
        asked: str,
        app_path: str,
        resource: str,
        params: dict[str, str],
        query: str,
        headers: dict[str, str],
        raw: bytes | None,
    ) -> dict[str, Any]:
        multi_query = parse_qs(query, keep_blank_values=True) if query else None
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        is_b64 = False
        body: str | None = None
        if raw is not None:
            if _is_binary(ctype, binary.GATEWAY):
                body, is_b64 = base64.b64encode(raw).decode("ascii"), True
            else:
                body = raw.decode("utf-8", errors="replace")  # API Gateway's text passthrough
        now = time.time()
        return {
            "resource": resource,
            "path": app_path,
            "httpMethod": method,
            "headers": dict(headers),
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} if multi_query else None,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": params or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "r3s0rc",
                "resourcePath": resource,
                "httpMethod": method,
                "extendedRequestId": "Ext" + uuid.uuid4().hex[:12],
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "path": self.context_prefix + asked[len(self.prefix) :],
                "accountId": "123456789012",
                "protocol": "HTTP/1.1",
                "stage": STAGE,
                "domainPrefix": self.host.split(".")[0],
                "requestTimeEpoch": int(now * 1000),
                "requestId": str(uuid.uuid4()),
                "identity": {"sourceIp": self.source_ip, "userAgent": headers.get("User-Agent"), "user": None},
                "domainName": self.host,
                "apiId": API_ID,
            },
            "body": body,
            "isBase64Encoded": is_b64,
        }

    @staticmethod
    def _answer(response: dict[str, Any], accept: str) -> Answer:
        body = response.get("body") or ""
        first_accept = accept.split(",")[0]
        decoded = response.get("isBase64Encoded") and _is_binary(first_accept, binary.GATEWAY)
        data = base64.b64decode(body) if decoded else body.encode("utf-8")  # else the base64 text itself
        return Answer(
            response["statusCode"], response.get("headers") or {}, response.get("multiValueHeaders") or {}, data
        )

    @staticmethod
    def _gateway_refusal() -> Answer:
        return Answer(403, {"Content-Type": "application/json"}, {}, b'{"message":"Missing Authentication Token"}')

    # --- cookies, as a browser scopes them --------------------------------------------------------

    def _keep_cookies(self, answer: Answer) -> None:
        for line in answer.set_cookies():
            parsed = SimpleCookie()
            parsed.load(line)
            for name, morsel in parsed.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = (morsel.value, morsel["path"] or "/")

    def _cookie_header(self, asked: str) -> str:
        sent = []
        for name, (value, path) in self.cookies.items():
            if asked == path or asked.startswith(path.rstrip("/") + "/") or path == "/":
                sent.append(f"{name}={value}")
        return "; ".join(sent)

    def cookie_paths(self) -> set[str]:
        return {path for _, path in self.cookies.values()}


def _is_binary(content_type: str, binary_types: list[str]) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    return any(t == ctype or t == "*/*" for t in binary_types)
