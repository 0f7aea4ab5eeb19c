"""The rules of accounts: roles, which organisation each acts for, statuses, token lifetimes,
and the shapes of logins and ids.

The stored values themselves (Account, Organisation, OneTimeToken, MachineClient)
are in domain/records/ with the other records. Nothing here touches AWS.
"""

from __future__ import annotations

import re

#: Every role of API.md "Accounts". Staff and admin log in with a second factor.
ROLES = ("contractor", "orderer", "staff", "admin")
MFA_ROLES = frozenset({"staff", "admin"})
#: The org kind each role acts for.
ROLE_ORG_KIND = {"contractor": "contractor", "orderer": "orderer", "staff": "branch", "admin": "hq"}

USER_STATUSES = ("invited", "active", "disabled")
ORG_KINDS = ("contractor", "orderer", "branch", "hq")

#: One-time token kinds and how long each lives (API.md: invitation 72 h, reset 1 h; the second
#: step of a staff or admin login, `mfa`, 5 minutes).
TOKEN_TTL_SECONDS = {"invitation": 72 * 3600, "reset": 3600, "mfa_reset": 72 * 3600, "mfa": 5 * 60}

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
ORG_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
JIS_CODE_PATTERN = re.compile(r"^[0-9]{5}$")
