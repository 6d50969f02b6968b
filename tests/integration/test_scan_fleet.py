"""The audit engine end to end over real SSH against the fleet: verdicts, evidence, faults, host keys."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from clirun import REPO, cli_env, host_by_id, results_by_check, run_cli, run_doc, ssh_args

pytestmark = pytest.mark.integration


def _scan(fleet: Any, out: Path, *targets: str, extra: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = run_cli("scan", *targets, "--profile", "linux-baseline", "--output", str(out), "--timeout", "30",
                   "--connect-timeout", "5", *ssh_args(fleet), *extra)
    return proc, run_doc(proc)


def test_weak_and_hardened_get_different_verdicts_with_evidence(fleet: Any, tmp_path: Path) -> None:
    weak, hardened = fleet.host("weak-1"), fleet.host("hardened-1")
    proc, doc = _scan(fleet, tmp_path, f"root@{weak.address}", f"root@{hardened.address}")
    assert proc.returncode == 1, proc.stderr  # findings, every host audited
    w = results_by_check(host_by_id(doc, weak.address))
    h = results_by_check(host_by_id(doc, hardened.address))
    assert w["ssh-permit-root-login"]["status"] == "fail"
    assert w["ssh-permit-root-login"]["observed"] == "yes"
    ev = w["ssh-permit-root-login"]["evidence"][0]
    assert ev["source"] == "/etc/ssh/sshd_config" and ev["line"] and "PermitRootLogin yes" in ev["excerpt"]
    assert len(ev["sha256"]) == 64
    assert h["ssh-permit-root-login"]["status"] == "pass"
    assert {r["status"] for r in h.values()} <= {"pass", "skipped"}
    # one exec channel per host: every probe's facts came back in one round trip
    for host in doc["hosts"]:
        assert host["connection"]["channels_opened"] == 1
        assert host["connection"]["host_key_trust"] == "known_hosts"
        assert host["connection"]["host_key_fingerprint"].startswith("SHA256:")


def test_run_document_validates_against_shipped_schema(fleet: Any, tmp_path: Path) -> None:
    import jsonschema

    from hardencheck.results.document import load_run

    schema = json.loads((REPO / "src" / "hardencheck" / "schemas" / "run.schema.json").read_text())
    _, doc = _scan(fleet, tmp_path, *(f"root@{h.address}" for h in fleet.hosts), "dir:docs/examples/config-repo")
    jsonschema.validate(doc, schema)
    assert doc["complete"] is True and doc["schema_version"] == "1.0"
    assert doc["checks"]["count"] == len(doc["hosts"][0]["results"])
    assert load_run(next(tmp_path.iterdir()))["run_id"] == doc["run_id"]


def test_changed_host_key_is_refused_and_others_continue(fleet_factory: Any, tmp_path: Path) -> None:
    f = fleet_factory([("victim", "hardened"), ("bystander", "hardened")])
    victim, bystander = f.hosts
    f.restart_with_new_key(victim)  # known_hosts keeps the old key: possible interception
    proc, doc = _scan(f, tmp_path, f"root@{victim.address}", f"root@{bystander.address}")
    assert proc.returncode == 3
    v = host_by_id(doc, victim.address)
    assert v["status"] == "error" and "CHANGED" in v["error"]
    assert {r["status"] for r in v["results"]} == {"error"}  # never pass, never missing
    assert host_by_id(doc, bystander.address)["status"] == "ok"


def test_unknown_host_key_refused_unless_trust_on_first_use(fleet: Any, tmp_path: Path) -> None:
    weak = fleet.host("weak-1")
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    args = ["scan", f"root@{weak.address}", "--known-hosts", str(empty), "--identity", str(fleet.client_key),
            "--no-agent", "--ssh-config", "/dev/null", "--output", str(tmp_path / "o")]
    proc = run_cli(*args)
    doc = run_doc(proc)
    assert proc.returncode == 3
    assert "unknown host key" in doc["hosts"][0]["error"]
    proc = run_cli(*args, "--trust-on-first-use")
    doc = run_doc(proc)
    conn = doc["hosts"][0]["connection"]
    assert doc["hosts"][0]["status"] == "ok" and conn["host_key_trust"] == "trust-on-first-use"
    assert conn["host_key_fingerprint"] in empty.read_text() or weak.address in empty.read_text()
    # remembered: the next run verifies against the key it recorded
    proc = run_cli(*args)
    assert run_doc(proc)["hosts"][0]["connection"]["host_key_trust"] == "known_hosts"


def test_unreachable_host_and_refused_auth_are_errors_not_passes(fleet_factory: Any, tmp_path: Path) -> None:
    f = fleet_factory([("down", "hardened"), ("up", "weak")])
    down, up = f.hosts
    f.stop_host(down)
    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    proc, doc = _scan(f, tmp_path / "a", f"root@{down.address}", f"root@{up.address}")
    assert proc.returncode == 3
    assert host_by_id(doc, down.address)["status"] == "error"
    assert "cannot connect" in host_by_id(doc, down.address)["error"]
    assert host_by_id(doc, up.address)["status"] == "ok"
    proc = run_cli("scan", f"root@{up.address}", "--known-hosts", str(f.known_hosts), "--identity", str(stranger),
                   "--no-agent", "--ssh-config", "/dev/null", "--output", str(tmp_path / "b"))
    doc = run_doc(proc)
    assert doc["hosts"][0]["status"] == "error" and "authentication" in doc["hosts"][0]["error"]


def _probe_every_fact(tmp_path: Path) -> Path:
    """Extra checks that read the facts whose commands the misbehaving host sabotages."""
    d = tmp_path / "extra-checks"
    d.mkdir(exist_ok=True)
    for fact in ("blockdev", "sockets", "kernel", "packages", "pam", "os_release"):
        (d / f"test-{fact.replace('_', '-')}-known.yaml").write_text(
            f"id: test-{fact.replace('_', '-')}-known\ntitle: {fact} fact is known\nseverity: info\n"
            f"expect: {{fact: {fact}, path: '', op: present}}\nremediation: nothing to do, a test check\n")
    return d


def test_misbehaving_host_costs_only_itself(fleet: Any, tmp_path: Path) -> None:
    """lsblk hangs, ss floods, sshd -T prints garbage and HTML, a planted uname prints ANSI escapes."""
    bad, good = fleet.host("bad-1"), fleet.host("hardened-1")
    started = time.monotonic()
    proc = run_cli("scan", f"root@{bad.address}", f"root@{good.address}", "--profile", "linux-baseline",
                   "--output", str(tmp_path / "o"), "--timeout", "40", *ssh_args(fleet),
                   "--checks-dir", str(_probe_every_fact(tmp_path)))
    elapsed = time.monotonic() - started
    doc = run_doc(proc)
    assert proc.returncode == 3  # facts missing on the bad host: never reported as clean
    b = host_by_id(doc, bad.address)
    assert b["status"] == "ok", b["error"]  # the host answered; its bad probes are contained
    assert elapsed < 120
    facts = b["facts"]
    assert facts["blockdev"]["status"] == "error" and "timed out" in facts["blockdev"]["reason"]
    assert results_by_check(b)["test-blockdev-known"]["status"] == "error"
    assert facts["sockets"]["sources"]["cmd:ss -H -t -u -l -n"]["truncated"] is True
    # The planted uname is never consulted: the release is read from the kernel's own /proc file.
    assert facts["kernel"]["status"] == "ok" and facts["kernel"]["data"]["release"] == os.uname().release
    raw = json.dumps(doc)
    for hostile in ("<script>", "\x1b", "\u001b"):
        assert hostile not in proc.stderr  # terminal output is escaped
    assert "<img src=x onerror=alert(1)>" in raw or "<script>" in raw  # kept as data (JSON text), not dropped
    g = host_by_id(doc, good.address)
    assert g["status"] == "ok" and g["facts"]["blockdev"]["status"] == "ok"


def test_sigint_keeps_finished_hosts_and_marks_run_incomplete(fleet_factory: Any, tmp_path: Path) -> None:
    f = fleet_factory([(f"n{i}", "weak" if i % 2 else "hardened") for i in range(50)])
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "hardencheck", "scan", *(f"root@{h.address}" for h in f.hosts),
                             "--profile", "linux-baseline", "--output", str(out), "--parallel", "2",
                             *ssh_args(f)], env=cli_env(), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    journal = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = list(out.glob("*/hosts.jsonl"))
        if found and len(found[0].read_text().splitlines()) >= 5:
            journal = found[0]
            break
        time.sleep(0.05)
    assert journal is not None, "no host finished in time"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-2000:]
    doc = json.loads((journal.parent / "run.json").read_text())
    finished = [json.loads(ln) for ln in journal.read_text().splitlines()]
    assert doc["complete"] is False and doc["interrupted"] is True
    assert 5 <= len(doc["hosts"]) < 50
    assert {h["target"]["id"] for h in doc["hosts"]} == {h["target"]["id"] for h in finished}
    assert len(doc["unfinished_targets"]) + len(doc["hosts"]) == 50
    assert all(h["results"] for h in doc["hosts"])


def test_evaluate_reproduces_verdicts_offline(fleet: Any, tmp_path: Path) -> None:
    _, doc = _scan(fleet, tmp_path / "scan", *(f"root@{h.address}" for h in fleet.hosts))
    run_dir = next((tmp_path / "scan").iterdir())
    fleet_stopped_env = {}  # evaluate never connects: point it at nothing reachable
    proc = run_cli("evaluate", str(run_dir), "--profile", "linux-baseline", "--output", str(tmp_path / "ev"),
                   **fleet_stopped_env)
    again = run_doc(proc)
    assert again["evaluated_from"]["run_id"] == doc["run_id"]
    for host in doc["hosts"]:
        before = {r["check_id"]: r["status"] for r in host["results"]}
        after = {r["check_id"]: r["status"] for r in host_by_id(again, host["target"]["id"])["results"]}
        assert before == after


def test_ssh_config_alias_and_proxyjump(fleet: Any, tmp_path: Path) -> None:
    gateway, target = fleet.host("weak-1"), fleet.host("hardened-1")
    cfg = tmp_path / "ssh_config"
    cfg.write_text(f"""
