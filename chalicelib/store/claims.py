"""Claim-with-lease: exactly one worker at a time owns a key, and a dead one's claim runs out.

Used for Idempotency-Key records (services/idempotency.py) and for completion
mail per certificate version (services/notify.py). One row per key:

- `claim(key)`: a conditional put that succeeds only when the row is absent or
  holds a claim whose lease has run out; it returns a random token that names
  this holder.
- `complete(key, token, data)`: mark the row done with what the work produced,
  only while this token still holds the claim.
- `release(key, token)`: end this holder's lease now (the work failed and may
  be retried at once), only while it still holds it; `forget(key, token)`
  deletes the row instead, as if the key had never been used.
- `read(key)`: the row as it is (strongly consistent).

Each table keeps its own words for the two states (`in_progress`/`completed`
for Idempotency-Keys, `claimed`/`sent` for mail), so the rows read as before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.records import ClaimRecord
from chalicelib.store import tx
from chalicelib.store.models import IdempotencyModel, NotificationModel, StoreModel

_CORE = ("status", "lease_until", "claim_token")


@dataclass(frozen=True)
class ClaimTable:
    """The claims of one table: `model` has `status`, `lease_until` and `claim_token`."""

    model: type[StoreModel]
    key_attribute: str
    claimed: str
    done: str

    def _key(self) -> Any:
        return getattr(self.model, self.key_attribute)

    def _attr(self, name: str) -> Any:
        return getattr(self.model, name)

    def _held_by(self, token: str) -> Any:
        return (self._attr("status") == self.claimed) & (self._attr("claim_token") == token)

    def claim(
        self,
        key: str,
        lease_seconds: int,
        now: float,
        data: dict[str, Any] | None = None,
        takeover_if: dict[str, Any] | None = None,
    ) -> str | None:
        """This attempt's token, or None when the key is done or under someone's live lease.

        A claim whose lease ran out is taken over only if the row also holds every
        value of `takeover_if` (e.g. the same request fingerprint)."""
        token = secrets.token_hex(16)
        row = self.model(
            key,
            status=self.claimed,
            lease_until=int(now) + lease_seconds,
            claim_token=token,
            **(data or {}),
        )
        lease_over = (self._attr("lease_until") < now) | self._attr("lease_until").does_not_exist()
        expired = (self._attr("status") == self.claimed) & lease_over
        for name, value in (takeover_if or {}).items():
            expired = expired & (self._attr(name) == value)
        claimable = self._key().does_not_exist() | expired
        try:
            tx.retrying(lambda: row.save(condition=claimable), what="claim")
        except tx.ConditionFailed:
            return None
        return token

    def read(self, key: str) -> ClaimRecord | None:
        try:
            row = self.model.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        names = [n for n in self.model.get_attributes() if n != self.key_attribute and n not in _CORE]
        return ClaimRecord(
            key=key,
            status=row.status,
            lease_until=int(row.lease_until or 0),
            claim_token=row.claim_token,
            data={n: getattr(row, n) for n in names},
        )

    def complete(self, key: str, token: str, data: dict[str, Any]) -> bool:
        """Mark the work done with `data`; False when this token no longer holds the claim."""
        actions = [self._attr("status").set(self.done), self._attr("lease_until").set(0)]
        actions += [self._attr(name).set(value) for name, value in data.items()]
        try:
            tx.retrying(lambda: self.model(key).update(actions=actions, condition=self._held_by(token)), what="claim")
        except tx.ConditionFailed:
            return False
        return True

    def release(self, key: str, token: str, data: dict[str, Any] | None = None) -> bool:
        """End this holder's lease now so a retry need not wait; False when it had lost it."""
        actions = [self._attr("lease_until").set(0)]
        actions += [self._attr(name).set(value) for name, value in (data or {}).items()]
        try:
            tx.retrying(lambda: self.model(key).update(actions=actions, condition=self._held_by(token)), what="claim")
        except tx.ConditionFailed:
            return False
        return True

    def forget(self, key: str, token: str) -> bool:
        """Delete the row while this token holds it: the key is as if never used."""
        try:
            tx.retrying(lambda: self.model(key).delete(condition=self._held_by(token)), what="claim")
        except tx.ConditionFailed:
            return False
        return True

    def add_completed(self, writes: tx.Writes, key: str, data: dict[str, Any]) -> None:
        """Add to a transaction: the key, already done with `data`, if nobody has it yet."""
        row = self.model(key, status=self.done, lease_until=0, **data)
        writes.put(row, condition=self._key().does_not_exist())


IDEMPOTENCY = ClaimTable(IdempotencyModel, "key", claimed="in_progress", done="completed")
NOTIFICATIONS = ClaimTable(NotificationModel, "notification_id", claimed="claimed", done="sent")
