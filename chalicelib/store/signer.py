"""The keys that sign PDFs, and the chain that vouches for them: the one home of `Signer`.

A `Signer` signs bytes with ECDSA P-256 over SHA-256 and never hands out its private key:
- `KmsKey`: AWS KMS (`kms:Sign`, `MessageType=RAW`, `ECDSA_SHA_256`: AWS hashes the bytes,
  which is what pyHanko expects of a signer given the DER of the signed attributes; moto
  5.2.5 ignores MessageType and hashes too, so moto and AWS sign the same bytes — NOTES.md);
- `LocalKey`: a key file of the local stage's throwaway CA, made once per checkout under
  `build/` (never committed) by whichever process gets there first (an atomic rename, so two
  test workers starting at once agree on one CA).

`material()` is what the signing service needs, cached per process until the CRL's
nextUpdate: the signer, the chain (signing certificate first, then the CA), the CA's current
CRL and, locally, the local timestamp authority's key and certificate. A deployed stage keeps
its chain and CRL in the PDF bucket (`signing/chain.pem`, `signing/crl.der`), written by
`bin/stage up` (`ensure_stage_chain`) and the daily CRL re-issue (`reissue_stage_crl`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chalicelib import settings
from chalicelib.domain import pki
from chalicelib.store import connection, faults, objects

CHAIN_KEY = "signing/chain.pem"
CRL_KEY = "signing/crl.der"
TSA_ROOTS_KEY = "signing/tsa-roots.pem"
#: How long a CRL is good for, and when it is re-issued (the daily job re-issues well before).
CRL_DAYS = 7
CA_DAYS = 3650
LEAF_DAYS = 1825
#: Refuse the cached material this long before the CRL's nextUpdate: a signature embeds a CRL
#: that is still current when a reader checks it that day.
CRL_MARGIN = dt.timedelta(days=1)
#: The daily job re-issues a CRL once its nextUpdate is this near: a CRL runs CRL_DAYS, so the job
#: re-issues it every five days and a failed run leaves a day's retry before CRL_MARGIN bites.
CRL_REISSUE_BEFORE = dt.timedelta(days=2)


class Signer(Protocol):
    """Signs bytes with ECDSA P-256 / SHA-256 (DER signature); the key never leaves its store."""

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> bytes: ...


class LocalKey:
    """A private key loaded once from its PEM file (the local stage only)."""

    def __init__(self, pem: bytes) -> None:
        from cryptography.hazmat.primitives import serialization

        self._key: Any = serialization.load_pem_private_key(pem, password=None)

    @classmethod
    def generate(cls) -> tuple[LocalKey, bytes]:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(pem), pem

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        faults.inject("sign")
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))

    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class KmsKey:
    """An asymmetric ECC_NIST_P256 key in AWS KMS: `kms:Sign` only (GetPublicKey at set-up)."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def client(self) -> Any:
        """The process's KMS client (store/connection.py): one botocore session for every client,
        where boto3's default session would load botocore's data again on the first signature."""
        return connection.kms_client()

    def sign(self, data: bytes) -> bytes:
        faults.inject("sign")
        answer = self.client().sign(
            KeyId=self.key_id, Message=data, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
        )
        return bytes(answer["Signature"])

    def public_key(self) -> bytes:
        return bytes(self.client().get_public_key(KeyId=self.key_id)["PublicKey"])


@dataclass(frozen=True)
class Material:
    """What signing needs: the key, its chain (leaf first), the CA's CRL, and the local TSA if any."""

    signer: Signer
    chain: tuple[bytes, ...]
    crl: bytes
    tsa_key: LocalKey | None = None
    tsa_cert: bytes | None = None
    #: The roots a timestamp's TSA certificate chains to, and their CRLs (embedded with ours).
    tsa_roots: tuple[bytes, ...] = ()
    tsa_crls: tuple[bytes, ...] = ()

    @property
    def root(self) -> bytes:
        return self.chain[-1]


_lock = threading.Lock()
_cached: dict[tuple[str, ...], tuple[Material, dt.datetime]] = {}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def material() -> Material:
    """The signing material of this stage, loaded once per process (until the CRL runs out)."""
    s = settings.current()
    key = (s.stage, s.signing_key_id or "", str(local_dir()))
    with _lock:
        hit = _cached.get(key)
        if hit is not None and _now() < hit[1] - CRL_MARGIN:
            return hit[0]
        loaded = _stage_material(s) if s.signing_key_id else _local_material()
        _cached[key] = (loaded, pki.next_update(loaded.crl))
        return loaded


def prepare() -> None:
    """The material loaded and, for a KMS key, its client made: the warm-up (services/signing.py
    `prepare`) pays this before SnapStart's snapshot instead of the first signature after a restore."""
    loaded = material()
    if isinstance(loaded.signer, KmsKey):
        loaded.signer.client()


def forget() -> None:
    """Drop the cached material (a test that swaps the stage's chain)."""
    with _lock:
        _cached.clear()


# -- the local stage: a throwaway CA made once per checkout ---------------------------------------


