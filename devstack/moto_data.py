"""`/moto-api/data.json?service=ses`: moto's dump of one service's models instead of all of them.

The local outbox (services/outbox.py) reads the mail SES accepted from moto's data dump. moto dumps
every tracked model of every service — each DynamoDB item, each S3 object's attributes — trying
`json.dumps` on every attribute, so after a long run (a burst's 400 PDFs) one outbox read took
6–9 s and, walking live objects without a lock, sometimes failed with a 500. With `service=` the
dump is the named services' models only; without it, moto's own answer. Local and test
infrastructure only: Lambda's stages have no outbox.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

_patched = False


def dump_one_service_on_request() -> None:
    """Idempotent: teach moto's data endpoint the `service` query parameter."""
    global _patched
    if _patched:
        return
    from moto.moto_api._internal.responses import MotoAPIResponse

    original = MotoAPIResponse.model_data

    @functools.wraps(original)
    def model_data(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        wanted = parse_qs(urlsplit(full_url).query).get("service")
        if not wanted:
            return original(self, request, full_url, headers)
        return 200, {"Content-Type": "application/json"}, json.dumps(services_dump(set(wanted)))

    MotoAPIResponse.model_data = model_data  # type: ignore[method-assign]
    _patched = True


def services_dump(services: set[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """moto's dump (its model_data walk) restricted to `services`."""
    from moto.core.model_instances import model_data

    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for service in sorted(services & set(model_data)):
        results[service] = {
            name: [_public_json_attributes(i) for i in list(model.instances_tracked)]  # type: ignore[attr-defined]
            for name, model in sorted(model_data[service].items())
        }
    return results


def _public_json_attributes(instance: Any) -> dict[str, Any]:
    out = {}
    for attr in dir(instance):
        if attr.startswith("_"):
            continue
        try:
            value = getattr(instance, attr)
            json.dumps(value)
        except (TypeError, AttributeError, ValueError):
            continue
        out[attr] = value
    return out
