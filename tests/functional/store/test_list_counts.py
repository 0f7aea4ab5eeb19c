"""The pager's kept counts (store/list_counts.py): added in the issuance's own transaction, read
back as the list's total, and back-filled once for rows written before they were kept."""

from __future__ import annotations

from chalicelib.store import list_counts
from tests.factories import make_guarantee
from tests.functional.conftest import bearer


def test_an_issuance_counts_its_guarantees_in_the_same_transaction(client, tokens, issued):
    # the issued fixture: one application, two electronic guarantees, one transaction
    assert list_counts.count("guarantees", "c-0001") == len(issued) == 2
    assert list_counts.count("electronic", "c-0001") == 2
    assert list_counts.count("guarantees", "c-0002") is None  # nothing kept: no total shown
    html = client.http.get("/netdesk/guarantees", headers=bearer(tokens["contractor"])).body.decode()
    assert "全1ページ(2件)中の1ページ目" in html
    filtered = client.http.get("/netdesk/guarantees?project=x", headers=bearer(tokens["contractor"])).body.decode()
    assert "件)中の" not in filtered  # a filtered list keeps the honest next/previous


def test_the_back_fill_counts_older_rows_once(client):
    make_guarantee("30026-000401M")  # written the way rows were before the counts were kept
    make_guarantee("30026-000402M", form="paper")
    make_guarantee("30026-000403M", contractor_org="c-0002")
    make_guarantee("30026-000404Y", kind="contract_reservation")  # its own tab: on no list
    assert list_counts.count("guarantees", "c-0001") is None
    assert list_counts.backfill() == 4  # guarantees and electronic, of c-0001 and c-0002
    assert list_counts.count("guarantees", "c-0001") == 2 and list_counts.count("electronic", "c-0001") == 1
    assert list_counts.count("guarantees", "c-0002") == 1
    make_guarantee("30026-000405M")
    assert list_counts.backfill() is None  # once: the marker stops a second count
    assert list_counts.count("guarantees", "c-0001") == 2
