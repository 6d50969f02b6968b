"""Run documents made by the real engine for the store and compare tests, and checks that they are real.

Facts are built by hand as FactRecords; verdicts come from ``evaluate_host``
and the document from ``RunWriter``, exactly as a scan writes it. Other test
modules import the builders from here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from hardencheck.checks.loader import validate_check
from hardencheck.checks.model import Check
from hardencheck.checks.yamlsource import LineIndex
from hardencheck.engine import error_results, evaluate_host
from hardencheck.facts.model import FactRecord, Location, ParsedFact
from hardencheck.plan import ScanPlan
from hardencheck.profiles import Profile
from hardencheck.results.document import RunWriter, new_run_id, run_header
from hardencheck.results.model import HostResult
from hardencheck.waivers import Waiver

SSH_FIX = "Apply the SSH hardening baseline: set PermitRootLogin no and MaxAuthTries 4, then reload sshd."

CHECKS: dict[str, dict[str, Any]] = {
    "uid0": {
        "id": "uid0", "title": "Only root has UID 0", "severity": "critical",
        "compliance": {"pci-dss-4.0": ["8.2.1", "8.2.2"]},
        "expect": {"fact": "accounts", "path": "users",
                   "none": {"all": [{"path": "uid", "op": "equals", "value": 0},
                                    {"path": "name", "op": "not_equals", "value": "root"}]}},
        "remediation": "Remove every UID 0 account but root (userdel NAME).",
    },
    "empty-pw": {
        "id": "empty-pw", "title": "No empty passwords", "severity": "critical",
        "compliance": {"pci-dss-4.0": ["8.3.1"]},
        "expect": {"fact": "accounts", "path": "users",
                   "none": {"path": "password.empty", "op": "equals", "value": True}},
        "remediation": "Lock or set a password: passwd -l NAME.",
    },
    "root-login": {
        "id": "root-login", "title": "No root login over SSH", "severity": "high",
        "compliance": {"pci-dss-4.0": ["8.2.2", "2.2.6"]},
        "expect": {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"},
        "remediation": SSH_FIX,
    },
    "max-auth": {
        "id": "max-auth", "title": "SSH MaxAuthTries at most 4", "severity": "medium",
        "compliance": {"pci-dss-4.0": ["8.3.4", "2.2.6"], "cis-debian-12": ["5.1.14"]},
        "expect": {"fact": "sshd", "path": "maxauthtries", "op": "<=", "value": 4},
        "remediation": SSH_FIX,
    },
    "openssl": {
        "id": "openssl", "title": "OpenSSL is patched", "severity": "high",
        "compliance": {"pci-dss-4.0": ["6.3.3"]},
        "expect": {"fact": "packages", "path": "packages",
                   "none": {"all": [{"path": "name", "op": "equals", "value": "openssl"},
                                    {"path": "version", "op": "version_lt", "value": "3.0.13"}]}},
        "remediation": "apt-get install --only-upgrade openssl",
    },
    "pos-only": {
        "id": "pos-only", "title": "POS kiosk account is locked", "severity": "low",
        "applies_to": {"asset_class": ["pos-terminal"]},
        "expect": {"fact": "accounts", "path": "users",
                   "none": {"path": "name", "op": "equals", "value": "kiosk"}},
        "remediation": "Lock the kiosk account.",
    },
    "no-known-vulns": {
        "id": "no-known-vulns", "title": "No package with a known vulnerability", "severity": "high",
        "expect": {"fact": "vulns", "path": "count", "op": "equals", "value": 0},
        "remediation": "Upgrade the listed packages.",
    },
    "old-check": {
        "id": "old-check", "title": "A check since retired", "severity": "low",
        "expect": {"fact": "sshd", "path": "x11forwarding", "op": "equals", "value": "no"},
        "remediation": "Set X11Forwarding no.",
    },
}


def check(cid: str) -> Check:
    """A test check, validated against check.schema.json like a YAML file is."""
    data = CHECKS[cid]
    errors = validate_check(data, Path(f"{cid}.yaml"), LineIndex(None), None)
    assert not errors, errors
    return Check.from_dict(data, f"{cid}.yaml")


def make_plan(ids: list[str], waivers: list[Waiver] | None = None, today: dt.date | None = None,
              profile: str = "unit-baseline", probes: dict[str, Any] | None = None) -> ScanPlan:
    checks = {cid: check(cid) for cid in sorted(ids)}
    return ScanPlan(checks=checks, params={cid: dict(c.parameters) for cid, c in checks.items()}, probes=probes or {},
                    profile=Profile(name=profile, chain=[profile], sha256=hashlib.sha256(profile.encode()).hexdigest()),
                    waivers=waivers or [], today=today or dt.date(2026, 1, 1))


def user(name: str, uid: int, empty: bool = False) -> dict[str, Any]:
    return {"name": name, "uid": uid, "gid": uid, "gecos": "", "home": f"/home/{name}", "shell": "/bin/bash",
            "interactive": True, "password": {"algorithm": "none" if empty else "yescrypt", "empty": empty,
                                              "locked": False, "no_password": False},
            "password_source": "shadow", "shadow": True}


def record(name: str, data: dict[str, Any] | None, source: str, status: str = "ok") -> FactRecord:
    body = json.dumps(data, sort_keys=True).encode()
    return FactRecord(name=name, status=status, reason="" if status == "ok" else "could not be read",
                      fact=ParsedFact(data=data or {}, locations={"": Location(source, 1, "excerpt")}),
                      sources={source: {"kind": "file", "status": "ok", "sha256": hashlib.sha256(body).hexdigest(),
                                        "bytes": len(body)}})


DEFAULT_USERS = [user("root", 0), user("alice", 1000)]
DEFAULT_SSHD = {"permitrootlogin": "no", "maxauthtries": "4", "x11forwarding": "no"}


def host_facts(users: list[dict[str, Any]] | None = None, sshd: dict[str, Any] | None = None,
               packages: list[dict[str, Any]] | None = None, package_format: str = "dpkg",
               listeners: list[dict[str, Any]] | None = None, sshd_status: str = "ok") -> dict[str, FactRecord]:
    facts = {
        "accounts": record("accounts", {"users": users if users is not None else DEFAULT_USERS, "groups": [],
                                        "shadow_readable": True}, "/etc/passwd"),
        "sshd": record("sshd", sshd if sshd is not None else DEFAULT_SSHD, "cmd:sshd -T", sshd_status),
    }
    if packages is not None:
        facts["packages"] = record("packages", {"format": package_format, "packages": packages},
                                   "/var/lib/dpkg/status")
    if listeners is not None:
        facts["sockets"] = record("sockets", {"listeners": listeners}, "cmd:ss -Htuln")
    return facts


def pkg(name: str, version: str, arch: str = "amd64") -> dict[str, Any]:
    return {"name": name, "version": version, "arch": arch, "source_package": name, "status": "installed"}


def target(name: str, asset_class: str = "server") -> dict[str, Any]:
    return {"id": name, "transport": "ssh", "address": f"{name}.stores.example", "port": 22, "user": "audit",
            "asset_class": asset_class, "groups": ["stores"]}


def make_run(out: Path, plan: ScanPlan, hosts: dict[str, dict[str, FactRecord] | str], started: str,
             waivers: list[Waiver] | None = None, asset_classes: dict[str, str] | None = None) -> dict[str, Any]:
    """A run document as `hardencheck scan` writes it; a host given as a string could not be audited."""
    day = dt.date.fromisoformat(started[:10])
    plan = dataclasses.replace(plan, waivers=waivers or [], today=day)
    stamp = dt.datetime.fromisoformat(started)
    writer = RunWriter(out, new_run_id(stamp), run_header(plan, ["hardencheck", "scan", "unit"], started))
    for name, facts in hosts.items():
        t = target(name, (asset_classes or {}).get(name, "server"))
        if isinstance(facts, str):
            host = HostResult(target=t, status="error", error=facts, started=started, finished=started)
            host.results = error_results(plan, name, facts)
        else:
            host = HostResult(target=t, status="ok", started=started, finished=started, facts=facts)
            host.results = evaluate_host(t, facts, plan)
        writer.add_host(host)
    path = writer.finish(complete=True, interrupted=False, unfinished=[], warnings=[])
    return json.loads(path.read_text())


@cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("hardencheck").joinpath(f"schemas/{name}").read_text())


def run_schema_errors(doc: dict[str, Any]) -> list[str]:
    return [e.message for e in Draft202012Validator(_schema("run.schema.json")).iter_errors(doc)]


def assert_valid_comparison(doc: dict[str, Any]) -> dict[str, Any]:
    from hardencheck.compare import schema_errors

    errors = schema_errors(doc)
    assert not errors, "\n".join(errors)
    return doc


# -- the builders make what a scan makes --------------------------------------------------------------

def test_built_runs_follow_the_run_schema(tmp_path: Path) -> None:
    plan = make_plan(list(CHECKS))
    doc = make_run(tmp_path, plan, {"pos-1": host_facts(packages=[pkg("openssl", "3.0.11")]), "pos-2": "timed out"},
                   "2026-01-10T02:00:00.000Z")
    assert run_schema_errors(doc) == []
    statuses = {(h["target"]["id"], r["check_id"]): r["status"] for h in doc["hosts"] for r in h["results"]}
    assert statuses[("pos-1", "openssl")] == "fail"
    assert statuses[("pos-1", "uid0")] == "pass"
    assert statuses[("pos-1", "pos-only")] == "skipped"
    assert statuses[("pos-2", "uid0")] == "error"


def test_run_schema_rejects_a_broken_run(tmp_path: Path) -> None:
    doc = make_run(tmp_path, make_plan(["uid0"]), {"a": host_facts()}, "2026-01-10T02:00:00.000Z")
    doc["hosts"][0]["results"][0]["status"] = "green"
    assert run_schema_errors(doc)


def test_comparison_schema_rejects_an_unknown_change() -> None:
    from hardencheck.compare import schema_errors

    assert schema_errors({"schema_version": "1.0", "kind": "comparison"})
    with pytest.raises(AssertionError):
        assert_valid_comparison({"kind": "comparison"})
