"""Certificates: key type and size, signature hash, validity, self-signed CA; private keys never parsed."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.certs import parse_certificate_files
from hardencheck.facts.probes import certificates
from hardencheck.facts.probes.certificates import MAX_FILES, CertificatesProbe
from hardencheck.facts.raw import RawAnswers, RawBundle, RawCommand

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


# --- the probe: its target-side script (run here with sh -c) and parse() on recorded output -----------------

RECORDED = Path(__file__).resolve().parent / "data" / "recorded"
NONCE = "0123456789abcdef01234567"  # the nonce the recorded outputs were framed with
KEY_FILE = IMAGES / "weak" / "root" / "etc" / "stunnel" / "pos-bridge.pem"  # a cert followed by an RSA key
AWKS = [name for name in ("mawk", "gawk", "busybox", "nawk", "original-awk") if shutil.which(name)]


@pytest.fixture
def fixed_nonce(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(certificates, "nonce", lambda: NONCE)
    return NONCE


def _answers(stdout: str | bytes, *, truncated: bool = False,
             options: dict[str, Any] | None = None) -> RawAnswers:
    request = CertificatesProbe().request(options or {})
    (spec,) = request.commands
    data = stdout.encode() if isinstance(stdout, str) else stdout
    command = RawCommand(spec.key, spec.argv, "ok", data, exit_code=0, truncated=truncated)
    return RawAnswers(RawBundle(meta={"uid": "0"}, commands={spec.key: command}), request)


def _probe(stdout: str | bytes, **kw: Any) -> ParsedFact:
    return CertificatesProbe().parse(_answers(stdout, **kw), {})


def _key_lines() -> list[str]:
    text = KEY_FILE.read_text()
    key = text[text.index("-----BEGIN RSA PRIVATE KEY-----"):]
    return [line for line in key.splitlines() if line and not line.startswith("-----")]


def test_recorded_weak_host(fixed_nonce: str) -> None:
    # Recorded on a 'weak' fleet host (the frame of the sandbox's own CA file in /etc/ssl/certs removed).
    # nginx and Apache both name pos-gateway.pem: listed once; stunnel's file holds a key the target cut out.
    out = (RECORDED / "certificates_weak.txt").read_text()
    assert "PRIVATE" not in out and not any(line in out for line in _key_lines())
    fact = _probe(out)
    assert fact.data["files"] == ["/etc/ssl/certs/pos-gateway.pem", "/etc/stunnel/pos-bridge.pem"]
    assert fact.data["missing_files"] == [] and fact.warnings == []
    gateway, bridge = fact.data["certificates"]
    assert (gateway["key_type"], gateway["key_bits"], gateway["signature_hash"]) == ("rsa", 1024, "sha1")
    assert gateway["not_after"] == "2023-03-01" and gateway["expired"]
    assert bridge["file"] == "/etc/stunnel/pos-bridge.pem" and bridge["line"] == 1


def test_recorded_hardened_host(fixed_nonce: str) -> None:
    fact = _probe((RECORDED / "certificates_hardened.txt").read_text())
    assert fact.data["files"] == ["/etc/ssl/certs/pos-api.pem", "/etc/ssl/certs/store-root-ca.pem",
                                  "/etc/stunnel/pos-bridge.crt"]
    certs = fact.data["certificates"]
    assert [(c["file"].rsplit("/", 1)[1], c["position"]) for c in certs] == [
        ("pos-api.pem", 1), ("pos-api.pem", 2), ("store-root-ca.pem", 1),
        ("pos-bridge.crt", 1), ("pos-bridge.crt", 2)]
    assert (certs[0]["key_type"], certs[0]["key_bits"], certs[0]["signature_hash"]) == ("ec", 256, "sha256")
    assert fact.warnings == [] and fact.data["missing_files"] == []


@pytest.mark.parametrize("mangle", [
    lambda out: out[: out.index(f"\n@@{NONCE}:end:")],  # cut before the end marker
    lambda out: out[: len(out) // 2],  # cut in the middle of a certificate
    lambda out: out.replace(NONCE, "f" * 24),  # frames under another nonce: forged, not ours
    lambda out: "",
    lambda out: "\x00\xff garbage without any frame\n" * 1000,
    lambda out: f"x@@{NONCE}:end:\n",  # the end marker not at the start of a line
])
def test_truncated_or_foreign_output_is_unavailable(fixed_nonce: str, mangle: Any) -> None:
    out = (RECORDED / "certificates_weak.txt").read_text()
    with pytest.raises(FactUnavailable, match="did not run to the end"):
        _probe(mangle(out))


def test_output_cut_by_the_collector_is_unavailable(fixed_nonce: str) -> None:
    with pytest.raises(FactUnavailable, match="did not run to the end"):
        _probe((RECORDED / "certificates_weak.txt").read_text(), truncated=True)


def test_hostile_output_never_crashes(fixed_nonce: str) -> None:
    n = NONCE
    frames = [
        f"\n@@{n}:file:/etc/\x1b[31mred\x07.pem\n" + "-----BEGIN CERTIFICATE-----\n" + "A" * 300000,
        f"\n@@{n}:file:\n\xff\xfe\x00binary",
        f"\n@@{n}:missing:/x\x00y\r",
        f"\n@@{n}:missing:/" + "z" * 100000,
        f"\n@@{n}:nonsense:/etc/passwd\nroot:x:0:0::/root:/bin/sh",
        f"\n@@{n}:file:/etc/ssl/certs/fake.pem\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        f"\n@@{n}:file:/bad.pem\n" + "-----BEGIN CERTIFICATE-----\n" * 2000 + "-----END CERTIFICATE-----\n",
    ]
    many = "".join(f"\n@@{n}:missing:/m{i}" for i in range(1000))
    fact = _probe("".join(frames) + many + f"\n@@{n}:end:\n")
    assert fact.data["certificates"] == []
    assert fact.data["files"][0] == "/etc/\\x1b[31mred\\x07.pem"
    assert fact.data["missing_files"][0] == "/x\\x00y\\x0d" and len(fact.data["missing_files"][1]) == 4096
    assert len(fact.data["files"]) + len(fact.data["missing_files"]) == MAX_FILES - 1  # one frame of no kind
    assert len(fact.warnings) <= 201 and any("cannot be parsed" in w for w in fact.warnings)
    assert any(w.startswith(f"more than {MAX_FILES} files") for w in fact.warnings)
    assert not any("\x1b" in w or "\x00" in w for w in fact.warnings)
    # invalid UTF-8 and NUL bytes in the raw bytes
    fact = _probe(f"\n@@{n}:file:/d.der\n".encode() + bytes(range(256)) * 50 + f"\n@@{n}:end:\n".encode())
    assert fact.data["files"] == ["/d.der"] and fact.warnings == ["/d.der: no PEM certificate in the file"]


def _run_script(argv: tuple[str, ...], awk: str, tmp_path: Path) -> bytes:
    """Run the probe's argv (``sh -c SCRIPT hardencheck NONCE PATHS...``) here, with ``awk`` first in PATH."""
    bindir = tmp_path / f"bin-{awk}"
    bindir.mkdir()
    (bindir / "awk").symlink_to(shutil.which(awk))  # busybox picks its applet by argv[0]
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"}
    proc = subprocess.run(argv, capture_output=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.skipif(not AWKS or not shutil.which("sh"), reason="needs sh and an awk")
@pytest.mark.parametrize("awk", AWKS)
def test_script_cuts_private_keys_out_on_the_target(awk: str, tmp_path: Path, fixed_nonce: str) -> None:
    weak = IMAGES / "weak" / "root" / "etc"
    tree = tmp_path / "tls"
    (tree / "sub.pem").mkdir(parents=True)  # a directory named like a certificate: not read
    combined = KEY_FILE.read_text()
    (tree / "combined.pem").write_text(combined)
    (tree / "key-only.crt").write_text(combined[combined.index("-----BEGIN RSA PRIVATE KEY-----"):])
    (tree / "open-key.pem").write_text("-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYLINE\n")  # no END line
    (tree / "notes.txt").write_text("-----BEGIN CERTIFICATE-----\n")
    (tree / ".hidden.crt").write_text((weak / "ssl" / "certs" / "pos-gateway.pem").read_text())
    (tree / "link.pem").symlink_to(tree / "combined.pem")  # a link inside an option directory: skipped
    big = tmp_path / "big.pem"  # only the first 256 KiB of a file are sent
    big.write_text((weak / "ssl" / "certs" / "pos-gateway.pem").read_text() + "x" * 300000 + "\n" + combined)
    fifo = tmp_path / "fifo.pem"
    os.mkfifo(fifo)  # never opened (it would block)
    absent = tmp_path / "absent.pem"
    options = {"paths": [str(tree), str(big), str(fifo), str(absent), str(tree / "combined.pem")]}
    (spec,) = CertificatesProbe().request(options).commands
    out = _run_script(spec.argv, awk, tmp_path)
    assert b"PRIVATE KEY" not in out and b"TOPSECRETKEYLINE" not in out
    assert not any(line.encode() in out for line in _key_lines())
    fact = CertificatesProbe().parse(_answers(out, options=options), options)
    mine = [f for f in fact.data["files"] if f.startswith(str(tmp_path))]
    assert sorted(mine) == sorted([str(tree / ".hidden.crt"), str(tree / "combined.pem"),
                                   str(tree / "key-only.crt"), str(tree / "open-key.pem"), str(big)])
    assert [m for m in fact.data["missing_files"] if m.startswith(str(tmp_path))] == [str(fifo), str(absent)]
    certs = {c["file"]: c for c in fact.data["certificates"] if c["file"].startswith(str(tmp_path))}
    assert set(certs) == {str(tree / ".hidden.crt"), str(tree / "combined.pem"), str(big)}
    assert certs[str(big)]["key_bits"] == 1024 and certs[str(big)]["line"] == 1
    assert certs[str(tree / "combined.pem")]["key_bits"] == 2048


@pytest.mark.skipif(not AWKS or not shutil.which("sh"), reason="needs sh and an awk")
def test_script_de_duplicates_and_caps_the_files(tmp_path: Path, fixed_nonce: str) -> None:
    tree = tmp_path / "many"
    tree.mkdir()
    for i in range(320):
        (tree / f"c{i:03}.pem").write_text("x\n")
    options = {"paths": [str(tree), str(tree) + "/", str(tree / "c000.pem")]}
    (spec,) = CertificatesProbe().request(options).commands
    out = _run_script(spec.argv, AWKS[0], tmp_path)
    fact = CertificatesProbe().parse(_answers(out, options=options), options)
    mine = [f for f in fact.data["files"] if f.startswith(str(tree))]
    assert len(fact.data["files"]) == MAX_FILES and len(mine) == len(set(mine))
    assert mine == [str(tree / f"c{i:03}.pem") for i in range(len(mine))]
