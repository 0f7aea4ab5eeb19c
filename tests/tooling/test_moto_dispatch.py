"""devstack/moto_dispatch: moto's host → backend lookup answered once per host, with moto's own answers."""

from __future__ import annotations

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import create_backend_app

from devstack import moto_dispatch

HOSTS = [
    "dynamodb.ap-northeast-1.amazonaws.com",
    "s3.amazonaws.com",
    "email.ap-northeast-1.amazonaws.com",
    "ssm.ap-northeast-1.amazonaws.com",
    "moto_api",
    None,
    "nothing.example",
]


def test_the_remembered_lookup_gives_moto_s_answers_and_asks_moto_once_per_host(monkeypatch):
    dispatcher = DomainDispatcherApplication(create_backend_app)
    original = DomainDispatcherApplication.get_backend_for_host
    expected = {host: original(dispatcher, host) for host in HOSTS}
    asked = []

    def counting(self, host):
        asked.append(host)
        return original(self, host)

    monkeypatch.setattr(DomainDispatcherApplication, "get_backend_for_host", counting)
    monkeypatch.setattr(moto_dispatch, "_patched", False)
    moto_dispatch.remember_backend_per_host()
    moto_dispatch.remember_backend_per_host()  # idempotent: not wrapped twice
    for _ in range(3):
        assert {host: dispatcher.get_backend_for_host(host) for host in HOSTS} == expected
    assert sorted(asked, key=str) == sorted(HOSTS, key=str)
    assert expected["dynamodb.ap-northeast-1.amazonaws.com"] == "dynamodb" and expected["s3.amazonaws.com"] == "s3"
