"""os-release parsing and family detection: real Debian 12 file plus published os-release files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from hardencheck.facts.parsers.osrelease import parse_os_release

DATA = Path(__file__).parent / "data"

UBUNTU = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n'
ROCKY = 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n'
LEAP = (
    'NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n'
)
ALPINE = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'
ARCH = 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="21.3"\n'
VENDOR = 'NAME="PayPoint OS"\nID=paypoint\nID_LIKE="ubuntu"\n'


def test_real_debian12() -> None:
    fact = parse_os_release((DATA / "os_release_debian12.txt").read_text())
    data = fact.data
    assert (data["id"], data["id_like"], data["version_id"], data["version_codename"]) == (
        "debian",
        [],
        "12",
        "bookworm",
    )
    assert data["pretty_name"] == "Debian GNU/Linux 12 (bookworm)"
    assert data["name"] == "Debian GNU/Linux"
    assert data["family"] == "debian"
    assert fact.locations["id"].line == 6 and fact.locations["family"].line == 6
    assert fact.warnings == []


@pytest.mark.parametrize(
    ("text", "family", "id_like"),
    [
        (UBUNTU, "debian", ["debian"]),
        (ROCKY, "rhel", ["rhel", "centos", "fedora"]),
        (LEAP, "suse", ["suse", "opensuse"]),
        (ALPINE, "alpine", []),
        (ARCH, "arch", []),
        (MINT, "debian", ["ubuntu", "debian"]),
        (VENDOR, "debian", ["ubuntu"]),
        ("ID=plan9\n", "unknown", []),
        ("", "unknown", []),
    ],
)
def test_family(text: str, family: str, id_like: list[str]) -> None:
    data = parse_os_release(text).data
    assert data["family"] == family
    assert data["id_like"] == id_like


def test_quoting_escapes_and_comments() -> None:
    text = (
        "NAME='Single $HOME quoted'\n"
        'PRETTY_NAME="Say \\"hi\\" for \\$5 \\`now\\` \\\\ \\n"\r\n'
        "VERSION_ID=1.0 # trailing comment\n"
        "VARIANT=<script>alert(1)</script>\n"
        'BROKEN="unterminated\n'
        "not an assignment\n"
        "ID=Debian\n"
    )
    fact = parse_os_release(text)
    assert fact.data["name"] == "Single $HOME quoted"
    assert fact.data["pretty_name"] == 'Say "hi" for $5 `now` \\ \\n'
    assert fact.data["version_id"] == "1.0"
    assert fact.data["fields"]["VARIANT"] == "<script>alert(1)</script>"
    assert fact.data["id"] == "debian"
    assert "BROKEN" not in fact.data["fields"]
    assert len(fact.warnings) == 2


def test_garbage_never_raises() -> None:
    rng = random.Random(1)
    noise = "".join(chr(rng.randrange(0, 0x700)) for _ in range(10000))
    fact = parse_os_release(noise + "\nID=\x00debian\n")
    json.dumps(fact.data)
    assert fact.data["family"] in ("debian", "unknown")
