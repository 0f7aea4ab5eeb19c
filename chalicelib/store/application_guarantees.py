"""The guarantees one application produced, found with a single Query (no Scan).

Issuance writes every guarantee of an application with the same `issued_at`
as the application's `decided_at`, so the contractor's index answers exactly
for that instant; the application id filters out any other issue of that moment.
"""

from __future__ import annotations

from chalicelib.store.models import GuaranteeModel


def issued_for(contractor_org: str, application_id: str, issued_at: str) -> list[GuaranteeModel]:
    query = GuaranteeModel.by_contractor.query(
        contractor_org,
        GuaranteeModel.issued_at == issued_at,
        filter_condition=GuaranteeModel.application_id == application_id,
    )
    return sorted(query, key=lambda g: g.number)
