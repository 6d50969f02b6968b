"""Network-scan benchmark (not a test): hardencheck's network view vs plain nmap, same ports and scripts.

Starts N real sshd fleet hosts (half `weak`, half `hardened`; with --tls every other host also gets
a TLS listener on 443, weak and sound alternating), then measures, each R times (median reported):
  * nmap: plain `nmap -Pn -n -sS -sV -p PORTS --script SCRIPTS -T4 --host-timeout 300s HOSTS -oX FILE`,
    the command a person would type for the same ports and scripts;
  * nmap (hardencheck's argv): the exact nmap command hardencheck runs, on its own;
  * hardencheck CLI: `hardencheck scan net:HOSTS --checks 'net-*' --network only` end to end
    (Python start-up, check loading, nmap, XML parsing, evaluation, run.json; --no-store);
  * hardencheck in-process: run_scan() alone, as the engine does inside a larger run.
Ports and scripts are those the default network checks (checks/network) select. Overhead is
(hardencheck - nmap) / nmap. Traffic goes to 127.0.0.0/8 only.

    python benchmarks/bench_network.py --sizes 10 50 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


def plan_and_argv(addresses: list[str]) -> tuple[list[str], list[str]]:
    """hardencheck's own nmap argv for these hosts, and the plain nmap command with the same ports/scripts."""
    from hardencheck.commands.config import load_plan
    from hardencheck.network.probe import port_spec
    from hardencheck.network.runner import NmapConfig, build_argv, locate_nmap
    from hardencheck.network.session import NetworkOptions, NetworkSession

    args = argparse.Namespace(profile="linux-baseline", checks=["net-*"], checks_dir=[], profiles_dir=[],
                              waivers=None, advisories=None)
    plan = load_plan(args)
    needs = NetworkSession(plan.probes, NetworkOptions()).needs
    binary, _ = locate_nmap(None)
    ours, _ = build_argv(binary, NmapConfig(), needs, addresses)
    plain = [binary, "-Pn", "-n", "-sS", "-sV", "-p", port_spec(needs.tcp_ports), "--script",
             ",".join(sorted(needs.scripts)), "-T4", "--host-timeout", "300s", *addresses]
    return ours, plain


def time_nmap(argv: list[str], out: Path | None) -> float:
    t0 = time.monotonic()
    subprocess.run([*argv, "-oX", str(out)] if out else argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=1800)
    return time.monotonic() - t0


def time_cli(addresses: list[str], out: Path) -> tuple[float, dict]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hardencheck", "scan", *(f"net:{a}" for a in addresses),
                           "--checks", "net-*", "--network", "only", "--output", str(out), "-q", "--fail-on", "none",
                           "--no-store"],
                          capture_output=True, text=True, env=ENV, timeout=1800, check=False)
    elapsed = time.monotonic() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"hardencheck failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    doc = json.loads(Path(proc.stdout.strip().splitlines()[-1]).read_text())
    return elapsed, doc


def time_in_process(addresses: list[str]) -> float:
    """run_scan() in a fresh interpreter (plan loaded before the clock starts)."""
    code = f"""
import argparse, json, sys, time
from hardencheck.commands.config import load_plan
from hardencheck.engine import ScanOptions, run_scan
from hardencheck.inventory import network_targets
class Sink:
    def add_host(self, host): pass
plan = load_plan(argparse.Namespace(profile="linux-baseline", checks=["net-*"], checks_dir=[], profiles_dir=[],
                                    waivers=None, advisories=None))
targets = [t for a in {addresses!r} for t in network_targets("net:" + a)]
t0 = time.monotonic()
outcome = run_scan(targets, plan, ScanOptions(), Sink())
print(json.dumps({{"elapsed": time.monotonic() - t0, "ok": sum(h.status == "ok" for h in outcome.finished)}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=1800,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"in-process run failed:\n{proc.stderr[-3000:]}")
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["elapsed"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tls", action="store_true", help="add a TLS listener on 443 to every other host")
    ap.add_argument("--base", default="127.240", help="fleet address base (127.0.0.0/8 only)")
    args = ap.parse_args()
    from fleet import Fleet
    from netfleet import listeners as L

    work = Path(tempfile.mkdtemp(prefix="hc-bench-net-"))
    rows = []
    with Fleet(work / "fleet", base=args.base) as fleet, L.Listeners() as ls:
        for n in args.sizes:
            have = len(fleet.hosts)
            if have < n:
                new = fleet.start([(f"net-{i}", "weak" if i % 2 else "hardened") for i in range(have, n)])
                if args.tls:
                    for i, h in enumerate(new, have):
                        if i % 2 == 0:
                            ls.add(L.tls(h.address, 443, "weak" if i % 4 == 0 else "strong", work / "certs"))
            addresses = [h.address for h in fleet.hosts[:n]]
            ours, plain = plan_and_argv(addresses)
            times: dict[str, list[float]] = {"nmap": [], "nmap_ours": [], "cli": [], "run_scan": []}
            findings = ok = 0
            for r in range(args.repeat):
                times["nmap"].append(time_nmap(plain, work / f"plain-{n}-{r}.xml"))
                times["nmap_ours"].append(time_nmap(ours, None))
                elapsed, doc = time_cli(addresses, work / f"runs-{n}-{r}")
                times["cli"].append(elapsed)
                findings = doc["summary"]["results"]["fail"]
                ok = doc["summary"]["audited"]
                times["run_scan"].append(time_in_process(addresses))
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append({"n": n, "ok": ok, "fail": findings, **med,
                         "spread": {k: (min(v), max(v)) for k, v in times.items()}})
            print(f"N={n}: hardencheck argv: {' '.join(ours[:-n])} <{n} hosts>", file=sys.stderr)
    print(f"{'hosts':>5} {'plain nmap s':>12} {'nmap, our argv s':>16} {'run_scan s':>10} {'overhead':>8} "
          f"{'CLI s':>7} {'overhead':>8} {'audited':>7} {'fails':>5}")
    for r in rows:
        print(f"{r['n']:>5} {r['nmap']:>12.2f} {r['nmap_ours']:>16.2f} {r['run_scan']:>10.2f} "
              f"{100 * (r['run_scan'] / r['nmap'] - 1):>7.1f}% {r['cli']:>7.2f} {100 * (r['cli'] / r['nmap'] - 1):>7.1f}% "
              f"{r['ok']:>7} {r['fail']:>5}")
    for r in rows:
        spread = ", ".join(f"{k} {lo:.2f}-{hi:.2f}" for k, (lo, hi) in r["spread"].items())
        print(f"N={r['n']} min-max over {args.repeat} runs: {spread}")


if __name__ == "__main__":
    main()
