"""Package inventories: a real Debian 12 dpkg status excerpt, RHEL 9 rpm -qa, Alpine's installed db."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hardencheck.facts.parsers.packages import parse_apk_installed, parse_dpkg_status, parse_rpm_qa

DATA = Path(__file__).parent / "data"


def by_name(fact) -> dict[str, dict]:
    return {p["name"]: p for p in fact.data["packages"]}


def test_real_dpkg_status_excerpt() -> None:
    text = (DATA / "dpkg_status.txt").read_text()
    fact = parse_dpkg_status(text)
    assert fact.data["format"] == "dpkg"
    assert len(fact.data["packages"]) == 9
    packages = by_name(fact)
    assert packages["openssh-server"] == {
        "name": "openssh-server",
        "version": "1:9.2p1-2+deb12u10",
        "arch": "amd64",
        "source_package": "openssh",
        "status": "install ok installed",
    }
    assert packages["bash"]["source_package"] == "bash"  # "Source: bash (5.2.15-2)"
    assert packages["base-files"]["source_package"] == "base-files"  # no Source field
    assert packages["libpam-modules"]["source_package"] == "pam"
    index = [p["name"] for p in fact.data["packages"]].index("openssh-server")
    location = fact.locations[f"packages/{index}"]
    assert text.splitlines()[location.line - 1] == "Package: openssh-server"
    assert fact.warnings == []


def test_dpkg_states_continuations_and_crlf() -> None:
    text = (
        "Package: openssl\r\nStatus: hold ok installed\r\nVersion: 3.0.11-1~deb12u2\r\nArchitecture: amd64\r\n"
        "Description: Secure Sockets Layer toolkit\r\n This package contains the openssl binary.\r\n .\r\n more\r\n\r\n"
        "Package: telnetd\nStatus: deinstall ok config-files\nVersion: 0.17-44\nArchitecture: amd64\n\n"
        "Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n\n"
        "Status: install ok installed\nVersion: 1\n\n"
        "Package: <script>alert(1)</script>\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n"
        "this line is not a field\n"
    )
    fact = parse_dpkg_status(text)
    packages = by_name(fact)
    assert sorted(packages) == ["<script>alert(1)</script>", "openssl"]
    assert packages["openssl"]["status"] == "hold ok installed"
    assert fact.data["not_installed"] == 2
    assert any("without a Package field" in w for w in fact.warnings)
    assert any("not a field" in w for w in fact.warnings)


def test_rpm_qa_rhel9() -> None:
    fact = parse_rpm_qa((DATA / "rpm_qa_rhel9.txt").read_text())
    assert fact.data["format"] == "rpm"
    packages = fact.data["packages"]
    assert len(packages) == 10
    assert packages[0] == {
        "name": "openssh-server",
        "version": "0:8.7p1-38.el9_4.4",
        "arch": "x86_64",
        "source_package": None,
        "status": "installed",
    }
    assert [p["version"] for p in packages if p["name"] == "kernel-core"] == [
        "0:5.14.0-427.13.1.el9_4",
        "0:5.14.0-362.8.1.el9_3",
    ]
    assert by_name(fact)["gpg-pubkey"]["arch"] is None
    assert [p["arch"] for p in packages if p["name"] == "glibc"] == ["i686", "x86_64"]
    assert fact.locations["packages/1"].excerpt == "openssl-libs 1:3.0.7-27.el9 x86_64"


def test_rpm_qa_bad_lines() -> None:
    fact = parse_rpm_qa(
        "bash\t0:5.1.8-9.el9\tx86_64\nerror: rpmdb: BDB0113 Thread/process failed\n\njust-two\tfields\n"
    )
    assert [p["name"] for p in fact.data["packages"]] == ["bash"]
    assert len(fact.warnings) == 2


def test_apk_installed() -> None:
    fact = parse_apk_installed((DATA / "apk_installed_alpine.txt").read_text())
    assert fact.data["format"] == "apk"
    assert fact.data["packages"] == [
        {
            "name": "musl",
            "version": "1.2.4_git20230717-r4",
            "arch": "x86_64",
            "source_package": "musl",
            "status": "installed",
        },
        {
            "name": "libcrypto3",
            "version": "3.1.4-r5",
            "arch": "x86_64",
            "source_package": "openssl",
            "status": "installed",
        },
        {
            "name": "openssh-server",
            "version": "9.6_p1-r0",
            "arch": "x86_64",
            "source_package": "openssh",
            "status": "installed",
        },
    ]
    assert fact.locations["packages/1"].line == 23


def test_garbage_never_raises() -> None:
    rng = random.Random(5)
    noise = "".join(chr(rng.randrange(0, 0x800)) for _ in range(20000))
    for parser in (parse_dpkg_status, parse_rpm_qa, parse_apk_installed):
        fact = parser(noise + "\n\x00Package: x\n")
        json.dumps(fact.data)
        assert fact.warnings
