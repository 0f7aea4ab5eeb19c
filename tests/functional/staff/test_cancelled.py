"""Issue 14 step 4: cancelled means cancelled — no key, no key notice, a certificate marked 取消."""

from __future__ import annotations

import io
import json

from pypdf import PdfReader

from chalicelib.store import guarantees, objects
from tests.functional.conftest import bearer, body
from tests.journeys import post_version, requested_then_approved

JSON = {"Content-Type": "application/json"}


def test_a_cancelled_guarantee_shows_no_key_and_its_pdf_says_cancelled(client, tokens, issued):
    number, key = issued[0]["number"], issued[0]["auth_key"]
    asked = post_version(client, tokens, number, {"kind": "cancellation", "reason": "契約解除"})
    assert requested_then_approved(client, tokens, asked).status_code == 201

    contractor = bearer(tokens["contractor"])
    overview = body(client.http.get(f"/api/guarantees/{number}", headers=contractor))
    assert overview["status"] == "cancelled" and overview["auth_key"] is None
    assert client.http.get(f"/api/guarantees/{number}/key-notice.pdf", headers=contractor).status_code == 404
    staff_view = body(client.http.get(f"/api/staff/guarantees/{number}", headers=bearer(tokens["staff"])))
    assert staff_view["auth_key"] is None
    page = client.http.get(
        f"/netdesk/guarantees/{number}", headers={"Cookie": f"esurety_session={tokens['contractor']}"}
    )
    html = page.body.decode()
    assert (
        page.status_code == 200
        and key not in html
        and "発注者にお知らせください" not in html
        and "取り消されました" in html
    )

    v2 = guarantees.version(number, 2)
    assert v2.key_notice_key is None  # no new notice carrying a dead key
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(objects.get(v2.pdf_key))).pages)
    assert "取消" in text and "契約解除" in text and "取り消されました" in text
    assert "その責に任じます" not in text and "その責に任じます" not in v2.content["binding_sentence"]

    verify = client.http.post(
        "/api/verify", headers=bearer(tokens["kasama"], **JSON), body=json.dumps({"number": number, "auth_key": key})
    )
    assert verify.status_code == 200 and body(verify)["status"] == "cancelled"
