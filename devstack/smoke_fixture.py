"""`bin/admin smoke-fixture --stage S`: the accounts `bin/smoke` needs on a new stage (issue 24).

A branch stage (and dev) has no demo data: the smoke journey would fail on its first login. The
fixture is what the journey uses, and nothing more: the branch its staff work in (茨城支店, the
only branch of domain/branches.py), an orderer that accepts 電子保証, a contractor whose user's
address is SES's mailbox simulator (delivered even in the sandbox), a user of the orderer, and
two staff users of the branch with confirmed TOTP (the asker and the approver of 決裁). Passwords
and TOTP secrets are random; they go into the stage's SecureString
`/esurety/<stage>/smoke-fixture` (JSON of bin/smoke's SMOKE_* settings) and are printed nowhere.
`bin/stage down` deletes the parameter with the stage (the rows go with its tables). prod never
gets a fixture: its smoke is read-only. (The local stage has the demo data; the e2e test still
puts the fixture into a local stack to walk the journey with it.)
"""

from __future__ import annotations

import json
import secrets

from devstack import secure_parameters

BRANCH = ("ibaraki", "茨城支店")
ORDERER = ("99999", "スモークテスト市長")  # not a JIS code (prefectures are 01-47): never a real town
CONTRACTOR = ("c-smoke", "スモークテスト建設 株式会社")
MAIL_TO = "success@simulator.amazonses.com"
#: login → (role, org); the staff pair are the asker and the approver (決裁).
USERS = {
    "smoke-contractor": ("contractor", CONTRACTOR),
    "smoke-orderer": ("orderer", ORDERER),
    "smoke-staff": ("staff", BRANCH),
    "smoke-chief": ("staff", BRANCH),
}
SETTING = {
    "smoke-contractor": "SMOKE_CONTRACTOR",
    "smoke-orderer": "SMOKE_ORDERER",
    "smoke-staff": "SMOKE_STAFF",
    "smoke-chief": "SMOKE_APPROVER",
}


def exists(stage: str) -> bool:
    return secure_parameters.get(stage, secure_parameters.SMOKE_FIXTURE) is not None


def create(stage: str) -> str:
    """Write the fixture's rows and its SecureString; returns the parameter's name."""
    if stage == "prod":
        raise ValueError("no smoke fixture on prod: its smoke is read-only")
    from chalicelib.domain import totp
    from chalicelib.domain.orderers import Orderer
    from chalicelib.domain.records import Account, Organisation
    from chalicelib.services.auth import hash_password
    from chalicelib.store import accounts, orderers, organisations

    organisations.put(Organisation(BRANCH[0], "branch", BRANCH[1]))
    organisations.put(Organisation(ORDERER[0], "orderer", ORDERER[1]))
    organisations.put(Organisation(CONTRACTOR[0], "contractor", CONTRACTOR[1]))
    orderers.put(Orderer(ORDERER[0], ORDERER[1], e_surety=True))
    values = {"SMOKE_ORDERER_ID": ORDERER[0], "SMOKE_BRANCH": BRANCH[0], "SMOKE_MAIL_TO": MAIL_TO}
    for login, (role, (org_id, org_name)) in USERS.items():
        password = secrets.token_urlsafe(24)
        secret = totp.new_secret() if role == "staff" else None
        accounts.put(
            Account(
                login,
                role,
                org_id,
                org_name,
                password_hash=hash_password(password),
                email=MAIL_TO if role == "contractor" else None,
                name=f"スモークテスト ({login})",
                status="active",
                totp_secret=secret,
                totp_confirmed=secret is not None,
            )
        )
        values[SETTING[login]] = f"{login}:{password}"
        if secret:
            values[f"{SETTING[login]}_TOTP"] = secret
    return secure_parameters.put(
        stage,
        secure_parameters.SMOKE_FIXTURE,
        json.dumps(values),
        f"e-Surety {stage}: bin/smoke's logins and TOTP secrets (bin/admin smoke-fixture)",
    )
