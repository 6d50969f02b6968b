"""checks/ and profiles/ ship inside the wheel: a fresh venv runs the catalogue from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clirun import REPO


def test_installed_wheel_lists_builtin_checks_from_another_folder(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="hatchling (the build backend, in the test extra) is needed to build")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(REPO)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listing = subprocess.run([str(venv / "bin" / "hardencheck"), "checks", "list", "--json"], cwd=elsewhere,
                             capture_output=True, text=True, env=env, timeout=120)
    assert listing.returncode == 0, listing.stderr
    shipped = {p.stem for p in (REPO / "checks").rglob("*.yaml")}
    import json

    assert {c["id"] for c in json.loads(listing.stdout)} == shipped
    profiles = subprocess.run([str(venv / "bin" / "hardencheck"), "profiles", "list"], cwd=elsewhere,
                              capture_output=True, text=True, env=env, timeout=120)
    assert "linux-baseline" in profiles.stdout
    assert (venv / "lib").exists()
    module = subprocess.run([str(py), "-c", "import hardencheck, sys; print(hardencheck.__file__)"], cwd=elsewhere,
                            capture_output=True, text=True, env=env)
    assert str(venv) in module.stdout  # the installed copy, not the source tree
