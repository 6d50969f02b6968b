"""Fleet throughput benchmark (not a test): hardencheck vs the bare paramiko floor, side by side.

Starts N real sshd fleet hosts (half `weak`, half `hardened`), then, each in a fresh
subprocess so peak RSS is its own:
  * hardencheck: a full scan of the N hosts with each profile given (collect, parse, evaluate,
    journal every host result): by default config-files (what a scheduled configuration audit
    reads: config files and one sshd -T) and config-audit (that plus the forensic probes, which
    start programs of their own on the target);
  * floor: a bare paramiko loop that only connects, authenticates and runs one `true` per host,
    with the same concurrency, the same TCP_NODELAY socket and known_hosts parsed once.
Prints hosts/s, mean and p95 per-host latency, SSH channels per host, peak RSS, and CPU per host
spent by the auditor process and by the rest of the machine (the fleet's targets).

    python benchmarks/bench_fleet.py --sizes 10 50 100 --parallel 8 --profile config-files config-audit
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else 0.0


class CpuMeter:
    """CPU seconds spent from now on: by this process (the auditor), and by everything else on the
    machine (the fleet: sshd and what runs under it), from /proc/stat. The benchmark machine is
    otherwise idle, so "the rest" is the targets' cost, which real targets pay on their own CPUs."""

    def __init__(self) -> None:
        self.own0, self.busy0 = self._own(), self._busy()

    @staticmethod
    def _own() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    @staticmethod
    def _busy() -> float:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait

    def read(self) -> dict[str, float]:
        own = self._own() - self.own0
        return {"auditor_cpu": own, "rest_cpu": max(0.0, self._busy() - self.busy0 - own)}


def worker_hardencheck(addresses: list[str], known_hosts: str, key: str, parallel: int, profile: str) -> dict:
    from hardencheck.commands.config import load_plan
    from hardencheck.engine import ScanOptions, run_scan
    from hardencheck.inventory import parse_target_spec
    from hardencheck.network.session import NetworkOptions
    from hardencheck.results.document import RunWriter, new_run_id, run_header
    from hardencheck.transport.ssh import SshOptions

    args = argparse.Namespace(profile=profile, checks=[], checks_dir=[], profiles_dir=[REPO / "benchmarks" / "profiles"],
                              waivers=None, advisories=None)
    plan = load_plan(args)
    # Host checks only: the network view has its own benchmark (bench_network.py) against plain nmap.
    options = ScanOptions(parallel=parallel, ssh=SshOptions(known_hosts=(Path(known_hosts),),
                                                            identity_files=(Path(key),), allow_agent=False,
                                                            look_for_keys=False, ssh_config=None),
                          network=NetworkOptions(mode="off"))
    out = Path(tempfile.mkdtemp(prefix="hc-bench-"))
    writer = RunWriter(out, new_run_id(), run_header(plan, ["bench"], ""))
    targets = [parse_target_spec(f"root@{a}") for a in addresses]
    meter = CpuMeter()
    started = time.monotonic()
    outcome = run_scan(targets, plan, options, writer)
    writer.finish(complete=True, interrupted=False, unfinished=[], warnings=[])
    elapsed = time.monotonic() - started
    hosts = outcome.finished
    return {
        **meter.read(), "cache_hits": options.fact_cache.hits, "cache_misses": options.fact_cache.misses,
        "elapsed": elapsed, "hosts": len(hosts), "ok": sum(h.status == "ok" for h in hosts),
        "latencies": [h.duration for h in hosts],
        "checks": sum(1 for r in hosts[0].results if r.status.value != "skipped") if hosts else 0,
        "channels": [h.connection.get("channels_opened", 0) for h in hosts],
        "errors": sorted({h.error for h in hosts if h.status != "ok"})[:3],
    }


