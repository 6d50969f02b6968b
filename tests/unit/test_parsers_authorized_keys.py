"""authorized_keys lines (options with quoted spaces, fingerprints identical to ssh-keygen's), and the probe:
its script on a fake root, and parse() deciding the effective AuthorizedKeysFile from the shared sshd -T."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hardencheck.checks.evaluate import TargetContext, evaluate_check
from hardencheck.checks.model import Check
from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.batch import CollectorScript
from hardencheck.facts.model import FactRecord, ParsedFact
from hardencheck.facts.parsers.authorized_keys import parse_authorized_keys, parse_key_line
from hardencheck.facts.probes import authorized_keys as ak
from hardencheck.facts.probes.sshd import SSHD_T, SshdProbe
from hardencheck.facts.raw import RawAnswers, RawBundle, RawCommand

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


# --- the probe: its script on a fake root, and parse() on what a (hostile) target returns ---------------------

RECORDED = Path(__file__).parent / "data" / "recorded"
CHECK = Path(__file__).resolve().parents[2] / "checks" / "persistence" / "ssh-authorized-keys-allowlisted.yaml"
NONCE = "0123456789abcdef01234567"
ED = "AAAAC3NzaC1lZDI1NTE5AAAAIL2+mJjBX9Vw4n2Qw0P1w0Ji7rNV2nkagUJMzIA2VCey"
ED_FP = parse_key_line(f"ssh-ed25519 {ED}")["fingerprint"]  # type: ignore[index]
needs_awk = pytest.mark.skipif(shutil.which("awk") is None or shutil.which("head") is None, reason="needs awk")


def _probe_parse(script_out: bytes | str, sshd_t: Any = None, *, truncated: bool = False) -> tuple[ParsedFact,
                                                                                                   RawAnswers]:
    """parse() on the script's output; ``sshd_t``: its stdout, ``(stdout, exit)``, a status, or None (not found)."""
    probe = ak.AuthorizedKeysProbe()
    request = probe.request({})
    spec = next(c for c in request.commands if c.key == "authorized_keys")
    argv = (*spec.argv[:4], NONCE)
    out = script_out.encode() if isinstance(script_out, str) else script_out
    bundle = RawBundle(meta={"uid": "0", "complete": "yes"})
    bundle.commands["authorized_keys"] = RawCommand("authorized_keys", argv, "ok", out, exit_code=0,
                                                    truncated=truncated)
    if sshd_t in ("timeout", "incomplete", "not-found"):
        bundle.commands["sshd_t"] = RawCommand("sshd_t", SSHD_T.argv, sshd_t)
    elif sshd_t is not None:
        text, code = sshd_t if isinstance(sshd_t, tuple) else (sshd_t, 0)
        bundle.commands["sshd_t"] = RawCommand("sshd_t", SSHD_T.argv, "ok", text.encode(), exit_code=code)
    raw = RawAnswers(bundle, request)
    return probe.parse(raw, {}), raw


def _run_script(root: Path, passwd: str, config: str | None = None, dropins: dict[str, str] | None = None) -> bytes:
    """The probe's real script with /etc/passwd, /etc/ssh and /root moved under ``root``."""
    (root / "passwd").write_text(passwd)
    (root / "conf.d").mkdir(exist_ok=True)
    if config is not None:
        (root / "sshd_config").write_text(config)
    for name, text in (dropins or {}).items():
        (root / "conf.d" / name).write_text(text)
    script = ak._SCRIPT
    for old, new in ((" /etc/passwd ", f" {root}/passwd "), ("/etc/ssh/sshd_config.d/*.conf", f"{root}/conf.d/*.conf"),
                     ("/etc/ssh/sshd_config |", f"{root}/sshd_config |"), ("::/root:", f"::{root}/root:")):
        assert script.count(old) == 1
        script = script.replace(old, new)
    fake = root / "bin"  # an sshd that only says it was started: the script must not start one
    fake.mkdir(exist_ok=True)
    (fake / "sshd").write_text(f"#!/bin/sh\necho started >> {root}/sshd-started\n")
    (fake / "sshd").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    out = subprocess.run(["sh", "-c", script, "hardencheck", NONCE], capture_output=True, check=True, env=env).stdout
    assert not (root / "sshd-started").exists()
    return out


