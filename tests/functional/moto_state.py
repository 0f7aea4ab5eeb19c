"""A clean stage for every functional test without rebuilding it: put moto's state back to a snapshot.

Rebuilding the stage before each test (moto reset, 12 `create_table` calls with their waits and TTL
updates, the bucket, the SES sender, the demo seed: ~60 calls to the moto server) cost 0.5–2 s a test
and was most of the functional suite's time. The moto server runs in this process, so the stage is
built once per session and, before each test, moto's in-process state is put back to the snapshot
taken right after seeding:

- DynamoDB: every table keeps its definition (keys, indexes, streams, TTL); its items become a deep
  copy of the snapshot's and its stream shard is emptied, as on a freshly created table;
- S3 and SES: their backends are reset and the bucket and verified sender made again (3 calls),
  which also closes moto's temporary files for the objects the test wrote;
- SSM: reset (the local stage has no parameters; a test of a deployed stage writes its own);
- moto's register of model instances (what `/moto-api/data.json` lists, where the local outbox
  reads sent mail) is emptied, as `/moto-api/reset` does.

If a test changed the set of tables (created or deleted one), the snapshot no longer fits: the stage
is rebuilt from scratch and snapshotted again, so no test ever starts from a stage that differs from
the one `rebuild` makes.
"""

from __future__ import annotations

import copy
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import StreamShard
from moto.s3.models import s3_backends
from moto.ses.models import ses_backends
from moto.ssm.models import ssm_backends

from chalicelib import settings
from chalicelib.store import orderers, provision


@dataclass(frozen=True)
class Snapshot:
    """The DynamoDB items of every table, by table name, right after the stage was built."""

    items: dict[str, Any]


def _dynamodb() -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.current().region]


def reset_moto(moto_url: str) -> None:
    """Forget everything moto holds (every service, every account)."""
    req = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).read()  # noqa: S310 - the loopback moto server


def rebuild(moto_url: str, seed: Callable[[], None]) -> Snapshot:
    """Build the stage from nothing (as every test once did) and snapshot it."""
    reset_moto(moto_url)
    provision.provision_all()
    seed()
    return snapshot()


def snapshot() -> Snapshot:
    return Snapshot({name: copy.deepcopy(table.items) for name, table in _dynamodb().tables.items()})


def restore(snap: Snapshot, moto_url: str, seed: Callable[[], None]) -> Snapshot:
    """Put the stage back to `snap`; returns the snapshot to use next time (a new one after a rebuild)."""
    tables = _dynamodb().tables
    if set(tables) != set(snap.items):
        return rebuild(moto_url, seed)
    for name, table in tables.items():
        table.items = copy.deepcopy(snap.items[name])
        if table.stream_shard is not None:
            table.stream_shard = StreamShard(table.account_id, table)
    s3_backends[DEFAULT_ACCOUNT_ID]["global"].reset()  # first: it closes the files of the keys moto tracks
    reset_model_data()  # moto's register of every model instance: the outbox reads sent mail from it
    ses_backends[DEFAULT_ACCOUNT_ID][settings.current().region].reset()
    ssm_backends[DEFAULT_ACCOUNT_ID][settings.current().region].reset()  # a deployed stage's values and secret
    provision.create_bucket()
    provision.verify_sender()
    orderers.clear_cache()  # the per-container reference cache must not outlive the data it was read from
    return snap
