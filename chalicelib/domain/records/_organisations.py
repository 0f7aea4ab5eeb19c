"""Organisations: contractors, orderers, branches, hq (store/organisations.py).

Imported by name from `chalicelib.domain.records`, which loads this module on first use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Organisation:
    """A contractor, orderer, branch or hq, and whether it is disabled."""

    org_id: str
    kind: str  # contractor | orderer | branch | hq
    name: str
    status: str = "active"  # active | disabled

    @property
    def disabled(self) -> bool:
        return self.status == "disabled"
