"""SES feedback (handlers/bounces.py, services/bounces.py).

A published bounce suppresses the address, no mail goes to it, and Net Desk and the staff
application flag it.
"""

from __future__ import annotations

import json

from tests.admin_api import outbox, post
from tests.functional.conftest import browser_login


def _sns_event(message: dict) -> dict:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventSubscriptionArn": "arn:aws:sns:ap-northeast-1:123456789012:esurety-local-ses-feedback:1",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "m-1",
                    "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:esurety-local-ses-feedback",
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": "2026-01-01T00:00:00.000Z",
                    "MessageAttributes": {},
                },
            }
        ]
    }


def test_a_published_bounce_suppresses_the_address_and_no_mail_goes_to_it(client):
    from chalicelib.services import bounces

    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [
                        {"emailAddress": "Soumu@example.co.jp", "diagnosticCode": "550 5.1.1 user unknown"}
                    ],
                },
            }
        ),
    )
    assert bounces.undeliverable("soumu@example.co.jp") == "bounce"
    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Bounce",
                "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "info@example.com"}]},
            }
        ),
    )
    assert bounces.undeliverable("info@example.com") is None
    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Complaint",
                "complaint": {"complainedRecipients": [{"emailAddress": "info@example.com"}]},
            }
        ),
    )
    assert bounces.undeliverable("info@example.com") == "complaint"
    assert post(client, "/api/account/reset", None, {"login": "demo-contractor"}).status_code == 202
    assert [m for m in outbox(client) if "soumu@example.co.jp" in m["to"]] == []


def test_a_bounced_address_is_flagged_on_net_desk_and_on_the_staff_application(client):
    from tests.factories import make_application

    app = make_application(owner_org="c-0001")  # its delivery.email is soumu@example.co.jp
    contractor, _ = browser_login(client, "netdesk", "demo-contractor", "demo-pass-1")
    staff, _ = browser_login(client, "staff", "ibaraki-staff", "demo-pass-3")

    def pages() -> tuple[str, str]:
        mine = client.http.get("/netdesk/applications", headers={"Cookie": f"esurety_session={contractor}"})
        review = client.http.get(
            f"/staff/applications/{app.application_id}", headers={"Cookie": f"esurety_session={staff}"}
        )
        assert mine.status_code == 200 and review.status_code == 200
        return mine.body.decode(), review.body.decode()

    assert all("配信不能" not in html for html in pages())
    client.lambda_.invoke(
        "SesFeedback",
        _sns_event(
            {
                "notificationType": "Bounce",
                "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "soumu@example.co.jp"}]},
            }
        ),
    )
    mine, review = pages()
    assert "soumu@example.co.jp: 配信不能" in mine
    assert "配信不能: このアドレスにはメールが届きません" in review
