"""X.509 certificates, parsed on the auditor's side with ``cryptography``.

The target only sends PEM text (private-key blocks are cut out on the target,
for combined cert+key files). Each certificate becomes key type and size,
signature hash, validity and whether it is a self-signed CA: what PCI DSS
4.2.1 asks of certificates protecting card data in transit ("valid and not
expired", strong cryptography). Unparsable blocks are warnings, never a crash.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import clean, warn

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n\t ]{1,200000}?-----END CERTIFICATE-----")
MAX_CERTS = 500


def _cn(name: x509.Name) -> str:
    try:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        attrs = []
    if attrs:
        return clean(str(attrs[0].value))[:200]
    return clean(name.rfc4514_string())[:200]


def _key(cert: x509.Certificate) -> tuple[str, int | None]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ec", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "dsa", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448", 456
    return "unknown", None


def describe_certificate(cert: x509.Certificate, now: dt.datetime) -> dict[str, Any]:
    """The facts checks need about one certificate."""
    try:
        sig = cert.signature_hash_algorithm
        signature_hash = sig.name if sig is not None else None
    except UnsupportedAlgorithm:
        signature_hash = "unknown"
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        is_ca = False
    key_type, key_bits = _key(cert)
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    subject, issuer = _cn(cert.subject), _cn(cert.issuer)
    return {
        "subject": subject,
        "issuer": issuer,
        "serial": format(cert.serial_number, "x")[:64],
        "not_before": not_before.date().isoformat(),
        "not_after": not_after.date().isoformat(),
        "days_left": (not_after - now).days,
        "expired": not_after < now,
        "not_yet_valid": not_before > now,
        "key_type": key_type,
        "key_bits": key_bits,
        "signature_hash": signature_hash,
        "self_signed": cert.subject == cert.issuer,
        "is_ca": is_ca,
    }


def parse_certificate_files(files: list[tuple[str, str]], now: dt.datetime | None = None) -> ParsedFact:
    """``files`` is ``[(path, PEM text)]``; every certificate block in each file is described."""
    now = now or dt.datetime.now(dt.UTC)
    fact = ParsedFact()
    certs: list[dict[str, Any]] = []
    for path, text in files:
        found = 0
        for m in _PEM.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            try:
                cert = x509.load_pem_x509_certificate(m.group(0).encode())
                entry = describe_certificate(cert, now)
            except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
                warn(fact, f"{path}:{line}: certificate that cannot be parsed ({type(exc).__name__})")
                continue
            found += 1
            entry.update(file=path, line=line, position=found)
            if len(certs) >= MAX_CERTS:
                warn(fact, f"more than {MAX_CERTS} certificates; the rest were not examined")
                break
            bits = f"-{entry['key_bits']}" if entry["key_bits"] else ""
            fact.locations[f"certificates/{len(certs)}"] = Location(path, line, clean(
                f"CN={entry['subject']} issuer={entry['issuer']} {entry['key_type']}{bits} "
                f"{entry['signature_hash']} valid until {entry['not_after']}")[:300])
            certs.append(entry)
        if not found and "PRIVATE KEY" not in text:
            warn(fact, f"{path}: no PEM certificate in the file")
    fact.data = {"certificates": certs, "files": [p for p, _ in files]}
    fact.locations["certificates"] = Location(files[0][0] if files else "(no certificate file)", None, clean(
        f"{len(certs)} certificate(s) in: {' '.join(p for p, _ in files)}")[:300])
    return fact
