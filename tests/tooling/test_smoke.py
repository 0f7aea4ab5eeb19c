"""bin/smoke computes staff's second-step code with the standard library alone (it runs before
anything is installed): the same codes chalicelib/domain/totp.py (pyotp) accepts."""

from __future__ import annotations

import pytest

from chalicelib.domain import totp
from devstack import smoke


@pytest.mark.parametrize("secret", ["JBSWY3DPEHPK3PXP", "MFRGGZDFMZTWQ2LK", "4DSKPH7PALS53Y35VTA5EGIQS5CKHTKO"])
@pytest.mark.parametrize("at", [30, 59, 1_111_111_109, 1_764_600_000.5, 2_000_000_000])
def test_smoke_codes_are_the_apps_codes(secret, at):
    assert smoke.totp(secret, at) == totp.code_at(secret, at)
    assert totp.matching_step(secret, smoke.totp(secret, at), at) == totp.step_of(at)
