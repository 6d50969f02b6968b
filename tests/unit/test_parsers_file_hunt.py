"""SUID/SGID, world-writable and private-key listings (find -printf lines) as recorded on the weak fleet host."""

from __future__ import annotations

from pathlib import Path

from hardencheck.facts.parsers.filemodes import mode_bits, parse_listing

DATA = Path(__file__).parent / "data" / "recorded"


def test_mode_bits() -> None:
    assert mode_bits("4755") == {"mode": "4755", "setuid": True, "setgid": False, "sticky": False,
                                 "group_readable": True, "group_writable": False, "other_readable": True,
                                 "other_writable": False}
    assert mode_bits("640")["group_readable"] and not mode_bits("640")["other_readable"]  # type: ignore[index]
    assert mode_bits("rwx") is None and mode_bits("99") is None


def test_recorded_suid_listing() -> None:
    fact, entries = parse_listing((DATA / "suid_files_weak.txt").read_text(), "cmd:suid_files",
                                  ("mode", "owner", "group", "size", "package"), tag="F")
    by_path = {e["path"]: e for e in entries}
    assert by_path["/usr/bin/su"]["package"] == "util-linux"
    assert by_path["/usr/bin/passwd"]["package"] == "passwd"
    assert by_path["/tmp/.pos-sync/kworker"]["package"] == "-" and by_path["/tmp/.pos-sync/kworker"]["setuid"]
    assert by_path["/var/tmp/.font-unix/sshd"]["setgid"] is True
    loc = fact.locations[f"entries/{entries.index(by_path['/var/tmp/.font-unix/sshd'])}"]
    assert loc.source == "/var/tmp/.font-unix/sshd" and "mode=6755" in loc.excerpt
    assert fact.warnings == []


def test_recorded_private_keys_and_world_writable() -> None:
    _, keys = parse_listing((DATA / "private_keys_weak.txt").read_text(), "cmd:private_keys",
                            ("mode", "owner", "group", "size", "header", "encrypted"), tag="K")
    readable = sorted(k["path"] for k in keys if k["other_readable"])
    assert readable == ["/etc/ssl/private/pos-gateway.key", "/etc/stunnel/pos-bridge.pem", "/home/support/.ssh/id_rsa"]
    _, ww = parse_listing((DATA / "world_writable_weak.txt").read_text(), "cmd:world_writable",
                          ("mode", "owner", "group", "type"), tag="W")
    assert [(e["path"], e["mode"], e["other_writable"]) for e in ww] == [("/usr/local/bin/pos-update", "0777", True)]


def test_hostile_lines() -> None:
    text = "F\t4755\troot\troot\t10\t-\t/tmp/a\x1b[31mred\nF\tbad\troot\troot\t1\t-\t/x\nF\tnot enough\n"
    fact, entries = parse_listing(text, "cmd:x", ("mode", "owner", "group", "size", "package"), tag="F")
    assert [e["path"] for e in entries] == ["/tmp/a\\x1b[31mred"]
    assert len(fact.warnings) == 2
