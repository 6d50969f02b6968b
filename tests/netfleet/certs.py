"""Certificates for the test TLS listeners, made at test time.

Nothing is committed: a weak 1024-bit RSA / SHA-1 certificate that expires soon, a sound
ECDSA P-256 / SHA-256 one valid for a year, and an expired RSA-2048 one, each self-signed.
``cryptography`` makes the sound ones; it refuses to sign with SHA-1, so the weak one comes
from the ``openssl`` command line, which still does.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CertSpec:
    """What kind of certificate to make."""

    key: str  # "rsa" or "ecdsa"
    bits: int  # RSA modulus size, or the EC curve size (256 only)
    hash: str  # "sha1" or "sha256"
    not_before_days: int  # relative to now (negative = in the past)
    not_after_days: int


WEAK = CertSpec("rsa", 1024, "sha1", 0, 10)
"""1024-bit RSA, SHA-1 signature, expires in 10 days: fails every certificate check."""
STRONG = CertSpec("ecdsa", 256, "sha256", -1, 365)
"""ECDSA P-256, SHA-256, valid for a year: passes every certificate check."""
EXPIRED = CertSpec("rsa", 2048, "sha256", -400, -5)
"""Sound key and signature but expired five days ago."""


def make_cert(spec: CertSpec, common_name: str, address: str, directory: Path) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for ``spec`` into ``directory``; returns their paths.

    A SHA-1 certificate always starts now (``openssl req -x509`` cannot backdate).
    """
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    if spec.hash == "sha1":
        _openssl_sha1(spec, common_name, address, cert_path, key_path)
        return cert_path, key_path
    if spec.key == "rsa":
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = rsa.generate_private_key(65537, spec.bits)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hardencheck test store")])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=spec.not_before_days))
            .not_valid_after(now + dt.timedelta(days=spec.not_after_days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name),
                                                        x509.IPAddress(ipaddress.ip_address(address))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _openssl_sha1(spec: CertSpec, common_name: str, address: str, cert_path: Path, key_path: Path) -> None:
    if spec.not_before_days != 0 or spec.key != "rsa":
        raise ValueError("SHA-1 certificates are RSA and start now")
    subprocess.run(["openssl", "req", "-x509", "-newkey", f"rsa:{spec.bits}", "-sha1", "-nodes",
                    "-days", str(spec.not_after_days), "-subj", f"/CN={common_name}/O=hardencheck test store",
                    "-addext", f"subjectAltName=DNS:{common_name},IP:{address}",
                    "-keyout", str(key_path), "-out", str(cert_path)],
                   check=True, capture_output=True, timeout=60)
    key_path.chmod(0o600)
