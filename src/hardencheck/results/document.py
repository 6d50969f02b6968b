"""The run document: one versioned JSON per run, written host by host as they finish.

``hosts.jsonl`` in the run folder is appended (and fsync'd) as each host
completes; ``run.json`` is the full document, written at the end — or, when
the run is interrupted, from the hosts that finished, marked incomplete.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import secrets
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hardencheck import __version__
from hardencheck.facts.model import FactRecord
from hardencheck.plan import ScanPlan
from hardencheck.results.model import SCHEMA_VERSION, HostResult


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def operator_name() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def plan_header(plan: ScanPlan) -> dict[str, Any]:
    return {
        "profile": {"name": plan.profile.name, "chain": plan.profile.chain, "sha256": plan.profile.sha256,
                    "parameters": plan.params},
        "checks": {"count": len(plan.checks), "sha256": plan.checks_sha256,
                   "ids": {cid: c.sha256[:16] for cid, c in plan.checks.items()}},
        "waivers": [w.to_dict(plan.today) for w in plan.waivers],
    }


def summarise(hosts: list[dict[str, Any]]) -> dict[str, Any]:
    status = Counter()
    failed_by_severity = Counter()
    for h in hosts:
        for r in h["results"]:
            status[r["status"]] += 1
            if r["status"] == "fail":
                failed_by_severity[r["severity"]] += 1
    return {
        "hosts": len(hosts), "audited": sum(1 for h in hosts if h["status"] == "ok"),
        "unreachable": sum(1 for h in hosts if h["status"] != "ok"),
        "results": {s: status.get(s, 0) for s in ("pass", "fail", "error", "skipped", "waived")},
        "failed_by_severity": {s: failed_by_severity.get(s, 0) for s in ("critical", "high", "medium", "low", "info")},
    }


class RunWriter:
    """Owns one run folder; the only place that writes results (reporters stay pure).

    Each host is encoded to JSON once, for the journal; ``run.json`` is then assembled from the
    journal's lines instead of encoding every host a second time. Facts shared between hosts
    (facts/cache.py) are encoded once per run.
    """

    def __init__(self, out_dir: Path, run_id: str, header: dict[str, Any]):
        self.run_id = run_id
        self.dir = out_dir / run_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.header = header
        self.hosts: list[dict[str, Any]] = []
        self._journal = open(self.dir / "hosts.jsonl", "ab")
        self._offset = self._journal.tell()
        self._lines: list[tuple[str, int, int]] = []  # (target id, offset, length) of each host's line
        self._last_sync = 0.0

    def add_host(self, host: HostResult) -> None:
        doc, line = host_json(host)
        self.hosts.append(doc)
        data = line.encode("utf-8") + b"\n"
        self._journal.write(data)
        self._lines.append((str(doc["target"]["id"]), self._offset, len(data) - 1))
        self._offset += len(data)
        self._journal.flush()  # survives the process being killed
        now = time.monotonic()
        if now - self._last_sync >= 1.0:  # and, at most a second later, the machine losing power
            os.fsync(self._journal.fileno())
            self._last_sync = now

    def finish(self, *, complete: bool, interrupted: bool, unfinished: list[str], warnings: list[str]) -> Path:
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self._journal.close()
        doc = {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            **self.header,
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "complete": complete,
            "interrupted": interrupted,
            "unfinished_targets": unfinished,
            "warnings": warnings,
            "summary": summarise(self.hosts),
        }
        path = self.dir / "run.json"
        tmp = path.with_suffix(".json.tmp")
        # Compact on purpose: json's C encoder is only used without indent. `jq .` pretty-prints it.
        head = json.dumps(doc, separators=(",", ":"), default=str)
        with open(self.dir / "hosts.jsonl", "rb") as journal, open(tmp, "wb") as out:
            out.write(head[:-1].encode("utf-8") + b',"hosts":[')
            for n, (_, offset, length) in enumerate(sorted(self._lines, key=lambda x: x[0])):
                journal.seek(offset)
                out.write((b"," if n else b"") + journal.read(length))
            out.write(b"]}")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        return path


def host_json(host: HostResult) -> tuple[dict[str, Any], str]:
    """The host's document and its JSON text (keys sorted); a shared fact's text is encoded once."""
    doc = host.to_dict()
    rest = json.dumps({k: v for k, v in doc.items() if k != "facts"}, sort_keys=True, default=str)
    facts = ", ".join(f"{json.dumps(name)}: {host.facts[name].to_json()}" for name in doc["facts"])
    return doc, f'{rest[:-1]}, "facts": {{{facts}}}}}'


def run_header(plan: ScanPlan, command: list[str], started: str) -> dict[str, Any]:
    return {
        "tool": {"name": "hardencheck", "version": __version__},
        "started": started,
        "operator": operator_name(),
        "command": command,
        **plan_header(plan),
    }


def load_run(path: Path) -> dict[str, Any]:
    """Load ``run.json`` (a file or a run folder); a folder whose run never finished is read from its journal."""
    if path.is_dir():
        if (path / "run.json").is_file():
            path = path / "run.json"
        elif (path / "hosts.jsonl").is_file():
            hosts = [json.loads(ln) for ln in (path / "hosts.jsonl").read_text().splitlines() if ln.strip()]
            return {"schema_version": SCHEMA_VERSION, "run_id": path.name, "complete": False, "hosts": hosts}
    return json.loads(path.read_text(encoding="utf-8"))


def host_facts(host: dict[str, Any]) -> dict[str, FactRecord]:
    return {name: FactRecord.from_dict(name, raw) for name, raw in (host.get("facts") or {}).items()}
