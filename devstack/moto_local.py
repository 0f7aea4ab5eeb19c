"""Everything the embedded moto server needs before it starts, in one call for its three starters
(the local stack, the functional tests' in-process server, bench/)."""

from __future__ import annotations


def prepare_moto() -> None:
    """Idempotent. DynamoDB's isolation (moto_atomic), the per-host backend lookup (moto_dispatch)
    and the one-service data dump the local outbox reads (moto_data)."""
    from devstack.moto_atomic import serialise_dynamodb
    from devstack.moto_data import dump_one_service_on_request
    from devstack.moto_dispatch import remember_backend_per_host

    serialise_dynamodb()
    remember_backend_per_host()
    dump_one_service_on_request()