Host store-gw
    HostName {gateway.address}
    User root
    IdentityFile {fleet.client_key}
    UserKnownHostsFile {fleet.known_hosts}
Host pos-042-01
    HostName {target.address}
    User root
    IdentityFile {fleet.client_key}
    UserKnownHostsFile {fleet.known_hosts}
    ProxyJump store-gw
""")
    proc = run_cli("scan", "pos-042-01", "--ssh-config", str(cfg), "--no-agent", "--output", str(tmp_path / "o"),
                   "--checks", "ssh-*")
    doc = run_doc(proc)
    host = doc["hosts"][0]
    assert host["target"]["id"] == "pos-042-01"
    assert host["status"] == "ok", host["error"]
    assert results_by_check(host)["ssh-permit-root-login"]["status"] == "pass"  # the hardened host's view


def test_ansible_inventory_groups_and_asset_class(fleet: Any, tmp_path: Path) -> None:
    weak, hardened = fleet.host("weak-1"), fleet.host("hardened-1")
    inv = tmp_path / "hosts.ini"
    inv.write_text(f"""
[terminals]
pos-1 ansible_host={weak.address} ansible_user=root

[backoffice]
bo-1 ansible_host={hardened.address}

[store042:children]
terminals
backoffice

[terminals:vars]
asset_class=pos-terminal
""")
    proc = run_cli("scan", "--inventory", str(inv), "--limit", "store042", "--output", str(tmp_path / "o"),
                   "--user", "root", *ssh_args(fleet), "--checks", "ssh-*")
    doc = run_doc(proc)
    pos = host_by_id(doc, "pos-1")
    assert pos["target"]["asset_class"] == "pos-terminal"
    assert set(pos["target"]["groups"]) == {"terminals", "store042"}
    assert host_by_id(doc, "bo-1")["status"] == "ok"


def test_config_directory_findings_carry_repo_file_and_line(tmp_path: Path) -> None:
    proc = run_cli("scan", "dir:docs/examples/config-repo", "--output", str(tmp_path))
    doc = run_doc(proc)
    assert proc.returncode == 1
    r = results_by_check(doc["hosts"][0])
    ev = r["ssh-max-auth-tries"]["evidence"][0]
    assert ev["repo_path"] == "roles/pos/files/sshd_config" and ev["line"] == 9
    assert r["accounts-uid0-only-root"]["status"] == "skipped"  # the repo does not manage /etc/passwd


def test_bad_check_or_waiver_fails_before_any_host_is_contacted(tmp_path: Path) -> None:
    bad = tmp_path / "checks"
    bad.mkdir()
    (bad / "oops.yaml").write_text("id: oops\ntitle: a check\nseverty: high\n")
    proc = run_cli("scan", "root@127.0.0.254", "--checks-dir", str(bad), "--output", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "oops.yaml:3" in proc.stderr and "severty" in proc.stderr
    assert not (tmp_path / "o").exists()
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - check: ssh-permit-root-login\n    hosts: '*'\n    expires: 2027-01-01\n")
    proc = run_cli("scan", "root@127.0.0.254", "--waivers", str(waivers), "--output", str(tmp_path / "o"))
    assert proc.returncode == 2 and "justification" in proc.stderr


def test_waiver_marks_finding_waived_and_expired_waiver_is_flagged(fleet: Any, tmp_path: Path) -> None:
    weak = fleet.host("weak-1")
    waivers = tmp_path / "w.yaml"
    waivers.write_text(f"""waivers:
  - check: ssh-permit-root-login
    hosts: "{weak.address}"
    justification: vendor support tunnel until the POS upgrade in January
    expires: 2099-01-31
  - check: ssh-max-auth-tries
    hosts: "*"
    justification: legacy kiosk client retries keys one by one
    expires: 2020-01-01
