"""dpkg --verify / rpm -V output: changed binaries, conffiles, packages that cannot be verified."""

from __future__ import annotations

from pathlib import Path

from hardencheck.facts.parsers.pkgverify import parse_verify

DATA = Path(__file__).parent / "data" / "recorded"


def test_recorded_weak_host() -> None:
    fact = parse_verify((DATA / "package_integrity_weak.txt").read_text(), "cmd:package_integrity")
    changed = {e["path"]: e for e in fact.data["changed"]}
    assert changed["/usr/bin/passwd"]["digest_changed"] and not changed["/usr/bin/passwd"]["conffile"]
    assert changed["/etc/login.defs"]["conffile"] is True
    assert "openssh-server" in fact.data["packages"] and fact.data["scope"] == "packages"
    assert fact.warnings == []


def test_dpkg_warnings_and_rpm_format() -> None:
    text = ("I\tsudo\nN\tsudo\nA\tall\n"
            "dpkg: warning: files list file for package 'sudo' missing; assuming package has no files currently installed\n"
            "missing     /usr/sbin/sshd\n"
            "S.5....T.  c /etc/ssh/sshd_config\n"
            "..5......    /usr/lib64/libpam.so.0\n"
            "unexpected text\n")
    fact = parse_verify(text, "cmd:package_integrity")
    assert fact.data["unverifiable"] == ["sudo"] and fact.data["scope"] == "all"
    by_path = {e["path"]: e for e in fact.data["changed"]}
    assert by_path["/usr/sbin/sshd"]["missing"] is True
    assert by_path["/etc/ssh/sshd_config"]["conffile"] and by_path["/etc/ssh/sshd_config"]["digest_changed"]
    assert by_path["/usr/lib64/libpam.so.0"]["digest_changed"]
    assert len(fact.warnings) == 1
