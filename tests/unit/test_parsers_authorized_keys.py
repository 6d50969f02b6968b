"""authorized_keys lines: options with quoted spaces, fingerprints identical to ssh-keygen's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hardencheck.facts.parsers.authorized_keys import parse_authorized_keys, parse_key_line

IMAGES = Path(__file__).resolve().parents[1] / "fleet" / "images"
SUPPORT = IMAGES / "weak" / "root" / "home" / "support" / ".ssh" / "authorized_keys"


def test_weak_support_keys() -> None:
    fact = parse_authorized_keys([("support", "/home/support/.ssh/authorized_keys", SUPPORT.read_text())],
                                 ".ssh/authorized_keys .ssh/authorized_keys2", "AuthorizedKeysFile (sshd-T)")
    first, second = fact.data["keys"]
    assert (first["type"], first["comment"], first["options"]) == ("ssh-ed25519", "vendor-support@remote-42", [])
    assert (second["comment"], second["options"]) == ("root@kali", ["from", "command", "no-pty"])
    assert fact.locations["keys/1"].line == 2 and "root@kali" in fact.locations["keys/1"].excerpt


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_fingerprints_match_ssh_keygen() -> None:
    out = subprocess.run(["ssh-keygen", "-lf", str(SUPPORT)], capture_output=True, text=True, check=True).stdout
    expected = [line.split()[1] for line in out.splitlines()]
    got = [parse_key_line(line)["fingerprint"] for line in SUPPORT.read_text().splitlines()]  # type: ignore[index]
    assert got == expected


def test_quoted_options_comments_and_junk() -> None:
    blob = "AAAAC3NzaC1lZDI1NTE5AAAAIL2+mJjBX9Vw4n2Qw0P1w0Ji7rNV2nkagUJMzIA2VCey"
    key = parse_key_line(f'command="echo a b",environment="X=1 2" ssh-ed25519 {blob} me@host')
    assert key is not None and key["options"] == ["command", "environment"] and key["comment"] == "me@host"
    assert parse_key_line("# comment") is None
    assert parse_key_line("ssh-ed25519 not!base64") is None
    fact = parse_authorized_keys([("u", "/h/.ssh/authorized_keys", "garbage line\n\x00\n")], "", "x")
    assert fact.data["keys"] == [] and fact.warnings
