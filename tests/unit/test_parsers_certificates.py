"""Certificates: key type and size, signature hash, validity, self-signed CA; private keys never parsed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hardencheck.facts.parsers.certs import parse_certificate_files

IMAGES = Path(__file__).resolve().parents[1] / "fleet" / "images"
NOW = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)


def test_weak_gateway_certificate_is_rsa1024_sha1_and_expired() -> None:
    path = IMAGES / "weak" / "root" / "etc" / "ssl" / "certs" / "pos-gateway.pem"
    fact = parse_certificate_files([("/etc/ssl/certs/pos-gateway.pem", path.read_text())], NOW)
    (cert,) = fact.data["certificates"]
    assert (cert["key_type"], cert["key_bits"], cert["signature_hash"]) == ("rsa", 1024, "sha1")
    assert cert["expired"] is True and cert["not_after"] == "2023-03-01" and cert["days_left"] < 0
    assert cert["self_signed"] is True and cert["is_ca"] is False
    assert fact.locations["certificates/0"].line == 1
    assert "rsa-1024 sha1 valid until 2023-03-01" in fact.locations["certificates/0"].excerpt


def test_chain_file_and_ca_root() -> None:
    root = IMAGES / "hardened" / "root" / "etc"
    fact = parse_certificate_files([("/etc/ssl/certs/pos-api.pem", (root / "ssl/certs/pos-api.pem").read_text()),
                                    ("/etc/ssl/certs/store-root-ca.pem",
                                     (root / "ssl/certs/store-root-ca.pem").read_text())], NOW)
    leaf, chain_ca, root_ca = fact.data["certificates"]
    assert (leaf["key_type"], leaf["key_bits"], leaf["signature_hash"], leaf["is_ca"]) == ("ec", 256, "sha256", False)
    assert leaf["position"] == 1 and chain_ca["position"] == 2 and chain_ca["line"] > 1
    assert root_ca["self_signed"] and root_ca["is_ca"] and root_ca["key_bits"] == 3072
    assert not any(c["expired"] for c in fact.data["certificates"])


def test_combined_cert_and_key_file_keeps_the_key_out(tmp_path: Path) -> None:
    pem = (IMAGES / "weak" / "root" / "etc" / "stunnel" / "pos-bridge.pem").read_text()
    fact = parse_certificate_files([("/etc/stunnel/pos-bridge.pem", pem)], NOW)
    assert len(fact.data["certificates"]) == 1
    assert "PRIVATE" not in repr(fact.data) + repr(fact.locations)


def test_broken_and_empty_blocks_are_warnings() -> None:
    text = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    fact = parse_certificate_files([("/x.pem", text), ("/empty.pem", "hello\n")], NOW)
    assert fact.data["certificates"] == []
    assert any("cannot be parsed" in w for w in fact.warnings) and any("no PEM" in w for w in fact.warnings)
