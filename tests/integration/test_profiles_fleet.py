"""Every shipped profile runs end to end on the fleet: weak fails, hardened passes, POS exemptions hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clirun import REPO, host_by_id, results_by_check, run_cli, run_doc, ssh_args

pytestmark = pytest.mark.integration
PROFILES = sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_runs_end_to_end(fleet: Any, tmp_path: Path, profile: str) -> None:
    weak, hardened = fleet.host("weak-1"), fleet.host("hardened-1")
    proc = run_cli("scan", f"root@{weak.address}", f"root@{hardened.address}", "--profile", profile,
                   "--asset-class", "pos-terminal" if profile == "pci-pos" else "server",
                   "--output", str(tmp_path), "--timeout", "60", "--network", "off", *ssh_args(fleet),
                   "--advisories", str(REPO / "tests" / "fixtures" / "osv"), timeout=600)
    assert proc.returncode in (1, 3), proc.stderr[-3000:]
    doc = run_doc(proc)
    listed = run_cli("profiles", "show", profile)
    assert listed.returncode == 0 and "parameters:" in listed.stdout
    assert doc["profile"]["name"] == profile and doc["checks"]["count"] > 0
    w, h = host_by_id(doc, weak.address), host_by_id(doc, hardened.address)
    assert w["status"] == h["status"] == "ok"
    weak_fails = {c for c, r in results_by_check(w).items() if r["status"] == "fail"}
    hard_fails = {c for c, r in results_by_check(h).items() if r["status"] == "fail"}
    assert weak_fails, "the weak host failed nothing"
    assert len(hard_fails) < len(weak_fails) / 4, f"hardened host fails {sorted(hard_fails)}"
    for r in w["results"] + h["results"]:
        assert "internal error" not in r["reason"] and "definition error" not in r["reason"], r
        if r["status"] in ("pass", "fail"):
            assert r["evidence"], f"{r['check_id']} has no evidence"
    if profile == "pci-pos":
        exempt = [r for r in w["results"] if r["status"] == "skipped" and "exempt" in r["reason"]]
        assert exempt, "POS exemptions (8.3.4/8.3.6/8.3.7) were not applied on a pos-terminal"
