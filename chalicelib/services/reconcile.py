"""The reconciler: no PDF is lost and none lingers unreferenced (issue 15).

An object still tagged `pending` after the grace period was left by a write
whose outcome its request could not learn (or whose untag failed). Its
metadata names the number, version and document it was uploaded for; the
committed version row decides:

- the row references the object → it is released (untagged): the write
  committed, only the tidy-up was lost;
- no row references it → it is deleted: the write never committed.

Objects without that metadata (uploaded before it existed) are left to the
bucket's lifecycle rule. Run by the scheduled function (handlers/maintenance.py)
and locally by `python -m devstack.reconcile`.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import logs
from chalicelib.store import guarantees as guarantees_store
from chalicelib.store import objects

#: Younger pending objects may belong to a write still in flight (a Lambda lives ≤ 15 min).
GRACE_SECONDS = 15 * 60


@dataclass
class Report:
    released: int = 0
    deleted: int = 0
    unknown: int = 0


def run(grace_seconds: int = GRACE_SECONDS) -> Report:
    """One pass over the bucket's pending objects."""
    report = Report()
    for key, owner in objects.pending_objects(grace_seconds):
        number, version, document = owner.get("number"), owner.get("version", ""), owner.get("document")
        if not number or not version.isdigit() or document not in ("pdf_key", "key_notice_key"):
            report.unknown += 1
            continue
        row = guarantees_store.version(number, int(version), consistent=True)
        if row is not None and getattr(row, document) == key:
            objects.release(key)
            report.released += 1
        else:
            objects.discard(key)
            report.deleted += 1
    logs.info("reconciled", released=report.released, deleted=report.deleted, unknown=report.unknown)
    return report
