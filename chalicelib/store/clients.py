"""Machine clients (OAuth 2.0 client credentials) as `domain.accounts.MachineClient`."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.accounts import MachineClient
from chalicelib.domain.audit import AuditEntry
from chalicelib.store import audit, paging, txn
from chalicelib.store.models import ClientModel

DIRECTORY = "client"


def _client(row: ClientModel) -> MachineClient:
    return MachineClient(row.client_id, row.orderer_id, row.name, row.created_at, row.secret_hash, row.status)


def get(client_id: str) -> MachineClient | None:
    if not client_id or len(client_id) > 64:
        return None
    try:
        return _client(ClientModel.get(client_id, consistent_read=True))
    except DoesNotExist:
        return None


def create(client: MachineClient, entry: AuditEntry) -> None:
    def build(tx: Any) -> None:
        tx.save(
            ClientModel(
                client.client_id,
                directory=DIRECTORY,
                orderer_id=client.orderer_id,
                name=client.name,
                secret_hash=client.secret_hash,
                status="active",
                created_at=client.created_at,
            ),
            condition=ClientModel.client_id.does_not_exist(),
        )
        audit.add(tx, entry)

    txn.run(build)


def revoke(client_id: str, entry: AuditEntry) -> bool:
    """Mark the client revoked (tokens are checked against it on every call). False if absent
    or already revoked."""

    def build(tx: Any) -> None:
        tx.update(
            ClientModel(client_id),
            actions=[ClientModel.status.set("revoked")],
            condition=ClientModel.client_id.exists() & (ClientModel.status == "active"),
        )
        audit.add(tx, entry)

    try:
        txn.run(build)
    except txn.ConditionFailed:
        return False
    return True


def list_clients(orderer_id: str | None, limit: int, cursor: str | None) -> tuple[list[MachineClient], str | None]:
    def keep(row: ClientModel) -> bool:
        return row.status == "active"

    def run(start: dict[str, Any] | None, size: int) -> Any:
        if orderer_id:
            return ClientModel.by_orderer.query(orderer_id, limit=size, last_evaluated_key=start)
        return ClientModel.by_directory.query(DIRECTORY, limit=size, last_evaluated_key=start)

    rows, next_cursor = paging.page(run, limit, cursor, keep)
    return [_client(r) for r in rows], next_cursor
