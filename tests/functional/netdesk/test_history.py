"""電子保証履歴一覧 (/netdesk/history) and the Net Desk help page, as the seed's Net Desk shows them."""

from __future__ import annotations

import re

from tests.factories import add_version, make_guarantee
from tests.functional.conftest import bearer


def test_history_lists_every_electronic_event_of_the_organisation_newest_first(client, tokens):
    a = make_guarantee("30026-000101M", issued_at="2026-01-05T01:00:00+00:00", project_name="古い工事")
    make_guarantee("30026-000102M", issued_at="2026-02-05T01:00:00+00:00", project_name="新しい工事")
    add_version(a, 2, "correction", issued_at="2026-03-05T01:00:00+00:00")
    make_guarantee("30026-000103M", form="paper", issued_at="2026-04-05T01:00:00+00:00")  # not electronic
    make_guarantee("30026-000104M", contractor_org="c-0002", issued_at="2026-04-06T01:00:00+00:00")  # another's
    resp = client.http.get("/netdesk/history", headers=bearer(tokens["contractor"]))
    assert resp.status_code == 200
    html = resp.body.decode()
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    numbers = re.findall(r">(30026-\d{6}M)</a>", rows)
    kinds = re.findall(r"<td>(新規|訂正) \(第(\d)版\)</td>", rows)
    assert numbers == ["30026-000101M", "30026-000102M", "30026-000101M"]  # newest event first
    assert kinds == [("訂正", "2"), ("新規", "1"), ("新規", "1")]
    assert "30026-000103M" not in html and "30026-000104M" not in html
    assert "全1ページ(3件)中の1ページ目" in html
    assert 'href="/netdesk/guarantees/30026-000101M/certificate?version=2"' in html


def test_history_pages_say_how_many_pages_and_items_there_are(client, tokens, monkeypatch):
    from chalicelib.handlers import netdesk_guarantees

    monkeypatch.setattr(netdesk_guarantees, "PAGE_SIZE", 2)
    for i in range(5):
        make_guarantee(f"30026-00020{i}M", issued_at=f"2026-01-0{i + 1}T01:00:00+00:00")
    second = client.http.get("/netdesk/history?page=2", headers=bearer(tokens["contractor"])).body.decode()
    assert "全3ページ(5件)中の2ページ目" in second
    assert (
        'href="/netdesk/history?page=1" rel="prev"' in second and 'href="/netdesk/history?page=3" rel="next"' in second
    )
    assert "30026-000202M" in second and "30026-000201M" in second and "30026-000204M" not in second
    bad = client.http.get("/netdesk/history?page=0", headers=bearer(tokens["contractor"]))
    assert bad.status_code == 400


def test_the_help_page_has_the_three_screens_and_printing(client, tokens):
    html = client.http.get("/netdesk/help", headers=bearer(tokens["contractor"])).body.decode()
    for section in ("全体トップのヘルプ", "保証申込のヘルプ", "保証契約一覧のヘルプ", "印刷方法について"):
        assert f"<h2>{section}</h2>" in html
    top = client.http.get("/netdesk", headers=bearer(tokens["contractor"])).body.decode()
    assert 'href="/netdesk/history"' in top and 'href="/netdesk/help#top-help"' in top


def test_the_application_tab_lists_applications_in_progress_and_differs_from_the_electronic_tab(client, tokens):
    from chalicelib.render.formatting import application_number
    from tests.journeys import submit

    app = submit(client, tokens)
    make_guarantee("30026-000301M")
    t = bearer(tokens["contractor"])
    first = client.http.get("/netdesk/guarantees", headers=t).body.decode()
    electronic = client.http.get("/netdesk/guarantees?tab=electronic", headers=t).body.decode()
    progress = first[first.index('id="in-progress"') : first.index("発行済みの保証")]
    assert application_number(app["id"]) in progress and f'href="/netdesk/applications/{app["id"]}"' in progress
    assert "30026-000301M" in first and "30026-000301M" in electronic
    assert 'id="in-progress"' not in electronic and application_number(app["id"]) not in electronic
