"""A deployed stage's values and signing secret, read from SSM Parameter Store.

settings.py (the base layer, read by every layer but the domain) imports
nothing above it and calls no AWS service, so it asks through the two readers
this module installs there on import — and the store package imports this
module first thing (store/__init__.py), so any process that has loaded the
store can read them. Locally, and wherever the environment names the values,
settings never asks.
"""

from __future__ import annotations

import functools
from typing import Any

from chalicelib import aws_config, settings
from chalicelib.store import connection

#: SSM answers kept per container once complete; an incomplete answer is asked again, so a
#: stage whose values the deploy writes a moment later starts serving without a restart.
_VALUES: dict[tuple[tuple[str, ...], str], dict[str, str]] = {}


def values(names: tuple[str, ...], region: str) -> dict[str, str]:
    """{name: value} of the parameters that exist among `names` (one GetParameters)."""
    key = (names, region)
    if key in _VALUES:
        return _VALUES[key]
    answer = _client(region, aws_config.endpoint_override("ssm")).get_parameters(Names=list(names))
    found = {p["Name"]: p["Value"] for p in answer.get("Parameters", [])}
    if all(found.get(n) for n in names):
        _VALUES[key] = found
    return found


@functools.lru_cache(maxsize=4)
def secret(name: str, region: str) -> bytes:
    """A SecureString parameter's value, fetched once per container."""
    ssm = _client(region, aws_config.endpoint_override("ssm"))
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"].encode()


@functools.lru_cache(maxsize=4)
def _client(region: str, endpoint: str | None) -> Any:
    return connection.aws_client("ssm", region, endpoint, aws_config.client_config("ssm"))


settings.read_parameters_with(values=values, secret=secret)
