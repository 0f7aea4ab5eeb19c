"""store/sealed.py: TOTP secrets encrypted at rest (issue 26), envelope encryption.

Locally the data keys are wrapped by a key derived from the stage's session secret; with
`SECRETS_KMS_KEY_ID` (deployed stages) by KMS — here moto's KMS on the same server.
"""

from __future__ import annotations

import boto3
import pytest
from cryptography.exceptions import InvalidTag

from chalicelib.domain import totp
from chalicelib.domain.records import Account
from chalicelib.services import admin
from chalicelib.store import accounts, sealed
from tests import tables

STAFF_SECRET = "JBSWY3DPEHPK3PXP"


def test_totp_secrets_are_not_readable_from_the_table():
    stored = tables.row("accounts", login="ibaraki-staff").totp_secret
    assert stored.startswith("enc1:local:") and STAFF_SECRET not in stored
    assert accounts.totp_secret(accounts.get("ibaraki-staff")) == STAFF_SECRET
    fresh = totp.new_secret()
    accounts.put(Account("new-clerk", "staff", "ibaraki", "茨城支店", totp_secret=fresh))
    assert fresh not in tables.row("accounts", login="new-clerk").totp_secret
    assert accounts.totp_secret(accounts.get("new-clerk")) == fresh


def test_a_sealed_secret_opens_only_for_its_own_login():
    stored = tables.row("accounts", login="ibaraki-staff").totp_secret
    with pytest.raises(InvalidTag):
        sealed.open_value(stored, "ibaraki-chief")  # copied onto another row, it does not open


def test_rows_written_before_read_as_they_are_until_encrypt_secrets_seals_them():
    tables.update("accounts", {"login": "ibaraki-chief"}, totp_secret="KRSXG5CTMVRXEZLU")  # an old, plain row
    assert accounts.totp_secret(accounts.get("ibaraki-chief")) == "KRSXG5CTMVRXEZLU"
    assert admin.encrypt_secrets() == 1
    assert tables.row("accounts", login="ibaraki-chief").totp_secret.startswith("enc1:")
    assert accounts.totp_secret(accounts.get("ibaraki-chief")) == "KRSXG5CTMVRXEZLU"
    assert admin.encrypt_secrets() == 0  # nothing left in plain


def test_with_a_kms_key_the_data_keys_are_wrapped_by_kms(monkeypatch):
    from chalicelib import aws_config, settings

    kms = boto3.client("kms", region_name=settings.current().region, endpoint_url=aws_config.endpoint_override("kms"))
    key_id = kms.create_key(Description="esurety secrets at rest (test)")["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("SECRETS_KMS_KEY_ID", key_id)
    value = sealed.seal(STAFF_SECRET, "ibaraki-staff")
    assert value.startswith("enc1:kms:") and STAFF_SECRET not in value
    sealed._unwrap.cache_clear()  # a new container: the data key comes back from KMS
    assert sealed.open_value(value, "ibaraki-staff") == STAFF_SECRET