""")
    proc, doc = _scan(fleet, tmp_path / "o", f"root@{weak.address}", extra=("--waivers", str(waivers)))
    r = results_by_check(doc["hosts"][0])
    assert r["ssh-permit-root-login"]["status"] == "waived"
    assert "vendor support tunnel" in r["ssh-permit-root-login"]["reason"]
    assert r["ssh-max-auth-tries"]["status"] == "fail" and r["ssh-max-auth-tries"]["waiver"]["expired"] is True
    assert any("expired" in w for w in doc["warnings"])
    assert "expired" in proc.stderr


def test_sudo_collection_as_an_unprivileged_account(fleet_factory: Any, tmp_path: Path) -> None:
    """`--sudo`: root facts through `sudo -n` where allowed, asked once per host; never a password prompt."""
    import shutil

    if shutil.which("sudo") is None:
        pytest.skip("sudo is not installed on this machine (scripts/bootstrap installs it)")
    f = fleet_factory([("srv", "sudo-audit")])
    host = f.hosts[0]
    common = ["--profile", "linux-baseline", "--checks", "accounts-*", "--timeout", "30", *ssh_args(f)]

    def scan(user: str, *extra: str) -> dict[str, Any]:
        out = tmp_path / f"{user}{''.join(extra)}"
        return run_doc(run_cli("scan", f"{user}@{host.address}", "--output", str(out), *common, *extra))["hosts"][0]

    with_sudo = scan("auditor", "--sudo")
    assert with_sudo["status"] == "ok", with_sudo["error"]
    assert with_sudo["connection"]["privilege"] == "sudo"
    assert with_sudo["connection"]["channels_opened"] == 1
    assert with_sudo["facts"]["accounts"]["data"]["shadow_readable"] is True
    plain = scan("auditor")
    assert plain["connection"]["privilege"] == "user"
    assert plain["facts"]["accounts"]["data"]["shadow_readable"] is False
    refused = scan("helpdesk", "--sudo")  # sudo -n would need a password: fall back, do not hang
    assert refused["status"] == "ok" and refused["connection"]["privilege"] == "user"


def test_a_scan_leaves_nothing_on_the_target(fleet_factory: Any, tmp_path: Path) -> None:
    """Read-only by construction: after a full scan no file on the host is newer than the scan's start.

    /tmp, /var/tmp, /root and /home are the host's own (empty) folders in the fleet, so anything
    there could only have been written by the audit; /etc, /usr, /var/lib and /opt are checked too.
    """
    import paramiko

    f = fleet_factory([("scene", "weak")])
    host = f.hosts[0]
    client = paramiko.SSHClient()
    client.load_host_keys(str(f.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host.address, username="root", key_filename=str(f.client_key), allow_agent=False,
                   look_for_keys=False)

    def remote(cmd: str) -> str:
        _, out, _ = client.exec_command(cmd)
        return out.read().decode()

    time.sleep(1.1)  # the host's own files were laid down when it started: keep them out of the window
    started = remote("date +%s").strip()
    time.sleep(1.1)
    proc = run_cli("scan", f"root@{host.address}", "--profile", "linux-baseline", "--output", str(tmp_path),
                   "--timeout", "60", *ssh_args(f))
    assert run_doc(proc)["hosts"][0]["status"] == "ok"
    written = remote(f"find /tmp /var/tmp /root /home /etc /usr /var/lib /opt /srv -xdev -newermt @{started} "
                     "-print 2>/dev/null")
    client.close()
    assert written == "", f"the audit left files on the target:\n{written}"
