"""The RFC 3161 timestamp authority a signature asks for its time.

A deployed stage asks the TSA at `SIGNING_TSA_URL` over HTTP (pyHanko's client, a 5-second
bound). The local stage and the tests run `LocalTsa`: a small RFC 3161 responder with an
EC P-256 key loaded once, its certificate issued by the local CA (store/signer.py), its
fixed parts (signer identifier, ESSCertIDv2, certificates) encoded once — pyHanko's
`DummyTimeStamper` is RSA-only and re-loads its key on every call (NOTES.md).

A TSA that does not answer raises `TsaUnavailable` (the write that needed the PDF answers
503 with Retry-After and issues nothing).

pyHanko is imported by the functions that need it, never by `import app`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from chalicelib import event_loops
from chalicelib.store import faults
from chalicelib.store.signer import LocalKey, Material

#: The TSA policy our local responder names (a private arc: it is a test authority).
LOCAL_POLICY = "1.3.6.1.4.1.55555.31.1"
TIMEOUT_SECONDS = 5


class TsaUnavailable(Exception):
    """The timestamp authority did not answer (or answered with no token)."""


class LocalTsa:
    """RFC 3161 responder: a TimeStampReq in, a granted TimeStampResp out, signed with ECDSA."""

    def __init__(self, key: LocalKey, cert_der: bytes) -> None:
        from asn1crypto import cms, x509
        from pyhanko.sign import general

        # Every fixed part is kept as DER and loaded afresh per response: an asn1crypto value placed
        # into one response and then another is re-encoded, deeper each time (seconds after a few).
        self._key = key
        self._cert_der = cert_der
        cert = x509.Certificate.load(cert_der)
        self._tsa_name_der = x509.GeneralName(name="directory_name", value=cert.subject).dump()
        sid = cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
        )
        self._sid_der = sid.dump()
        self._signing_certificate = general.simple_cms_attribute(
            "signing_certificate_v2", general.as_signing_certificate_v2(cert)
        ).dump()

    def respond(self, request: Any) -> Any:
        from asn1crypto import algos, cms, core, tsp, x509

        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": LOCAL_POLICY,
            "message_imprint": request["message_imprint"],
            "serial_number": secrets.randbits(63),
            "gen_time": now,
            "tsa": x509.GeneralName.load(self._tsa_name_der),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        tst_der = tsp.TSTInfo(info).dump()
        attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(now)})]}),
                cms.CMSAttribute.load(self._signing_certificate),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]}),
            ]
        )
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(self._sid_der),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signed_attrs": cms.CMSAttributes.load(attrs.dump()),
                "signature": self._key.sign(attrs.dump()),
            }
        )
        signed = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
                "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_der)},
                "certificates": [x509.Certificate.load(self._cert_der)],
                "signer_infos": [cms.SignerInfo.load(signer_info.dump())],
            }
        )
        # The two outer layers are written as DER here: asn1crypto's encoder takes a quarter of a
        # second on a ContentInfo around some SignedData values (those whose ECDSA signature is 70
        # bytes long), where these few bytes take microseconds. The result is parsed back, as a
        # TSA's answer over HTTP would be.
        token = _der(0x30, _der(0x06, SIGNED_DATA_OID) + _der(0xA0, signed.dump()))
        return tsp.TimeStampResp.load(_der(0x30, GRANTED + token))


#: id-signedData (1.2.840.113549.1.7.2), and a PKIStatusInfo of `granted`, as DER.
SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")
GRANTED = bytes.fromhex("3003020100")


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV (definite length)."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


_local: dict[bytes, LocalTsa] = {}


def local(material: Material) -> LocalTsa:
    """The local TSA of this material, built once per process."""
    if material.tsa_key is None or material.tsa_cert is None:
        raise TsaUnavailable("no local TSA in this stage")
    tsa = _local.get(material.tsa_cert)
    if tsa is None:
        tsa = _local[material.tsa_cert] = LocalTsa(material.tsa_key, material.tsa_cert)
    return tsa


def timestamper(material: Material, url: str | None) -> Any:
    """A pyHanko TimeStamper: the TSA at `url` (the stage's), else the local TSA in this process."""
    from pyhanko.sign.timestamps.api import TimeStamper

    class Stamper(TimeStamper):
        async def async_request_tsa_response(self, req: Any) -> Any:
            try:
                faults.inject("tsa")
                return _ask(url, req) if url else local(material).respond(req)
            except TsaUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure of the TSA is "unavailable"
                raise TsaUnavailable(type(exc).__name__) from exc

    return Stamper(include_nonce=True)


#: A remote TSA's certificates and their CRLs (DER), per URL, until the earliest CRL's nextUpdate.
_remote: dict[str, tuple[tuple[bytes, ...], tuple[bytes, ...], dt.datetime]] = {}
#: How long a remote TSA's validation data is kept when its CRLs name no nextUpdate.
REMOTE_KEEP = dt.timedelta(hours=1)


def remote_validation_data(url: str, stamper: Any) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The certificates a remote TSA answers with and the CRLs of their distribution points, fetched
    at signing (each bounded to TIMEOUT_SECONDS) and kept per container until the earliest nextUpdate,
    so a B-LT signature embeds the TSA's revocation data too. TsaUnavailable when any is missing."""
    now = dt.datetime.now(dt.UTC)
    hit = _remote.get(url)
    if hit is not None and now < hit[2]:
        return hit[0], hit[1]
    import asyncio

    from asn1crypto import crl as asn1_crl
    from asn1crypto import x509

    try:
        token = event_loops.outside_running_loop(asyncio.run, stamper.async_dummy_response("sha256"))  # one request
        certs = tuple(c.chosen.dump() for c in token["content"]["certificates"])
        crls, until = [], now + REMOTE_KEEP
        for der in certs:
            for point in x509.Certificate.load(der).crl_distribution_points:
                for where in point["distribution_point"].native or []:
                    data = _fetch(where)
                    until = min(until, asn1_crl.CertificateList.load(data)["tbs_cert_list"]["next_update"].native)
                    crls.append(data)
    except TsaUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - a TSA or CRL that does not answer is "unavailable"
        raise TsaUnavailable(type(exc).__name__) from exc
    _remote[url] = (certs, tuple(crls), until)
    return certs, tuple(crls)


def _fetch(url: str) -> bytes:
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise TsaUnavailable("a CRL distribution point that is not http(s)")
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - checked above
        return answer.read(1 << 20)


def _ask(url: str, req: Any) -> Any:
    """POST the request to an RFC 3161 TSA over HTTP, bounded to TIMEOUT_SECONDS."""
    import urllib.request

    from asn1crypto import tsp

    if not url.startswith(("https://", "http://")):
        raise TsaUnavailable("SIGNING_TSA_URL is not an http(s) URL")
    headers = {"Content-Type": "application/timestamp-query"}
    http = urllib.request.Request(url, data=req.dump(), headers=headers, method="POST")  # noqa: S310 - checked above
    with urllib.request.urlopen(http, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - checked above
        return tsp.TimeStampResp.load(answer.read(1 << 20))
