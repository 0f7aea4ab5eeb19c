"""store/webhook_http.py: resolved, checked, and connected to the checked address — never a second
look-up; redirects not followed; a silent receiver is a timeout."""

from __future__ import annotations

import socket

from chalicelib.store import webhook_http
from tests.webhook_receiver import receiver


def _never(host, port):
    raise AssertionError("no connection may be made")


def test_a_name_resolving_to_any_private_address_is_refused_without_connecting(monkeypatch):
    monkeypatch.setattr(socket, "create_connection", _never)
    for answer in (["10.0.0.1"], ["8.8.8.8", "10.0.0.1"], ["::1"], []):
        out = webhook_http.post("https://h.example/x", b"{}", {}, resolver=lambda h, p, a=answer: a)
        assert (out.status, out.error) == (None, "refused_target")


def test_a_name_that_does_not_resolve_is_a_connection_error():
    def fails(host, port):
        raise socket.gaierror("no such name")

    assert webhook_http.post("https://nowhere.invalid/x", b"{}", {}, resolver=fails).error == "connection"


def test_the_connection_goes_to_the_address_that_was_checked():
    looked_up = []

    def once(host, port):
        looked_up.append(host)
        return ["127.0.0.1"]

    with receiver(200) as hook:
        port = hook.url.split(":")[2].split("/")[0]
        out = webhook_http.post(
            f"http://receiver.example:{port}/hook?a=1", b'{"x":1}', {}, allow_private=True, resolver=once
        )
    assert (out.status, out.error) == (200, None) and looked_up == ["receiver.example"]
    [got] = hook.received
    assert got["headers"]["host"] == f"receiver.example:{port}" and got["raw"] == '{"x":1}'


def test_a_redirect_is_not_followed():
    with receiver(302, 200) as hook:
        out = webhook_http.post(hook.url, b"{}", {}, allow_private=True)
    assert (out.status, out.error) == (302, "redirect") and len(hook.received) == 1


def test_a_receiver_that_never_answers_is_a_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        out = webhook_http.post(url, b"{}", {}, allow_private=True, timeout=0.2)
    assert out.error == "timeout"