def _home(root: Path, user: str, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (root / user / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / user / rel).write_text(text)
    return str(root / user)


def _verdict(fact: ParsedFact, allowed: list[str]) -> str:
    check = Check.from_dict(yaml.safe_load(CHECK.read_text()))
    facts = {"authorized_keys": FactRecord("authorized_keys", "ok", fact=fact)}
    return evaluate_check(check, facts, TargetContext(asset_class=None, transport="ssh"),
                          {"allowed_key_fingerprints": allowed}).status


def test_sshd_t_is_one_shared_command() -> None:
    """Both probes declare the very same spec, so the collector keeps one (and which one never matters);
    that the script itself starts no sshd is asserted by every run of it (``_run_script``)."""
    ours = ak.AuthorizedKeysProbe().request({}).commands
    assert SSHD_T in ours and SshdProbe().request({}).commands == (SSHD_T,)
    both = CollectorScript([], [*ours, *SshdProbe().request({}).commands])
    assert [c.key for c in both.commands] == ["authorized_keys", "sshd_t"]
    assert next(c for c in both.commands if c.key == "sshd_t") == SSHD_T


def test_recorded_pos_host_effective_patterns_from_sshd_t() -> None:
    fact, raw = _probe_parse((RECORDED / "authorized_keys_pos.txt").read_bytes(),
                             (RECORDED / "sshd_T_pos.txt").read_text())
    assert fact.data["authorized_keys_file"] == ".ssh/authorized_keys .ssh/authorized_keys2"
    assert fact.data["authorized_keys_file_source"] == "sshd-T"
    assert fact.data["files"] == ["/home/kiosk/.ssh/authorized_keys", "/home/support/.ssh/authorized_keys"]
    assert [(k["user"], k["comment"]) for k in fact.data["keys"]] == [
        ("kiosk", "maint@pos-weak"), ("support", "vendor-support@remote-42"), ("support", "root@kali")]
    assert "match_only_files" not in fact.data
    assert "cmd:sshd -T" in raw.sources()  # the evidence names the command that decided the patterns


@needs_awk
def test_sshd_t_decides_and_match_only_files_do_not_change_the_verdict(tmp_path: Path) -> None:
    alice = _home(tmp_path, "alice", {".ssh/authorized_keys": f"ssh-ed25519 {ED} a@x\n",
                                      ".ssh/authorized_keys2": "garbage\n", "keys2": f"ssh-ed25519 {ED} a2@x\n"})
    bob = _home(tmp_path, "bob", {".ssh/authorized_keys": f"ssh-ed25519 {ED} b@x\n"})
    _home(tmp_path, "extra", {"bob": f"ssh-ed25519 {ED} backdoor\n"})
    passwd = f"alice:x:1000:1000::{alice}:/bin/sh\nbob:x:1001:1001::{bob}:/bin/sh\nnohome:x:2:2::rel:/bin/sh\n"
    config = ("# AuthorizedKeysFile /nope\nAuthorizedKeysFile = .ssh/authorized_keys keys2 # comment\n"
              f"Match User bob\n    authorizedkeysfile {tmp_path}/extra/%u\n")
    out = _run_script(tmp_path, passwd, config, {"10-a.conf": "PermitRootLogin no\n"})
    # sshd -T decides (here: a Match-free config with another first value, as an Include would give)
    fact, raw = _probe_parse(out, "port 22\nauthorizedkeysfile keys2 .ssh/authorized_keys\n")
    assert fact.data["authorized_keys_file_source"] == "sshd-T" and "cmd:sshd -T" in raw.sources()
    assert fact.data["files"] == [f"{alice}/keys2", f"{alice}/.ssh/authorized_keys", f"{bob}/.ssh/authorized_keys"]
    assert [k["comment"] for k in fact.data["keys"]] == ["a2@x", "a@x", "b@x"]
    extra = fact.data["match_only_files"]
    assert extra == [{"user": "bob", "file": f"{tmp_path}/extra/bob", "patterns": [f"{tmp_path}/extra/%u"],
                      "fingerprints": [ED_FP]}]
    assert _verdict(fact, [ED_FP]) == "pass"  # the key only a Match block names is not among the keys
    # the same host without the Match block: the very same keys and verdicts
    plain = _probe_parse(_run_script(tmp_path, passwd, config.split("Match")[0]),
                         "authorizedkeysfile keys2 .ssh/authorized_keys\n")[0]
    assert plain.data["keys"] == fact.data["keys"] and "match_only_files" not in plain.data
    assert _verdict(plain, []) == _verdict(fact, []) == "fail"


@needs_awk
@pytest.mark.parametrize("sshd_t", [None, "not-found", "timeout", ("", 255), "port 22\n", "authorizedkeysfile \n"])
def test_config_first_global_value_when_sshd_t_gives_none(tmp_path: Path, sshd_t: Any) -> None:
    alice = _home(tmp_path, "alice", {".ssh/authorized_keys": f"ssh-ed25519 {ED} a@x\n",
                                      ".ssh/authorized_keys2": f"ssh-ed25519 {ED} a2@x\n",
                                      "k/alice.pub": f"ssh-ed25519 {ED} pub@x\n"})
    passwd = f"alice:x:1000:1000::{alice}:/bin/sh\n"
    config = "Match Group x\n  AuthorizedKeysFile .ssh/authorized_keys2\n"  # a drop-in's Match ends with its file
    out = _run_script(tmp_path, passwd, "AUTHORIZEDKEYSFILE\t.ssh/authorized_keys\n",
                      {"00-first.conf": config + "", "50-b.conf": 'authorizedkeysfile "%h/k/%u.pub"\n'})
    fact, raw = _probe_parse(out, sshd_t)
    assert fact.data["authorized_keys_file_source"] == "sshd_config"
    assert fact.data["authorized_keys_file"] == '"%h/k/%u.pub"'  # drop-ins first, as sshd includes them
    assert fact.data["files"] == [f"{alice}/k/alice.pub"]
    assert fact.data["match_only_files"][0]["file"] == f"{alice}/.ssh/authorized_keys2"
    assert ("cmd:sshd -T" in raw.sources()) == (sshd_t is not None)
    # no AuthorizedKeysFile anywhere (or only in Match blocks): sshd's default
    fact = _probe_parse(_run_script(tmp_path, passwd, config, {"00-first.conf": "", "50-b.conf": ""}), sshd_t)[0]
    assert fact.data["authorized_keys_file_source"] == "default"
    assert fact.data["files"] == [f"{alice}/.ssh/authorized_keys", f"{alice}/.ssh/authorized_keys2"]


@needs_awk
def test_odd_names_and_tokens(tmp_path: Path) -> None:
    odd = tmp_path / "we ird,home"
    odd.mkdir()
    _home(odd, "", {".ssh/authorized_keys": f"ssh-ed25519 {ED} odd@x"})  # no final newline
    root = _home(tmp_path, "root", {".ssh/authorized_keys": f"ssh-ed25519 {ED} root@x\n"})
    passwd = (f"o,d\tname:x:5:5::{odd}/:/bin/sh\n:x:6:6::{odd}/:/bin/sh\nshort:x:7\n\n"
              f"toor:x:0:0::{root}:/bin/sh\n" + "\x00\xff garbage\n")
    out = _run_script(tmp_path, passwd, "AuthorizedKeysFile %%%h/.ssh/authorized_keys %U% .ssh/authorized_keys\n")
    fact = _probe_parse(out, "authorizedkeysfile .ssh/authorized_keys\n")[0]
    assert fact.data["files"] == [f"{odd}//.ssh/authorized_keys", f"{root}/.ssh/authorized_keys"]
    assert [(k["user"], k["comment"]) for k in fact.data["keys"]] == [("o,d name", "odd@x"), ("toor", "root@x")]


def _frames(*headers: str, end: bool = True) -> str:
    body = "".join(f"\n@@{NONCE}:{h}" + ("" if "\n" in h else "\n") for h in headers)
    return body + (f"\n@@{NONCE}:end:\n" if end else "")


PATS = ("pat:0:default,global:.ssh/authorized_keys", "pat:1:default:.ssh/authorized_keys2", "cfg:0:.ssh/authorized_keys")


def test_truncated_or_incomplete_output_is_unavailable() -> None:
    good = _frames(*PATS, f"file:1,0,u:/h/.ssh/authorized_keys\nssh-ed25519 {ED} x\n", "listed:1")
    assert _probe_parse(good)[0].data["files"] == ["/h/.ssh/authorized_keys"]
    for out, cut in ((good, True), (good[:-20], False), (good.replace(NONCE, "f" * 24), False),
                     (_frames(*PATS), False), ("", False), (b"\xff\x00" * 1000, False)):
        with pytest.raises(FactUnavailable):
            _probe_parse(out, truncated=cut)


@pytest.mark.parametrize("hostile", [
    "file:", "file:x,y,z:/p\n", "file:1,0:/p\n", "file:99999999999,0,u:/p\n", "unreadable:", "pat:", "pat:x:y:z",
    "pat:7:match:", "cfg:", "cfg:9,x,:", "listed", "file:1,0,u/no-path\nssh-ed25519 " + ED + "\n",
    "file:" + ":".join(["1,1,u"] * 5000) + ":/p\n" + "A" * 100000, "file:1,0,\x00\xff:/p\n\x00" * 3])
def test_hostile_frames_never_crash(hostile: str) -> None:
    fact = _probe_parse(_frames(*PATS, hostile, "listed:3"), "garbage\x00\nauthorizedkeysfile\n")[0]
    assert isinstance(fact.data["keys"], list)


def test_unreadable_locations_and_sshd_t_naming_unsearched_patterns() -> None:
    out = _frames(*PATS, "pat:2:match:/etc/keys/%u", "unreadable:1,2,u:/etc/keys", "listed:2")
    fact = _probe_parse(out)[0]  # only a Match block names it: a warning, not a failed fact
    assert fact.data["files"] == [] and any("/etc/keys" in w for w in fact.warnings)
    blocked = _frames(*PATS, "unreadable:2,0,b:/home/b/.ssh", "unreadable:1,0,a:/home/a/.ssh",
                      "unreadable:1,1,a:/home/a/.ssh2", "listed:3")
    with pytest.raises(FactUnavailable, match=r"2 authorized_keys location\(s\).*/home/a/.ssh\)"):  # passwd order
        _probe_parse(blocked)
    with pytest.raises(FactUnavailable, match="not searched"):
        _probe_parse(_frames(*PATS, "listed:0"), "authorizedkeysfile /etc/ssh/included/%u\n")
    huge = "authorizedkeysfile " + " ".join(["none"] * 100000 + ["x"]) + "\n"
    with pytest.raises(FactUnavailable, match="not searched"):
        _probe_parse(_frames(*PATS, "listed:0"), huge)


@needs_awk
def test_a_nul_byte_after_a_key_does_not_hide_it(tmp_path: Path) -> None:
    """sshd reads a keys line as a C string, so `key\\0junk` authorizes the key: so must the audit."""
    alice = _home(tmp_path, "alice", {})
    (Path(alice) / ".ssh").mkdir(parents=True)
    (Path(alice) / ".ssh" / "authorized_keys").write_bytes(f"ssh-ed25519 {ED} hidden".encode() + b"\x00junk\n")
    out = _run_script(tmp_path, f"alice:x:1000:1000::{alice}:/bin/sh\n", "")
    fact, _ = _probe_parse(out, "authorizedkeysfile .ssh/authorized_keys\n")
    assert [(k["fingerprint"], k["comment"]) for k in fact.data["keys"]] == [(ED_FP, "hidden")]
    assert any("NUL byte" in w for w in fact.warnings)
