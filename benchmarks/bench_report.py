"""Report rendering benchmark (not a test): a synthetic fleet of N hosts × M checks, with a comparison.

Builds a run and a comparison document in memory (the shapes of schemas/run.schema.json and
schemas/comparison.schema.json, realistic evidence, some hostile values), then times each
reporter's ``render`` on the run alone and on the run with its comparison. The HTML report must
render 1,000 hosts × 100 checks in under 5 s on the project's 2-core machine; the exit status judges
the CPU time the render used (on a shared machine the wall time also counts other processes, so
both are printed, with the load average).

    python benchmarks/bench_report.py                      # 1000 hosts × 100 checks, every format
    python benchmarks/bench_report.py --hosts 200 --formats html md --write /tmp/bench
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hardencheck.reporters import get_reporter, reporter_names
from hardencheck.results.model import finding_fingerprint

SEVERITIES = ["critical", "high", "medium", "low", "info"]
PCI_IDS = ["1.2.1", "2.2.1", "2.2.6", "5.2", "6.3.3", "7.2.1", "8.2.1", "8.2.2", "8.3.1", "8.3.4", "8.3.6",
           "8.3.9", "10.2.1", "10.6.1", "11.5.2"]
CHANGE_FOR = {("pass", "pass"): "unchanged_pass", ("fail", "pass"): "fixed", ("pass", "fail"): "regressed",
              ("fail", "fail"): "still_failing"}


def _checks(n: int, rng: random.Random) -> list[dict[str, Any]]:
    return [{"id": f"check-{i:03d}", "title": f"Synthetic control {i}: configuration value is hardened",
             "severity": SEVERITIES[i % 5],
             "compliance": {"pci-dss-4.0": sorted(rng.sample(PCI_IDS, 2)), "cis-debian-12": [f"5.{i % 9}.{i % 7}"]},
             "remediation": f"Set `Option{i} secure` in /etc/app/{i}.conf,\nreload the service and verify with "
                            f"`app --check {i}`."} for i in range(n)]


def _result(c: dict[str, Any], host: str, status: str, i: int) -> dict[str, Any]:
    hostile = "<script>alert(1)</script>\x1b[31m=cmd|' /C calc'!A0" if i % 997 == 0 else ""
    return {
        "check_id": c["id"], "title": c["title"], "severity": c["severity"], "status": status,
        "reason": "" if status in ("pass", "fail") else f"{status}: fact unavailable on this host",
        "observed": f"value-{i % 13}{hostile}" if status != "error" else None, "expected": "equals 'secure'",
        "evidence": [{"fact": "file", "path": f"files//etc/app/{c['id']}.conf", "source": f"/etc/app/{c['id']}.conf",
                      "line": 3 + i % 40, "excerpt": f"Option{i % 100} value-{i % 13}{hostile}",
                      "sha256": hashlib.sha256(f"{host}{c['id']}".encode()).hexdigest()}],
        "remediation": c["remediation"], "compliance": c["compliance"], "tags": ["synthetic"], "waiver": None,
        "fingerprint": finding_fingerprint(c["id"], host),
    }


def synthetic(hosts: int, checks: int, seed: int = 7) -> tuple[dict[str, Any], dict[str, Any]]:
    rng = random.Random(seed)
    catalogue = _checks(checks, rng)
    host_docs, transitions = [], []
    i = 0
    for h in range(hosts):
        hid = f"pos-{h // 10:03d}-{h % 10:02d}"
        down = h % 97 == 0
        results = []
        for c in catalogue:
            i += 1
            status = "error" if down else rng.choices(["pass", "fail", "skipped", "error", "waived"],
                                                      [70, 20, 6, 2, 2])[0]
            r = _result(c, hid, status, i)
            results.append(r)
            before = rng.choice(["pass", "fail"]) if status in ("pass", "fail") else "pass"
            change = CHANGE_FOR.get((before, status), status if status in ("error", "waived", "skipped") else "error")
            transitions.append({
                "host": hid, "check_id": c["id"], "title": c["title"], "severity": c["severity"],
                "before_status": before, "after_status": status, "change": change, "before_observed": "value-0",
                "after_observed": r["observed"], "before_reason": "", "after_reason": r["reason"],
                "evidence": r["evidence"], "remediation": c["remediation"], "compliance": c["compliance"],
                "fingerprint": r["fingerprint"], "baseline_lacks_fact": False, "waiver": None})
        counts = {s: sum(1 for r in results if r["status"] == s) for s in ("pass", "fail", "error", "skipped", "waived")}
        host_docs.append({
            "target": {"id": hid, "transport": "ssh", "address": f"10.{h // 250}.{h % 250}.11", "port": 22,
                       "user": "root", "asset_class": "pos-terminal", "groups": [f"store-{h // 10:03d}", "pos"]},
            "status": "error" if down else "ok", "error": "connection refused" if down else "",
            "connection": {"transport": "ssh", "host_key_fingerprint": "SHA256:abc", "host_key_type": "ssh-ed25519",
                           "host_key_trust": "known_hosts", "privilege": "root", "channels_opened": 1},
            "started": "2026-11-20T09:00:00.000Z", "finished": "2026-11-20T09:00:02.000Z", "duration": 2.0,
            "problems": [], "counts": counts, "facts": {}, "results": results})
    sha = hashlib.sha256(b"bench").hexdigest()
    run = {"schema_version": "1.0", "run_id": "20261120T090000Z-bench0", "tool": {"name": "hardencheck", "version": "0"},
           "started": "2026-11-20T09:00:00.000Z", "finished": "2026-11-20T09:40:00Z", "operator": "bench@local",
           "command": ["hardencheck", "scan"], "complete": True, "interrupted": False, "unfinished_targets": [],
           "warnings": [], "waivers": [],
           "profile": {"name": "pci-pos", "chain": ["pci-pos"], "sha256": sha, "parameters": {}},
           "checks": {"count": checks, "sha256": sha, "ids": {c["id"]: sha[:16] for c in catalogue}},
           "summary": {}, "hosts": host_docs}
    plan = [{"item": n, "title": c["title"], "severity": c["severity"], "remediation": c["remediation"],
             "hosts": [h["target"]["id"] for h in host_docs[: 50 + n]], "checks": [c["id"]],
             "requirements": {"pci-dss-4.0": c["compliance"]["pci-dss-4.0"]}} for n, c in enumerate(catalogue, 1)]
    kinds = ["fixed", "regressed", "still_failing", "new_failing", "new_passing", "removed", "error",
             "unchanged_pass", "waived", "skipped"]
    comparison = {
        "schema_version": "1.0", "kind": "comparison", "generated": "2026-11-20T09:41:00Z",
        "before": {"run_id": "20261113T090000Z-bench1", "started": "2026-11-13T09:00:00.000Z", "profile": "pci-pos",
                   "checks_sha256": sha, "complete": True},
        "after": {"run_id": run["run_id"], "started": run["started"], "profile": "pci-pos", "checks_sha256": sha,
                  "complete": True},
        "evaluated_with": {"profile": "pci-pos", "checks_sha256": sha, "checks": checks},
        "hosts_added": [], "hosts_removed": [], "transitions": transitions,
        "counts": {k: sum(1 for t in transitions if t["change"] == k) for k in kinds},
        "drift": {host_docs[h]["target"]["id"]: {"listeners": {
            "added": [{"address": "0.0.0.0", "port": 4444, "process": "nc"}], "removed": [], "changed": [],
            "highlights": ["new listener on 0.0.0.0:4444"]}} for h in range(0, hosts, 50)},
        "waivers": {"expired_between": [], "covering_regressions": []},
        "score": {"weights": {}, "fleet": {"before": 71.2, "after": 78.9},
                  "hosts": {h["target"]["id"]: {"before": 70.0, "after": 80.0} for h in host_docs}},
        "plan": plan,
    }
    return run, comparison


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--checks", type=int, default=100)
    ap.add_argument("--formats", nargs="+", default=reporter_names(), choices=reporter_names())
    ap.add_argument("--write", type=Path, help="also write each output to this folder")
    ap.add_argument("--limit", type=float, default=5.0, help="seconds the HTML render may take [%(default)s]")
    args = ap.parse_args()
    t0 = time.perf_counter()
    run, comparison = synthetic(args.hosts, args.checks)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times include other processes)")
    print(f"synthetic run: {args.hosts} hosts × {args.checks} checks = {args.hosts * args.checks} results "
          f"(built in {time.perf_counter() - t0:.2f} s)")
    slow = False
    for name in args.formats:
        reporter = get_reporter(name)
        for label, comp in (("run", None), ("run+comparison", comparison)):
            t, cpu = time.perf_counter(), time.process_time()
            out = reporter.render(run, comp)
            elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
            size = len(out.encode() if isinstance(out, str) else out)
            print(f"{name:<6} {label:<15} {elapsed:6.2f} s wall {cpu:6.2f} s cpu  {size / 1e6:8.1f} MB")
            if name == "html" and cpu > args.limit:  # wall time on a shared machine includes others' work
                slow = True
            if args.write:
                args.write.mkdir(parents=True, exist_ok=True)
                suffix = "-comparison" if comp else ""
                (args.write / f"{name}{suffix}.out").write_bytes(out.encode() if isinstance(out, str) else out)
    if slow:
        print(f"HTML render used more than the {args.limit:g} s budget of CPU time", file=sys.stderr)
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
