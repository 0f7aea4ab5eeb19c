"""SES adapter: one multipart/alternative message (text + HTML, UTF-8) through `send_raw_email`.

Raw MIME rather than `send_email` so both parts reach every client (and the
local outbox, which decodes raw messages) exactly as built here. The body parts
are base64 so no mail relay rewraps Japanese lines, and the subject is an
RFC 2047 encoded word. The sender is the stage's `SES_SENDER`; nothing here
knows an address.

The client's timeouts and retries are bounded so that a send always finishes
(or fails) well inside the notification lease (services/notify.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from chalicelib import aws_config, logs, settings
from chalicelib.store import connection, suppressions


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


def build_mime(mail: Mail, sender: str) -> bytes:
    """The message as SES will relay it: multipart/alternative, text first (least preferred)."""
    utf8 = Charset("utf-8")
    utf8.body_encoding = BASE64
    utf8.header_encoding = BASE64
    msg = MIMEMultipart("alternative")
    msg["Subject"] = Header(mail.subject, utf8, header_name="Subject")
    msg["From"] = formataddr(("", sender))
    msg["To"] = mail.to
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg.attach(MIMEText(mail.text, "plain", utf8))
    msg.attach(MIMEText(mail.html, "html", utf8))
    return msg.as_bytes()


def send(mail: Mail) -> str:
    """Hand the mail to SES; returns SES's MessageId ("suppressed" when the address is
    suppressed: nothing is sent). Raises on any refusal (the caller retries)."""
    if suppressions.reason_for(mail.to):  # issue 13: SES reported it bouncing or complaining
        return "suppressed"
    s = settings.current()
    raw = build_mime(mail, s.ses_sender)
    resp = client()
    extra = {"ConfigurationSetName": s.ses_configuration_set} if s.ses_configuration_set else {}
    try:
        answer = resp.send_raw_email(Source=s.ses_sender, Destinations=[mail.to], RawMessage={"Data": raw}, **extra)
    except Exception:
        logs.metric("MailFailed")
        raise
    logs.metric("MailSent")
    return answer["MessageId"]


def client() -> Any:
    """This container's SES client (the stage's region and endpoint)."""
    return _client(settings.current().region, _endpoint())


def _endpoint() -> str | None:
    return aws_config.endpoint_override("ses")


@functools.lru_cache(maxsize=4)
def _client(region: str, endpoint: str | None) -> Any:
    """One client per container (creating one costs tens of milliseconds).

    Two attempts of 2 s connect + 5 s read: a send ends within ~15 s, half the
    Lambda timeout, so a stuck SES call never outlives the invocation.
    """
    return connection.aws_client("ses", region, endpoint, aws_config.client_config("ses"))
