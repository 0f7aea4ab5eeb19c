"""The account mails (invitation, reset, MFA re-enrolment): one link each, never a password.

No mail goes to an address SES reported as bouncing or complaining
(store/suppressions.py); the caller learns that the mail was not sent.
"""

from __future__ import annotations

from chalicelib import logs, settings
from chalicelib.domain.accounts import TOKEN_TTL_SECONDS
from chalicelib.domain.records import Account
from chalicelib.render.templates import render
from chalicelib.store import mailer, suppressions

SETUP_PATH = "/account/setup"

_SUBJECTS = {
    "invitation": (
        "【e-Surety】アカウント開設のご案内",
        "e-Surety のアカウントが作成されました。パスワードを設定してご利用を開始してください。",
    ),
    "reset": ("【e-Surety】パスワード再設定のご案内", "パスワード再設定のお申し出を受け付けました。"),
    "mfa_reset": (
        "【e-Surety】二要素認証の再設定のご案内",
        "管理者が二要素認証 (認証アプリ) の設定を初期化しました。パスワードと認証アプリを設定し直してください。",
    ),
}


def setup_url(token: str) -> str:
    return settings.current().url(f"{SETUP_PATH}?token={token}")


def send_link(user: Account, kind: str, token: str) -> bool:
    """Mail the set-up link; False when there is no address or it is suppressed."""
    if not user.email or suppressions.reason_for(user.email):
        logs.info("account_mail_skipped", kind=kind, login=user.login)
        return False
    subject, lead = _SUBJECTS[kind]
    s = settings.current()
    context = {
        "subject": subject,
        "lead": lead,
        "person": user.name,
        "login": user.login,
        "url": setup_url(token),
        "hours": TOKEN_TTL_SECONDS[kind] // 3600,
        "issuer": s.issuer,
        "fax": s.issuer_fax,
    }
    mailer.send(
        mailer.Mail(
            to=user.email,
            subject=subject,
            text=render("email/account/link.txt", **context),
            html=render("email/account/link.html", **context),
        )
    )
    return True
