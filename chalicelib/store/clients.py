"""Machine clients (OAuth 2.0 client credentials) as `domain.records.MachineClient`;
each write goes in one transaction with its audit record (store/tx.py)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.records import MachineClient
from chalicelib.store import audit, paging, tx
from chalicelib.store.models import ClientModel

DIRECTORY = "client"
MAX_ID_LENGTH = 64  # longer was never a client id; never sent to DynamoDB


def _client(row: ClientModel) -> MachineClient:
    sources = tuple(row.allowed_sources or ())
    return MachineClient(row.client_id, row.orderer_id, row.name, row.created_at, row.secret_hash, row.status, sources)


def get(client_id: str) -> MachineClient | None:
    if not client_id or len(client_id) > MAX_ID_LENGTH:
        return None
    try:
        return _client(ClientModel.get(client_id, consistent_read=True))
    except DoesNotExist:
        return None


def create(client: MachineClient, entry: AuditEntry) -> None:
    writes = tx.Writes()
    writes.put(
        ClientModel(
            client.client_id,
            directory=DIRECTORY,
            orderer_id=client.orderer_id,
            name=client.name,
            secret_hash=client.secret_hash,
            status="active",
            created_at=client.created_at,
            allowed_sources=list(client.allowed_sources) or None,
        ),
        condition=ClientModel.client_id.does_not_exist(),
    )
    audit.add(writes, entry)
    tx.commit(writes, what="client")


def revoke(client_id: str, entry: AuditEntry) -> bool:
    """Mark the client revoked (tokens are checked against it on every call). False if absent
    or already revoked."""
    writes = tx.Writes()
    writes.update(
        ClientModel(client_id),
        [ClientModel.status.set("revoked")],
        condition=ClientModel.client_id.exists() & (ClientModel.status == "active"),
    )
    audit.add(writes, entry)
    try:
        tx.commit(writes, what="client")
    except tx.ConditionFailed:
        return False
    return True


def list_clients(orderer_id: str | None, limit: int, cursor: str | None) -> tuple[list[MachineClient], str | None]:
    """Active clients, of one orderer or all, by client id: one Query, never a Scan."""

    def keep(client: MachineClient) -> bool:
        return client.status == "active"

    def run(start: dict[str, Any] | None, size: int) -> Any:
        if orderer_id:
            return ClientModel.by_orderer.query(orderer_id, limit=size, last_evaluated_key=start)
        return ClientModel.by_directory.query(DIRECTORY, limit=size, last_evaluated_key=start)

    return paging.page(run, limit, cursor, keep, convert=_client)
