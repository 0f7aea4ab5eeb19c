"""One botocore session and one DynamoDB client per process, shared by every model.

PynamoDB gives each model class its own `Connection`, and each of those opens
its own botocore session (per thread) and client: every table touched for the
first time in a cold container paid for loading botocore's endpoint and service
data again (+510–670 ms measured on a cold verify; NOTES.md). Here every model
and every transaction talks through `SharedConnection`, whose client is the one
made by `dynamodb_client()`: one session, one client, one connection pool per
process, with explicit timeouts and botocore's "standard" retry mode (throttling
and transient errors retried with jittered backoff).

The endpoint is read from the environment (`AWS_ENDPOINT_URL_DYNAMODB`, else
`AWS_ENDPOINT_URL`) when a client is asked for, never at import: the local
stack and the tests point the process at a moto server after importing the
app. A changed endpoint or region gets its own client.

The session's data loader (`ServiceLoader`) finds a service's model in that service's own folder:
botocore's lists every service folder it ships (~400, two listings and ~3,000 `stat`s) to confirm
that "dynamodb" exists before loading it, a third of the first request's client set-up (issue 32).

Timeouts: a Lambda request has ~29 s behind API Gateway; connect 2 s and read
5 s with 3 attempts keep one stuck call from eating the whole budget while
leaving DynamoDB's normal single-digit-millisecond answers untouched.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session
from pynamodb.connection import Connection

from chalicelib import aws_config, settings

CONNECT_TIMEOUT_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 5.0
#: botocore's count includes the first try: 1 call + 2 retries.
TOTAL_MAX_ATTEMPTS = 3
MAX_POOL_CONNECTIONS = 16

CONFIG = botocore.config.Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
    max_pool_connections=MAX_POOL_CONNECTIONS,
    parameter_validation=False,  # PynamoDB builds the requests; validating them again costs time
)

#: A DynamoDB that is not AWS's (the moto server of the local stack and the tests, DynamoDB Local)
#: answers one request at a time: a burst of 250 issues queues there for seconds, which AWS does not
#: do. Its reads get this long, so a local burst is slow rather than a wall of 503s.
LOCAL_READ_TIMEOUT_SECONDS = 60.0
LOCAL_CONFIG = CONFIG.merge(botocore.config.Config(read_timeout=LOCAL_READ_TIMEOUT_SECONDS))


class ServiceLoader(botocore.loaders.Loader):
    """botocore's data loader, except that a service model is looked for in its service's folders only.

    `Loader.load_service_model` first lists every service botocore ships to check that the name is
    one of them; `list_api_versions` answers the same question for the one service. An unknown
    name still gets botocore's own UnknownServiceError (with the names it knows)."""

    @botocore.loaders.instance_cache
    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        try:
            latest = self.determine_latest_version(service_name, type_name)
        except botocore.exceptions.DataNotFoundError:  # no such service (or model type): botocore's answer
            return super().load_service_model(service_name, type_name, api_version)
        version = api_version or latest
        model = self.load_data(os.path.join(service_name, version, type_name))
        self._extras_processor.process(model, self._find_extras(service_name, type_name, version))
        return model


def _loader(data_path: str | None) -> ServiceLoader:
    """What botocore.loaders.create_loader makes for the session's `data_path`, as a ServiceLoader."""
    paths = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)] if data_path else None
    return ServiceLoader(extra_search_paths=paths)


_lock = threading.RLock()
_session: botocore.session.Session | None = None
_clients: dict[tuple[str, str | None], Any] = {}


def endpoint_url() -> str | None:
    """The DynamoDB endpoint the environment names now (None: AWS's regional endpoint)."""
    env = os.environ
    return env.get("AWS_ENDPOINT_URL_DYNAMODB") or env.get("AWS_ENDPOINT_URL") or None


def session() -> botocore.session.Session:
    """The process's botocore session (its loaders cache the endpoint and service data)."""
    global _session
    if _session is None:
        with _lock:
            if _session is None:
                made = botocore.session.get_session()
                made.register_component("data_loader", _loader(made.get_config_variable("data_path")))
                _session = made
    return _session


def _usable(client: Any) -> bool:
    """A client made while credentials were unavailable keeps failing: make a new one then
    (the same guard PynamoDB's own Connection.client has)."""
    signer = getattr(client, "_request_signer", None)
    return signer is None or bool(getattr(signer, "_credentials", None))


def dynamodb_client(region: str | None = None) -> Any:
    """The shared DynamoDB client for `region` (the stage's by default) and today's endpoint.

    botocore clients are thread-safe; creating one is not, hence the lock.
    """
    key = (region or settings.current().region, endpoint_url())
    client = _clients.get(key)
    if client is not None and _usable(client):
        return client
    with _lock:
        client = _clients.get(key)
        if client is None or not _usable(client):
            config = CONFIG if key[1] is None else LOCAL_CONFIG
            client = session().create_client("dynamodb", region_name=key[0], endpoint_url=key[1], config=config)
            _clients[key] = client
    return client


def aws_client(service: str, region: str, endpoint_url: str | None, config: botocore.config.Config) -> Any:
    """A `service` client made by the process's one session, so SSM, SES, S3 and KMS share its loaded
    data, endpoint rules and credentials instead of boto3's default session loading them again."""
    with _lock:
        return session().create_client(service, region_name=region, endpoint_url=endpoint_url, config=config)


@functools.lru_cache(maxsize=4)
def _kms(region: str, endpoint: str | None) -> Any:
    return aws_client("kms", region, endpoint, aws_config.client_config("kms"))


def kms_client() -> Any:
    """The stage's KMS client (its region, and the endpoint the environment names now), one per
    process: the PDF signing key (store/signer.py) and the secrets' key (store/sealed.py) share it."""
    return _kms(settings.current().region, aws_config.endpoint_override("kms"))


def reset() -> None:
    """Forget the session and clients (the bench measures a cold start with it)."""
    global _session
    with _lock:
        _clients.clear()
        _kms.cache_clear()
        _session = None


class SharedConnection(Connection):
    """A PynamoDB Connection that sends through the process's shared client.

    PynamoDB's operations (serialisation, errors, transactions) are kept; only
    the botocore client underneath is shared instead of being built per model.
    """

    @property
    def session(self) -> botocore.session.Session:  # type: ignore[override]
        return session()

    @property
    def client(self) -> Any:  # type: ignore[override]
        return dynamodb_client(self.region)


def connection() -> SharedConnection:
    """A connection for operations that span tables (transactions); cheap to make."""
    return SharedConnection(region=settings.current().region)