def local_dir() -> Path:
    return Path(os.environ.get("SIGNING_LOCAL_DIR") or settings.PROJECT_DIR / "build" / "signing-local")


def _write_local_chain(where: Path) -> None:
    s = settings.current()
    ca, ca_pem = LocalKey.generate()
    leaf, leaf_pem = LocalKey.generate()
    tsa, tsa_pem = LocalKey.generate()
    start = _now() - dt.timedelta(days=1)
    ca_name = pki.name_der(s.signing_ca_subject)
    crl_url = s.url("/api/signing/crl")
    ca_cert = pki.certificate(
        subject=ca_name, issuer=ca_name, public_key=ca.public_key(), issuer_public_key=ca.public_key(),
        sign=ca.sign, not_before=start, days=CA_DAYS, role="ca",
    )  # fmt: skip
    common = {"issuer": ca_name, "issuer_public_key": ca.public_key(), "sign": ca.sign, "not_before": start}
    leaf_cert = pki.certificate(
        subject=pki.name_der(s.signing_subject), public_key=leaf.public_key(), days=LEAF_DAYS, role="signer",
        crl_url=crl_url, **common,
    )  # fmt: skip
    tsa_cert = pki.certificate(
        subject=pki.name_der(s.signing_tsa_subject), public_key=tsa.public_key(), days=LEAF_DAYS, role="tsa",
        crl_url=crl_url, **common,
    )  # fmt: skip
    files = {
        "ca.key": ca_pem,
        "signer.key": leaf_pem,
        "tsa.key": tsa_pem,
        "chain.pem": (pki.pem(leaf_cert) + pki.pem(ca_cert)).encode(),
        "tsa.pem": pki.pem(tsa_cert).encode(),
    }
    for name, data in files.items():
        (where / name).write_bytes(data)


def ensure_local_chain() -> Path:
    """The local CA, signing and TSA keys and certificates, made by the first caller only.

    Made in a temporary folder beside the final one and renamed into place: a rename of a
    folder onto an existing one fails, so of two workers racing, one wins and the other
    reads what the winner wrote."""
    where = local_dir()
    if (where / "chain.pem").exists():
        return where
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".signing-", dir=where.parent))
    try:
        _write_local_chain(tmp)
        os.rename(tmp, where)
    except OSError:
        if not (where / "chain.pem").exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return where


def _local_material() -> Material:
    return _material_in(ensure_local_chain())


def throwaway_material() -> Material:
    """A chain made as the local stage's is, in a folder removed at once: what the warm-up's rehearsal
    signs with (services/signing.py `rehearse`), never the stage's key."""
    with tempfile.TemporaryDirectory(prefix="signing-rehearsal-") as tmp:
        _write_local_chain(Path(tmp))
        return _material_in(Path(tmp))


def _material_in(where: Path) -> Material:
    """The material of a local chain's folder (its CA signs a fresh CRL)."""
    ca = LocalKey((where / "ca.key").read_bytes())
    chain = tuple(pki.from_pem((where / "chain.pem").read_text()))
    crl = pki.crl(issuer_cert=chain[-1], sign=ca.sign, this_update=_now() - dt.timedelta(minutes=5),
                  days=CRL_DAYS, number=int(_now().timestamp()))  # fmt: skip
    return Material(
        signer=LocalKey((where / "signer.key").read_bytes()),
        chain=chain,
        crl=crl,
        tsa_key=LocalKey((where / "tsa.key").read_bytes()),
        tsa_cert=pki.from_pem((where / "tsa.pem").read_text())[0],
        tsa_roots=(chain[-1],),
        tsa_crls=(crl,),
    )


def local_ca_key() -> LocalKey:
    return LocalKey((ensure_local_chain() / "ca.key").read_bytes())


# -- a deployed stage: both keys in KMS, the chain and CRL in the bucket --------------------------


def _stage_material(s: settings.Settings) -> Material:
    """KMS signs; chain and CRL from the bucket. The TSA is the stage's URL (its roots from
    `signing/tsa-roots.pem` when the stage put them there), or — a KMS key tried in the local
    stage — the local TSA."""
    chain = tuple(pki.from_pem(objects.get(CHAIN_KEY).decode()))
    material = Material(signer=KmsKey(s.signing_key_id or ""), chain=chain, crl=objects.get(CRL_KEY))
    if s.is_local and not s.signing_tsa_url:
        local = _local_material()
        return dataclasses.replace(
            material, tsa_key=local.tsa_key, tsa_cert=local.tsa_cert, tsa_roots=local.tsa_roots, tsa_crls=local.tsa_crls
        )
    if objects.exists(TSA_ROOTS_KEY):
        return dataclasses.replace(material, tsa_roots=tuple(pki.from_pem(objects.get(TSA_ROOTS_KEY).decode())))
    return material


