"""The signing chain's certificates and CRL, built as DER from their fields (RFC 5280).

One builder for both chains: the local stage's throwaway CA (its key in a file) and a
deployed stage's CA whose key is in KMS (`bin/stage up`). The to-be-signed part is built
here; `sign` is handed in (ECDSA P-256 with SHA-256 over the DER bytes) and may be a KMS
call, so nothing here holds a private key. asn1crypto is imported inside the functions:
`import app` never pays for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

#: Sign DER bytes with the issuer's key: ECDSA P-256 over SHA-256, DER-encoded signature.
SignFn = Callable[[bytes], bytes]

ALGORITHM = "sha256_ecdsa"


def name_der(rfc4514: str) -> bytes:
    """A distinguished name from its settings string (`CN=…,O=…,C=JP`), as DER."""
    from cryptography import x509

    return x509.Name.from_rfc4514_string(rfc4514).public_bytes()


def key_identifier(public_key_der: bytes) -> bytes:
    """RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits."""
    from asn1crypto import keys

    return hashlib.sha1(keys.PublicKeyInfo.load(public_key_der)["public_key"].contents[1:]).digest()  # noqa: S324


def _time(value: dt.datetime) -> dict[str, Any]:
    from asn1crypto import x509

    return x509.Time({"utc_time": value} if value.year < 2050 else {"general_time": value})


def _signed(tbs: Any, sign: SignFn, wrapper: Any, tbs_field: str, signature_field: str) -> bytes:
    signature = sign(tbs.dump())
    return wrapper({tbs_field: tbs, "signature_algorithm": {"algorithm": ALGORITHM}, signature_field: signature}).dump()


def certificate(
    *,
    subject: bytes,
    issuer: bytes,
    public_key: bytes,
    issuer_public_key: bytes,
    sign: SignFn,
    not_before: dt.datetime,
    days: int,
    role: str,
    crl_url: str | None = None,
) -> bytes:
    """A certificate as DER. `role`: `ca` (certificates and CRLs only), `signer` (document
    signatures) or `tsa` (RFC 3161 timestamps, the critical timeStamping EKU RFC 3161 asks for)."""
    from asn1crypto import keys, x509

    extensions: list[dict[str, Any]] = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": role == "ca"}},
        {
            "extn_id": "key_usage",
            "critical": True,
            "extn_value": {"key_cert_sign", "crl_sign"} if role == "ca" else {"digital_signature", "non_repudiation"},
        },
        {"extn_id": "key_identifier", "critical": False, "extn_value": key_identifier(public_key)},
    ]
    if role != "ca":
        extensions.append(
            {
                "extn_id": "authority_key_identifier",
                "critical": False,
                "extn_value": {"key_identifier": key_identifier(issuer_public_key)},
            }
        )
    if role == "tsa":
        extensions.append({"extn_id": "extended_key_usage", "critical": True, "extn_value": ["time_stamping"]})
    if crl_url and role != "ca":
        url = x509.GeneralName(name="uniform_resource_identifier", value=crl_url)
        point = {"distribution_point": x509.DistributionPointName(name="full_name", value=[url])}
        extensions.append({"extn_id": "crl_distribution_points", "critical": False, "extn_value": [point]})
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(63),
            "signature": {"algorithm": ALGORITHM},
            "issuer": x509.Name.load(issuer),
            "validity": {"not_before": _time(not_before), "not_after": _time(not_before + dt.timedelta(days=days))},
            "subject": x509.Name.load(subject),
            "subject_public_key_info": keys.PublicKeyInfo.load(public_key),
            "extensions": extensions,
        }
    )
    return _signed(tbs, sign, x509.Certificate, "tbs_certificate", "signature_value")


def crl(
    *, issuer_cert: bytes, sign: SignFn, this_update: dt.datetime, days: int, number: int, revoked: tuple[int, ...] = ()
) -> bytes:
    """The CA's CRL as DER: `revoked` serial numbers, valid `days` from `this_update`."""
    from asn1crypto import crl as asn1_crl
    from asn1crypto import x509

    ca = x509.Certificate.load(issuer_cert)
    tbs = asn1_crl.TbsCertList(
        {
            "version": "v2",
            "signature": {"algorithm": ALGORITHM},
            "issuer": ca.subject,
            "this_update": _time(this_update),
            "next_update": _time(this_update + dt.timedelta(days=days)),
            "revoked_certificates": [
                {"user_certificate": serial, "revocation_date": _time(this_update)} for serial in revoked
            ]
            or None,
            "crl_extensions": [
                {"extn_id": "crl_number", "critical": False, "extn_value": number},
                {
                    "extn_id": "authority_key_identifier",
                    "critical": False,
                    "extn_value": {"key_identifier": ca.key_identifier},
                },
            ],
        }
    )
    return _signed(tbs, sign, asn1_crl.CertificateList, "tbs_cert_list", "signature")


def next_update(crl_der: bytes) -> dt.datetime:
    from asn1crypto import crl as asn1_crl

    return asn1_crl.CertificateList.load(crl_der)["tbs_cert_list"]["next_update"].native


def pem(der: bytes) -> str:
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def from_pem(text: str) -> list[bytes]:
    """Every certificate of a PEM bundle, in order, as DER."""
    import base64
    import re

    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)
    return [base64.b64decode("".join(b.split())) for b in blocks]


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()
