"""Run the real ``hardencheck`` CLI in a subprocess, as a user (or CI) would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def cli_env(**extra: str) -> dict[str, str]:
    # The session's own history store (conftest), never the operator's real one.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARDENCHECK_") or k == "HARDENCHECK_STORE"}
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_cli(*args: str, timeout: float = 300, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hardencheck", *args], capture_output=True, text=True,
                          timeout=timeout, env=cli_env(**env), cwd=cwd or REPO, stdin=subprocess.DEVNULL)


def ssh_args(fleet: Any) -> list[str]:
    """Flags that make the CLI reach fleet hosts strictly: the fleet's known_hosts and key, no agent/config."""
    return ["--known-hosts", str(fleet.known_hosts), "--identity", str(fleet.client_key), "--no-agent",
            "--ssh-config", "/dev/null"]


def run_doc(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The run.json a scan printed the path of (last stdout line)."""
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, f"no run path printed; stderr:\n{proc.stderr[-3000:]}"
    return json.loads(Path(lines[-1]).read_text())


def results_by_check(host: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["check_id"]: r for r in host["results"]}


def host_by_id(doc: dict[str, Any], target_id: str) -> dict[str, Any]:
    return next(h for h in doc["hosts"] if h["target"]["id"] == target_id)
