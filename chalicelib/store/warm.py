"""The AWS side of the warm-up (services/warmup.py): clients made, credentials resolved, and after a
SnapStart restore the connection pools emptied (sockets from before the snapshot are dead)."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib import settings
from chalicelib.store import connection, mailer, objects


def _clients() -> list[Any]:
    s = settings.current()
    return [
        connection.dynamodb_client(),
        objects.client(),  # issuance's uploads
        mailer._client(s.region, mailer._endpoint()),  # noqa: SLF001 - the one cached SES client
    ]


def clients() -> None:
    """Every client a request may need, and the credentials presigning signs with."""
    _clients()
    connection.session().get_credentials()


def prime() -> None:
    """One harmless DynamoDB read, so botocore's request and response paths have run once.
    Best effort: with no table or no network (a build), the warm-up goes on without it."""
    from chalicelib.store import sessions

    with contextlib.suppress(Exception):
        sessions.get("warm-up-no-such-session")


def reopen() -> None:
    """After a restore: forget the pooled connections (a new one is opened on the next call)."""
    for client in _clients():
        http = getattr(getattr(client, "_endpoint", None), "http_session", None)
        if http is not None:
            http.close()
