"""store/signer.py: the local CA is made once per checkout, whoever asks first, and signs as ECDSA P-256."""

from __future__ import annotations

import threading

from asn1crypto import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain import pki
from chalicelib.store import signer


def test_workers_starting_at_once_agree_on_one_local_ca(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNING_LOCAL_DIR", str(tmp_path / "signing-local"))
    start, chains, errors = threading.Barrier(4), [], []

    def worker() -> None:
        start.wait()
        try:
            chains.append((signer.ensure_local_chain() / "chain.pem").read_bytes())
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(chains)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["signing-local"]  # no temporary folder left behind
    leaf, ca = (x509.Certificate.load(c) for c in pki.from_pem(chains[0].decode()))
    assert ca.ca and ca.self_signed == "maybe" and leaf.issuer == ca.subject and not leaf.ca
    tsa = x509.Certificate.load(pki.from_pem((tmp_path / "signing-local" / "tsa.pem").read_text())[0])
    assert tsa.extended_key_usage_value.native == ["time_stamping"] and "extended_key_usage" in tsa.critical_extensions


def test_a_local_key_signs_ecdsa_p256_sha256_over_the_bytes_it_is_given():
    key, _pem = signer.LocalKey.generate()
    signature = key.sign(b"signed attributes")
    public = serialization.load_der_public_key(key.public_key())
    public.verify(signature, b"signed attributes", ec.ECDSA(hashes.SHA256()))  # raises if not
    assert isinstance(public.curve, ec.SECP256R1)
