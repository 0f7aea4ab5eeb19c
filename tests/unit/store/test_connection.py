"""store/connection.py: every model and transaction shares one botocore client per process."""

from __future__ import annotations

import pytest

from chalicelib.store import connection
from chalicelib.store.models import ALL_MODELS, GuaranteeModel, SessionModel


@pytest.fixture(autouse=True)
def endpoint(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never contacted: no call is made
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)


def test_every_model_sends_through_one_client_and_one_session():
    clients = {id(model._get_connection().connection.client) for model in ALL_MODELS.values()}
    assert len(clients) == 1
    assert connection.connection().client is SessionModel._get_connection().connection.client
    assert GuaranteeModel._get_connection().connection.session is connection.session()


def test_the_client_has_explicit_timeouts_and_standard_retries(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    config = connection.dynamodb_client().meta.config  # AWS's endpoint
    assert config.connect_timeout == 2.0 and config.read_timeout == 5.0
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_a_local_endpoint_waits_longer_for_its_answers(monkeypatch):
    # moto answers one request at a time: a burst queues there, not at AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:11")
    config = connection.dynamodb_client().meta.config
    assert config.connect_timeout == 2.0 and config.read_timeout == connection.LOCAL_READ_TIMEOUT_SECONDS == 60.0
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_the_endpoint_is_read_when_the_client_is_asked_for(monkeypatch):
    first = connection.dynamodb_client()
    assert first.meta.endpoint_url == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:10")
    second = SessionModel._get_connection().connection.client
    assert second is not first and second.meta.endpoint_url == "http://127.0.0.1:10"
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB")
    assert connection.dynamodb_client() is first


def test_a_client_without_credentials_is_replaced(monkeypatch):
    client = connection.dynamodb_client()
    monkeypatch.setattr(client._request_signer, "_credentials", None)
    assert connection.dynamodb_client() is not client


def test_a_service_model_is_found_without_listing_every_service(monkeypatch):
    import botocore.loaders

    def listing(*_):
        raise AssertionError("listed every service botocore ships")

    loader = connection._loader(None)
    monkeypatch.setattr(loader, "list_available_services", listing)
    stock = botocore.loaders.create_loader()
    for type_name in ("service-2", "endpoint-rule-set-1"):
        assert loader.load_service_model("dynamodb", type_name) == stock.load_service_model("dynamodb", type_name)
    assert connection.session().get_component("data_loader").__class__ is connection.ServiceLoader


def test_an_unknown_service_is_still_botocores_unknown_service_error():
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.UnknownServiceError):
        connection._loader(None).load_service_model("no-such-service", "service-2")
