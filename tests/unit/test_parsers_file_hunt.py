"""SUID/SGID, world-writable and private-key listings (find -printf lines) as recorded on the weak fleet host,
and the private_keys probe (script and parse()) on recorded, hostile and truncated output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from probe_helpers import answers, parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.filemodes import MAX_ENTRIES, mode_bits, parse_listing
from hardencheck.facts.probes.private_keys import PrivateKeysProbe

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


# --- the private_keys probe itself (recordings of its one find + one awk script) ---

def _keys(text: str | bytes, **kw: object) -> tuple[ParsedFact, list[dict[str, Any]]]:
    fact = parse(PrivateKeysProbe(), {}, {"private_keys": text}, **kw)  # type: ignore[arg-type]
    return fact, fact.data["keys"]


def test_private_keys_probe_recorded_weak_and_hardened() -> None:
    fact, keys = _keys((DATA / "private_keys_weak.txt").read_text())
    by_path = {k["path"]: k for k in keys}
    assert sorted(p for p, k in by_path.items() if k["other_readable"]) == [
        "/etc/ssl/private/pos-gateway.key", "/etc/stunnel/pos-bridge.pem", "/home/support/.ssh/id_rsa"]
    assert by_path["/etc/ssl/private/pos-gateway.key"]["kind"] == "RSA PRIVATE KEY"
    assert by_path["/home/support/.ssh/id_rsa"]["owner"] == "support"
    assert by_path["/etc/ssh/ssh_host_rsa_key"]["size"] == 1032 and by_path["/etc/ssh/ssh_host_rsa_key"]["mode"] == "0600"
    assert not any(k["encrypted"] for k in keys) and fact.warnings == []
    assert fact.locations["keys/0"].source == "/etc/ssl/private/pos-gateway.key"
    fact, keys = _keys((DATA / "private_keys_hardened.txt").read_text())
    assert [(k["path"], k["mode"], k["kind"]) for k in keys] == [
        ("/etc/ssl/private/pos-bridge.key", "0600", "PRIVATE KEY"),
        ("/etc/ssl/private/pos-api.key", "0600", "PRIVATE KEY"),
        ("/etc/ssh/ssh_host_ed25519_key", "0600", "OPENSSH PRIVATE KEY")]
    assert fact.warnings == []
    _, keys = _keys("E\tend\n")
    assert keys == []


def test_private_keys_probe_hostile_names_and_headers() -> None:
    fact, keys = _keys((DATA / "private_keys_hostile.txt").read_bytes())
    by_name = {k["path"].rsplit("/", 1)[1]: k for k in keys}
    assert set(by_name) == {"nul.key", "id_esc\\x1b[31mred", "id_ E end", "id_new?line", "noeol.key", "both.pem",
                            "enc.key", "my.ppk", "id_tab in", "id_card411111******1111"}
    assert by_name["both.pem"]["kind"] == "PuTTY-User-Key-File-3" and not by_name["both.pem"]["encrypted"]
    assert by_name["my.ppk"]["encrypted"] and by_name["enc.key"]["encrypted"] and by_name["noeol.key"]["encrypted"]
    assert by_name["nul.key"]["kind"] == "DSA PRIVATE KEY"
    assert fact.warnings == []


def test_private_keys_probe_truncated_or_garbage() -> None:
    weak = (DATA / "private_keys_weak.txt").read_text()
    cut = weak[:weak.index("E\tend")]
    for text in (cut, cut[:-7], "", "garbage\x00\xff", weak.replace("E\tend\n", "") + "K\t600\tr\tr\t1\th\tno\t/x E\tend\n",
                 weak + "K\t600\troot\troot\t12\t-----BEGIN"):
        with pytest.raises(FactUnavailable, match="did not run to the end"):
            _keys(text)
    raw = answers(PrivateKeysProbe(), {}, {"private_keys": weak})
    raw.bundle.commands["private_keys"].truncated = True
    with pytest.raises(FactUnavailable, match="did not run to the end"):
        PrivateKeysProbe().parse(raw, {})
    with pytest.raises(FactUnavailable, match="not available"):
        _keys(None)  # type: ignore[arg-type]
    with pytest.raises(FactUnavailable) as info:
        _keys(None, host=False)  # type: ignore[arg-type]
    assert info.value.not_applicable
    junk = b"\xff\xfe\x00" * 1000 + b"\nK\tbad\n\t\t\t\nK\t999\tr\tr\t1\th\tno\t/x\nK\t600\tr\tr\tx\th\tmaybe\t/y\n" \
        + b"K\t600\t\x1b\tr\t1\t\t\trelative\n" + b"K\t644\tr\tr\t1\t-----BEGIN X PRIVATE KEY-----\tyes\t/z\n" * 6000 \
        + b"E\tend\n"
    fact, keys = _keys(junk)
    assert keys[0] == {**keys[0], "path": "/y", "size": None, "encrypted": False, "kind": "h"}
    assert keys[1]["kind"] == "X PRIVATE KEY" and keys[1]["encrypted"] is True
    assert len(keys) == MAX_ENTRIES and len(fact.warnings) >= 4


def test_private_keys_request_keeps_options_out_of_the_script() -> None:
    spec = PrivateKeysProbe().request({"paths": ["/srv/$(reboot)", "relative", "/etc/ssh"], "max_depth": 99,
                                       "max_files": "x"}).commands[0]
    assert spec.argv[:2] == ("sh", "-c") and spec.argv[3:] == ("hardencheck", "32", "2000", "/srv/$(reboot)", "/etc/ssh")
    script = spec.argv[2]
    assert "reboot" not in script
    # one find and one awk whatever the number of directories and files: no per-directory or per-file processes
    assert script.count("find ") == 1 and script.count("awk ") == 1
    assert "grep" not in script and "head" not in script and "tr " not in script and "$(" not in script


_GNU_FIND = shutil.which("sh") and shutil.which("find") and shutil.which("awk") and subprocess.run(
    ["find", "/", "-maxdepth", "0", "-printf", "%m"], check=False, capture_output=True).stdout.isdigit()


@pytest.mark.skipif(not _GNU_FIND, reason="needs sh, awk and GNU find")
def test_private_keys_script_runs_locally(tmp_path: Path) -> None:
    """The real script on a scratch tree (read-only; other directories it scans are ignored here)."""
    d = tmp_path / "keys"
    (d / "sub" / "deep" / "deeper").mkdir(parents=True)
    files = {
        "a.key": b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n",
        "id_plain": b"junk\n-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n",
        "u.ppk": b"PuTTY-User-Key-File-2: ssh-rsa\nEncryption: aes256-cbc\n",
        "both.pem": b"x PuTTY-User-Key-File-3 y -----BEGIN EC PRIVATE KEY-----\n",
        "bin.p8": b"\x00\x01\xff-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "cert.pem": b"-----BEGIN CERTIFICATE-----\n",
        "id_x.pub": b"-----BEGIN PRIVATE KEY-----\n",
        "id_tab\tname": b"-----BEGIN PRIVATE KEY-----\n",
        "id_new\nline": b"-----BEGIN PRIVATE KEY-----\n",
        "big.key": b"-----BEGIN PRIVATE KEY-----\n" + b"\0" * (1024 * 1024),
        "sub/deep/deeper/far.key": b"-----BEGIN PRIVATE KEY-----\n",
        "sub/near.key": b"-----BEGIN PRIVATE KEY-----\n",
    }
    for name, content in files.items():
        (d / name).write_bytes(content)

    def run(depth: int, cap: int) -> bytes:
        spec = PrivateKeysProbe().request({"paths": [str(d), str(d), str(tmp_path / "missing"), str(d / "a.key")],
                                           "max_depth": depth, "max_files": cap}).commands[0]
        return subprocess.run(list(spec.argv), capture_output=True, timeout=60, check=True).stdout

    out = run(2, 2000)
    fact, keys = _keys(out)
    mine = {k["path"][len(str(d)) + 1:]: k for k in keys if k["path"].startswith(str(d) + "/")}
    assert {n: (k["kind"], k["encrypted"]) for n, k in mine.items()} == {
        "a.key": ("RSA PRIVATE KEY", True), "id_plain": ("OPENSSH PRIVATE KEY", False),
        "u.ppk": ("PuTTY-User-Key-File-2", True), "both.pem": ("PuTTY-User-Key-File-3", False),
        "bin.p8": ("ENCRYPTED PRIVATE KEY", True), "id_tab name": ("PRIVATE KEY", False),
        "sub/near.key": ("PRIVATE KEY", False)}
    assert b"id_new" not in out and fact.warnings == []
    assert len([k for k in keys if k["path"] == str(d / "a.key")]) == 1
    assert len(run(1, 1).splitlines()) <= 2