def worker_floor(addresses: list[str], known_hosts: str, key: str, parallel: int, profile: str) -> dict:
    import socket
    from concurrent.futures import ThreadPoolExecutor

    import paramiko

    # known_hosts parsed once, as hardencheck's transport does: parsing it per connection would put
    # a cost that grows with N into the floor and flatter the comparison.
    known = paramiko.HostKeys(known_hosts)

    def one(address: str) -> float:
        t0 = time.monotonic()
        client = paramiko.SSHClient()
        client.get_host_keys()._entries.extend(known._entries)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        sock = socket.create_connection((address, 22), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.connect(address, username="root", key_filename=key, sock=sock, allow_agent=False,
                       look_for_keys=False, timeout=10)
        _, stdout, _ = client.exec_command("true")
        stdout.channel.recv_exit_status()
        client.close()
        return time.monotonic() - t0

    meter = CpuMeter()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        latencies = list(pool.map(one, addresses))
    return {**meter.read(), "elapsed": time.monotonic() - started, "hosts": len(latencies), "ok": len(latencies),
            "latencies": latencies, "channels": [1] * len(latencies), "checks": 0, "errors": []}


def run_worker(kind: str, addresses: list[str], known_hosts: Path, key: Path, parallel: int, profile: str) -> dict:
    """Each measurement in its own process: its peak RSS is then its own (ru_maxrss of that child)."""
    payload = json.dumps({"kind": kind, "addresses": addresses, "known_hosts": str(known_hosts), "key": str(key),
                          "parallel": parallel, "profile": profile})
    proc = subprocess.run([sys.executable, __file__, "--worker"], input=payload, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")}, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _worker_main() -> None:
    req = json.loads(sys.stdin.read())
    fn = worker_hardencheck if req["kind"] == "hardencheck" else worker_floor
    result = fn(req["addresses"], req["known_hosts"], req["key"], req["parallel"], req["profile"])
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--profile", nargs="+", default=["config-files", "config-audit"],
                    help="profiles to time, each beside the same floor (benchmarks/profiles/ or built-in)")
    ap.add_argument("--base", default="127.88", help="fleet address base (127.0.0.0/8 only)")
    args = ap.parse_args()
    from fleet import Fleet

    header = (f"{'run':<25} {'N':>4} {'ok':>4} {'checks':>6} {'hosts/s':>8} {'mean ms':>8} {'p95 ms':>8} "
              f"{'chan/host':>9} {'peak RSS MB':>11} {'auditor CPU ms/host':>19} {'target CPU ms/host':>18}")
    print(f"{args.parallel} workers, {os.cpu_count()} cores\n{header}", flush=True)
    fleet = Fleet(Path(tempfile.mkdtemp(prefix="hc-bench-fleet-")), base=args.base)
    try:
        for n in args.sizes:
            have = len(fleet.hosts)
            if have < n:
                fleet.start([(f"bench-{i}", "weak" if i % 2 else "hardened") for i in range(have, n)])
            addresses = [h.address for h in fleet.hosts[:n]]
            floor = _measure("floor", "floor", n, addresses, fleet, args.parallel, "")
            for profile in args.profile:
                hc = _measure("hardencheck", f"hardencheck {profile}", n, addresses, fleet, args.parallel, profile)
                print(f"N={n} {profile}: hardencheck / floor throughput = "
                      f"{hc['hosts_per_s'] / floor['hosts_per_s']:.2f} (target >= 0.8); auditor CPU per host = "
                      f"{hc['auditor_ms'] / floor['auditor_ms']:.2f} x the floor's", flush=True)
    finally:
        try:
            fleet.stop()
        except Exception as exc:  # noqa: BLE001 - the figures above are already printed
            print(f"fleet stop: {exc}", file=sys.stderr)


def _measure(kind: str, label: str, n: int, addresses: list[str], fleet: Any, parallel: int,
             profile: str) -> dict[str, Any]:
    """One worker run, printed as a row."""
    r = run_worker(kind, addresses, fleet.known_hosts, fleet.client_key, parallel, profile)
    lat = r["latencies"]
    row = {"hosts_per_s": r["hosts"] / r["elapsed"], "ok": r["ok"], "mean_ms": 1000 * sum(lat) / len(lat),
           "p95_ms": 1000 * _p95(lat), "channels_per_host": sum(r["channels"]) / len(r["channels"]),
           "peak_rss_mb": r["peak_rss_mb"], "checks": r["checks"],
           "auditor_ms": 1000 * r["auditor_cpu"] / r["hosts"], "rest_ms": 1000 * r["rest_cpu"] / r["hosts"]}
    print(f"{label:<25} {n:>4} {row['ok']:>4} {row['checks']:>6} {row['hosts_per_s']:>8.1f} "
          f"{row['mean_ms']:>8.0f} {row['p95_ms']:>8.0f} {row['channels_per_host']:>9.1f} "
          f"{row['peak_rss_mb']:>11.0f} {row['auditor_ms']:>19.0f} {row['rest_ms']:>18.0f}", flush=True)
    if "cache_hits" in r:
        print(f"{'':<25} facts parsed {r['cache_misses']}, shared {r['cache_hits']} "
              f"(hosts alternate the weak and hardened images)", flush=True)
    if r["errors"]:
        print(f"{'':<25} errors: {r['errors']}", flush=True)
    return row


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker_main()
    else:
        main()
