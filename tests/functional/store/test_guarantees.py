"""store/guarantees.py: a guarantee row written before the row kept its versions' summary (no
`summary`) still reads whole — its versions come from the certificates table (one Query more).

Every row the app (and tests/factories.py) writes keeps the summary; this is the only test of a
row without it, so it writes the rows through the models as such an older row was written.
"""

from __future__ import annotations

from chalicelib.store import guarantees
from chalicelib.store.models import CertificateModel, GuaranteeModel
from tests.factories import make_guarantee


def test_a_row_without_its_summary_reads_its_versions_from_the_certificates(client):
    made = make_guarantee("30026-000777M", auth_key="Z28YUE4J3Bux")
    v1 = guarantees.version(made.number, 1)
    row = GuaranteeModel.get(made.number)
    row.summary, row.latest_version = None, 2
    row.save()
    CertificateModel(made.number, 2, kind="correction", content={**v1.content, "version": 2}, sha256="s2",
                     issued_at="2026-11-02T09:00:00+09:00", reason="訂正").save()  # fmt: skip

    g = guarantees.get(made.number)
    assert g.history == () and g.latest_version == 2
    read, versions = guarantees.with_history(made.number)
    assert read.number == made.number
    assert [(v.version, v.kind) for v in versions] == [(1, "new"), (2, "correction")]
    assert versions[0].content == v1.content and versions[1].reason == "訂正"
    detail = client.http.get(f"/api/guarantees/{made.number}")  # unauthenticated: refused, but no 500
    assert detail.status_code == 401
