"""How many items an organisation's unfiltered list holds, kept beside the list (the pager's total).

A count is a counters-table row `list#<list>#<org>`, added to in the same transaction as the
write that puts an item on the list (guarantees.add_new), so it can never disagree with the list
for longer than that transaction. Rows written before the counts were kept are counted once by
`backfill` (`bin/admin count-lists`, which every `bin/stage up` runs; it does the work once, then
only reads its marker). A list whose count is missing shows the honest next/previous only.

Lists: `guarantees` (保証契約一覧, every form; reservations have their own tab) and `electronic`
(its 電子保証 tab). A filtered list has no kept count: its total would need every row read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from chalicelib.domain.records import Guarantee
from chalicelib.store import organisations, tx
from chalicelib.store.models import CounterModel, GuaranteeModel

LISTS = ("guarantees", "electronic")
MARKER = "list#backfilled"


def _name(list_name: str, org: str) -> str:
    return f"list#{list_name}#{org}"


def lists_of(kind: str, form: str) -> tuple[str, ...]:
    """The lists a guarantee of `kind` and `form` is shown on (none for a 契約保証予約)."""
    if kind == "contract_reservation":
        return ()
    return ("guarantees", "electronic") if form == "electronic" else ("guarantees",)


def add(writes: tx.Writes, new: Iterable[Guarantee]) -> tx.Writes:
    """The new guarantees counted on each list they are shown on, in the caller's transaction (one
    update per count: a transaction may touch an item once, and an issuance writes two guarantees)."""
    counts: Counter[str] = Counter()
    for g in new:
        for list_name in lists_of(g.kind, g.form):
            counts[_name(list_name, g.contractor_org)] += 1
    for name, n in sorted(counts.items()):
        writes.update(CounterModel(name), actions=[CounterModel.value.add(n)])
    return writes


def count(list_name: str, org: str) -> int | None:
    """The list's kept count, or None while it has none (before the back-fill)."""
    try:
        return int(CounterModel.get(_name(list_name, org)).value)
    except CounterModel.DoesNotExist:
        return None


def _contractors() -> Iterator[str]:
    cursor: str | None = None
    while True:
        found, cursor = organisations.list_organisations("contractor", 100, cursor)
        yield from (org.org_id for org in found)
        if not cursor:
            return


def backfill() -> int | None:
    """Count the rows written before the counts were kept, once: set every organisation's counts
    from one read of the guarantees, then the marker. Returns how many counts were set, or None when
    the marker says it was done. Run before the stage takes traffic (bin/stage up, after deploy)."""
    try:
        CounterModel.get(MARKER)
        return None
    except CounterModel.DoesNotExist:
        pass
    counts: Counter[str] = Counter()
    for org in _contractors():  # one Query per contractor on by_contractor: never a Scan
        for row in GuaranteeModel.by_contractor.query(org):
            for list_name in lists_of(row.kind, row.form):
                counts[_name(list_name, org)] += 1
    for name, value in counts.items():
        CounterModel(name, value=value).save()
    CounterModel(MARKER, value=1).save()
    return len(counts)
