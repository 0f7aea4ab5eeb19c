"""services/views.py: one builder for every view of a guarantee (contractor, staff, D-Sure)."""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.records import CertificateVersion, Guarantee
from chalicelib.services import views

TODAY = dt.date(2026, 12, 1)
G = Guarantee(
    number="30026-000001M",
    application_id="app-1",
    kind="advance_payment",
    form="electronic",
    status="valid",
    contractor_org="c-0001",
    orderer_id="08216",
    issued_at="2026-10-31T13:15:00+09:00",
    deadline="2027-11-15",
    details={
        "contractor_name": "〇〇建設 株式会社",
        "jv_name": None,
        "project_name": "道路改良工事",
        "orderer_name": "笠間市長",
        "contract_amount": 50000000,
        "guarantee_amount": 20000000,
        "period_start": "2026-12-01",
        "period_end": "2027-11-15",
        "deposit_bank": "〇〇銀行",
        "branch_id": "ibaraki",
    },
    auth_key="Z28YUE4J3Bux",
    latest_version=2,
)
V1 = CertificateVersion(G.number, 1, "new", {"v": 1}, "a" * 64, "2026-10-31T13:15:00+09:00", pdf_key="p1")
V2 = CertificateVersion(G.number, 2, "correction", {"v": 2}, "b" * 64, "2026-11-02T09:00:00+09:00", reason="誤記")


def test_staff_view_is_the_contractor_view_plus_what_a_clerk_needs():
    contractor = views.guarantee_view(G, [V2, V1], TODAY)
    staff = views.guarantee_view(G, [V1, V2], TODAY, staff=True)
    extra = {k: staff[k] for k in staff if k not in contractor}
    assert extra == {
        "contractor_id": "c-0001",
        "application_id": "app-1",
        "period_start": "2026-12-01",
        "period_end": "2027-11-15",
    }
    assert {k: v for k, v in staff.items() if k in contractor and k != "versions"} == {
        k: v for k, v in contractor.items() if k != "versions"
    }
    assert [v["version"] for v in contractor["versions"]] == [1, 2]  # oldest first whatever the input order
    assert "reason" not in contractor["versions"][1] and staff["versions"][1]["reason"] == "誤記"


def test_paper_guarantees_never_show_a_key_and_status_follows_the_deadline():
    paper = Guarantee(**{**G.__dict__, "form": "paper", "auth_key": "should-not-show"})
    assert views.guarantee_view(paper, [V1], TODAY)["auth_key"] is None
    assert views.guarantee_view(G, [V1], dt.date(2027, 11, 16))["status"] == "expired"
    cancelled = Guarantee(**{**G.__dict__, "status": "cancelled"})
    assert views.guarantee_view(cancelled, [V1], TODAY)["status"] == "cancelled"


def test_verification_view_shows_the_latest_certificate_from_the_same_parts():
    out = views.verification_view(G, [V1, V2], TODAY, "https://example/pdf")
    assert out["certificate"] == {"v": 2} and out["sha256"] == "b" * 64
    assert out["versions"] == views.version_items([V1, V2])
    assert out["status"] == "valid" and out["kind"] == "advance_payment" and out["pdf_url"] == "https://example/pdf"
