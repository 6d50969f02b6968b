"""History and comparison over real SSH: a host is tampered with between two nightly scans."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import paramiko
import pytest
from clirun import run_cli, ssh_args

pytestmark = pytest.mark.integration

CHECKS = "accounts-uid0-only-root,accounts-no-empty-passwords,ssh-permit-root-login,ssh-max-auth-tries"
SCHEMA = Path(__file__).resolve().parents[2] / "src/hardencheck/schemas/comparison.schema.json"


def _tamper(fleet: Any, host: Any) -> None:
    """What an intruder leaves behind: a UID 0 account and root login over SSH (in the host's own tmpfs)."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(fleet.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host.address, port=host.port, username="root", key_filename=str(fleet.client_key),
                   allow_agent=False, look_for_keys=False, timeout=10)
    try:
        script = ("echo 'toor:x:0:0::/root:/bin/bash' >> /etc/passwd && "
                  "sed -i '1i PermitRootLogin yes' /etc/ssh/sshd_config")
        _, stdout, stderr = client.exec_command(script, timeout=20)
        assert stdout.channel.recv_exit_status() == 0, stderr.read()
    finally:
        client.close()


def _scan(fleet: Any, host: Any, out: Path, store: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("scan", f"root@{host.address}", "--checks", CHECKS, "--output", str(out), "--timeout", "30", "--connect-timeout", "5",
                   "--fail-on", "none", *ssh_args(fleet), *extra, HARDENCHECK_STORE=str(store))


def _comparison(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    import jsonschema

    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("comparison: "))
    doc = json.loads(Path(line.removeprefix("comparison: ")).read_text())
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    return doc


def test_tampered_host_regresses_and_drifts(fleet_factory: Any, tmp_path: Path) -> None:
    fleet = fleet_factory([("store-7", "hardened")])
    (host,) = fleet.hosts
    store, out = tmp_path / "history.db", tmp_path / "reports"
    first = _scan(fleet, host, out, store)
    assert first.returncode == 0, first.stderr
    same = _scan(fleet, host, out, store, "--baseline", "latest", "--fail-on-regression")
    assert same.returncode == 0, same.stderr  # nothing got worse
    assert _comparison(same)["counts"]["regressed"] == 0

    _tamper(fleet, host)
    key_dir = tmp_path / "keys"
    assert run_cli("keygen", "--out", str(key_dir)).returncode == 0
    worse = _scan(fleet, host, out, store, "--baseline", "latest", "--fail-on-regression",
                  "--sign-key", str(key_dir / "hardencheck-signing.key"))
    assert worse.returncode == 1, worse.stderr
    c = _comparison(worse)
    changes = {t["check_id"]: t["change"] for t in c["transitions"]}
    assert changes["accounts-uid0-only-root"] == "regressed"
    assert changes["ssh-permit-root-login"] == "regressed"
    assert "new UID 0 account: toor" in c["drift"][host.address]["accounts"]["highlights"]
    assert c["score"]["fleet"]["after"] < c["score"]["fleet"]["before"]

    history = run_cli("history", "--json", HARDENCHECK_STORE=str(store))
    runs = json.loads(history.stdout)
    assert len(runs) == 3 and runs[0]["failed"] > runs[1]["failed"] == runs[2]["failed"]
    gate = run_cli("compare", "latest~1", "latest", "--fail-on-regression", "--output", str(tmp_path / "cmp"),
                   HARDENCHECK_STORE=str(store))
    assert gate.returncode == 1, gate.stderr
    unchanged = run_cli("compare", "latest~2", "latest~1", "--fail-on-regression", "--output",
                        str(tmp_path / "cmp2"), HARDENCHECK_STORE=str(store))
    assert unchanged.returncode == 0, unchanged.stderr

    folder = Path(worse.stdout.strip().splitlines()[-1]).parent
    assert run_cli("verify", str(folder), "--pubkey", str(key_dir / "hardencheck-signing.pub")).returncode == 0
    (folder / "comparison.json").write_text("{}")
    assert run_cli("verify", str(folder), "--pubkey", str(key_dir / "hardencheck-signing.pub")).returncode == 1