def ensure_stage_chain(*, dry_run: bool = False, say: Any = print) -> bool:
    """`bin/stage up`: the stage CA (its key the second KMS key) and the signing certificate for
    the signing key's public key, once; then a current CRL. True when something was written."""
    s = settings.current()
    if not (s.signing_key_id and s.signing_ca_key_id):
        say("signing: SIGNING_KEY_ID and SIGNING_CA_KEY_ID not set; nothing to do")
        return False
    if objects.exists(CHAIN_KEY):
        say(f"signing: s3://{s.bucket}/{CHAIN_KEY} exists; the chain is kept")
        return reissue_stage_crl(dry_run=dry_run, say=say, only_if_due=True)
    say(f"signing: kms:GetPublicKey {s.signing_ca_key_id} (CA) and {s.signing_key_id} (signer)")
    say("signing: build the CA certificate and the signing certificate, each signed by kms:Sign with the CA key")
    say(f"signing: write s3://{s.bucket}/{CHAIN_KEY} and s3://{s.bucket}/{CRL_KEY}")
    if dry_run:
        return False
    ca = KmsKey(s.signing_ca_key_id)
    ca_name = pki.name_der(s.signing_ca_subject)
    start = _now() - dt.timedelta(minutes=5)
    ca_cert = pki.certificate(
        subject=ca_name, issuer=ca_name, public_key=ca.public_key(), issuer_public_key=ca.public_key(),
        sign=ca.sign, not_before=start, days=CA_DAYS, role="ca",
    )  # fmt: skip
    leaf_cert = pki.certificate(
        subject=pki.name_der(s.signing_subject), issuer=ca_name, public_key=KmsKey(s.signing_key_id).public_key(),
        issuer_public_key=ca.public_key(), sign=ca.sign, not_before=start, days=LEAF_DAYS, role="signer",
        crl_url=s.url("/api/signing/crl"),
    )  # fmt: skip
    objects.put_released(CHAIN_KEY, (pki.pem(leaf_cert) + pki.pem(ca_cert)).encode())
    _put_crl(ca, ca_cert)
    forget()
    return True


def ensure_tsa_roots(pem_text: str, *, dry_run: bool = False, say: Any = print) -> bool:
    """`bin/stage up`: the trust roots of the stage's TSA (a PEM bundle of CA certificates) into
    `signing/tsa-roots.pem`, added to those already there — a PDF timestamped by an earlier TSA
    must still verify (/verify/pdf checks a timestamp against these). True when written."""
    from asn1crypto import x509

    given = pki.from_pem(pem_text)
    if not given or not all(x509.Certificate.load(der).ca for der in given):
        raise ValueError("the TSA's trust roots must be a PEM bundle of CA certificates")
    s = settings.current()
    where = f"s3://{s.bucket}/{TSA_ROOTS_KEY}"
    stored = pki.from_pem(objects.get(TSA_ROOTS_KEY).decode()) if objects.exists(TSA_ROOTS_KEY) else []
    merged = list(dict.fromkeys([*stored, *given]))
    if merged == stored:
        say(f"signing: the TSA's {len(given)} trust roots are in {where}")
        return False
    say(f"signing: add {len(merged) - len(stored)} TSA trust roots to {where} (the {len(stored)} there are kept)")
    if dry_run:
        return False
    objects.put_released(TSA_ROOTS_KEY, "".join(pki.pem(c) for c in merged).encode())
    forget()
    return True


def _put_crl(ca: Signer, ca_cert: bytes) -> None:
    now = _now()
    crl = pki.crl(issuer_cert=ca_cert, sign=ca.sign, this_update=now - dt.timedelta(minutes=5), days=CRL_DAYS,
                  number=int(now.timestamp()))  # fmt: skip
    objects.put_released(CRL_KEY, crl)


def crl_due(crl_der: bytes) -> bool:
    """A CRL whose nextUpdate is at most CRL_REISSUE_BEFORE away: the daily job re-issues it."""
    return pki.next_update(crl_der) - _now() <= CRL_REISSUE_BEFORE


def reissue_stage_crl(*, dry_run: bool = False, say: Any = print, only_if_due: bool = False) -> bool:
    """The daily job's step: a new CRL signed by the CA key before the current one's nextUpdate
    (locally `reissue_local_crl`). True when a CRL was written."""
    s = settings.current()
    if not s.signing_ca_key_id:
        return False
    if only_if_due and objects.exists(CRL_KEY) and not crl_due(objects.get(CRL_KEY)):
        say("signing: the CRL is current")
        return False
    say(f"signing: re-issue the CRL with kms:Sign ({s.signing_ca_key_id}) to s3://{s.bucket}/{CRL_KEY}")
    if dry_run:
        return False
    chain = pki.from_pem(objects.get(CHAIN_KEY).decode())
    _put_crl(KmsKey(s.signing_ca_key_id), chain[-1])
    forget()
    return True


def reissue_local_crl() -> bool:
    """The local stage's daily step: the CRL this process serves (`GET /api/signing/crl`) and
    embeds, issued anew by the local CA when due (a new number and nextUpdate). True when issued."""
    if not crl_due(material().crl):
        return False
    forget()
    material()
    return True


def crl() -> bytes:
    """The CA's current CRL (DER): what `GET /api/signing/crl` serves."""
    return material().crl
