"""Every check against its fixture hosts and folders: one parametrised test walks the data.

``tests/expectations/<check-id>.yaml`` maps a fleet image (or a config-directory fixture under
``tests/fixtures/dirs/<name>/``) to the status the check must reach there, optionally with a
substring the evidence must contain. Adding a check adds data, not test code. Each image host
is scanned once per session, over real SSH, with every built-in check.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from clirun import REPO, host_by_id, run_cli, run_doc, ssh_args

EXPECTATIONS = REPO / "tests" / "expectations"
IMAGES = REPO / "tests" / "fleet" / "images"
DIR_FIXTURES = REPO / "tests" / "fixtures" / "dirs"
OSV_FIXTURE = REPO / "tests" / "fixtures" / "osv"
STATUSES = {"pass", "fail", "error", "skipped", "waived"}


def _load_expectations() -> list[tuple[str, str, str, str | None]]:
    cases = []
    for f in sorted(EXPECTATIONS.glob("*.yaml")):
        data = yaml.safe_load(f.read_text()) or {}
        evidence = data.pop("evidence", {}) or {}
        for subject, status in data.items():
            cases.append((f.stem, str(subject), str(status), evidence.get(subject)))
    return cases


CASES = _load_expectations()


def _subjects() -> tuple[list[str], list[str], list[str]]:
    from netfleet.devices import DEVICES

    subjects = sorted({c[1] for c in CASES})
    images = [s for s in subjects if (IMAGES / s / "image.yaml").is_file()]
    dirs = [s for s in subjects if (DIR_FIXTURES / s).is_dir()]
    devices = [s for s in subjects if s in DEVICES]  # network-only devices (tests/netfleet/devices.py)
    return images, dirs, devices


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """subject name -> host result, from one real scan of every image host, fixture folder and device."""
    from fleet import Fleet
    from netfleet.devices import start_devices
    from netfleet.listeners import Listeners

    images, dirs, devices = _subjects()
    out = tmp_path_factory.mktemp("expectations")
    with Fleet(tmp_path_factory.mktemp("expectations-fleet"), base=None) as fleet, Listeners() as listening:
        fleet.start([(f"x-{img}", img) for img in images])
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        base = f"127.{77 + (int(worker[2:]) if worker[2:].isdigit() else 0)}.210"
        addresses = start_devices(devices, base, tmp_path_factory.mktemp("device-certs"), listening)
        yield _scan(fleet, images, dirs, out, addresses)


def _scan(fleet: Any, images: list[str], dirs: list[str], out: Path,
          devices: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    inventory = {"all": {"hosts": {}}}
    for host, img in zip(fleet.hosts, images):
        meta = yaml.safe_load((IMAGES / img / "image.yaml").read_text()) or {}
        inventory["all"]["hosts"][img] = {"address": host.address, "user": "root",
                                          "asset_class": meta.get("asset_class", "server")}
    for d in dirs:
        inventory["all"]["hosts"][d] = {"transport": "dir", "path": str(DIR_FIXTURES / d),
                                        "asset_class": "server"}
    for name, address in (devices or {}).items():
        inventory["all"]["hosts"][name] = {"transport": "network", "address": address,
                                           "asset_class": "store-device"}
    inv = out / "inventory.yaml"
    inv.write_text(yaml.safe_dump(inventory))
    extra = ["--advisories", str(OSV_FIXTURE)] if OSV_FIXTURE.is_dir() and _has_option("--advisories") else []
    proc = run_cli("scan", "--inventory", str(inv), "--profile", "linux-baseline", "--output", str(out),
                   "--timeout", "60", *ssh_args(fleet), *extra, timeout=600)
    assert proc.returncode in (0, 1, 3), proc.stderr[-4000:]
    doc = run_doc(proc)
    return {s: host_by_id(doc, s) for s in [*images, *dirs, *(devices or {})]}


def _has_option(flag: str) -> bool:
    return flag in run_cli("scan", "--help").stdout


def test_every_check_has_a_failing_and_a_passing_case() -> None:
    from hardencheck.checks.loader import builtin_dir, load_checks

    checks = load_checks([builtin_dir("checks")])
    by_check: dict[str, set[str]] = {}
    for check_id, _subject, status, _ in CASES:
        assert status in STATUSES, f"{check_id}: unknown status {status}"
        by_check.setdefault(check_id, set()).add(status)
    missing = sorted(c for c in checks if not {"pass", "fail"} <= by_check.get(c, set()))
    assert not missing, f"checks without both a failing and a passing fixture: {missing}"
    unknown = sorted(set(by_check) - set(checks))
    assert not unknown, f"expectation files for checks that do not exist: {unknown}"


@pytest.mark.integration
@pytest.mark.parametrize(("check_id", "subject", "expected", "evidence"), CASES,
                         ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_check_verdict(scanned: dict[str, dict[str, Any]], check_id: str, subject: str, expected: str,
                       evidence: str | None) -> None:
    host = scanned[subject]
    assert host["status"] == "ok", f"{subject} could not be audited: {host['error']}"
    result = next((r for r in host["results"] if r["check_id"] == check_id), None)
    assert result is not None, f"{check_id} did not run on {subject}"
    assert result["status"] == expected, (
        f"{check_id} on {subject}: {result['status']} (expected {expected}); reason={result['reason']!r} "
        f"observed={result['observed']!r} evidence={result['evidence'][:3]}")
    if result["status"] in ("pass", "fail"):
        assert result["evidence"], f"{check_id} on {subject} has no evidence"
    if evidence:
        text = " | ".join(f"{e['source']}:{e.get('line')} {e.get('excerpt', '')} {e.get('repo_path', '')}"
                          for e in result["evidence"]) + f" | {result['observed']}"
        assert evidence in text, f"{check_id} on {subject}: evidence lacks {evidence!r}: {text[:800]}"
