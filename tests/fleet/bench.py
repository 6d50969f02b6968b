"""Time and memory of starting fleets of several sizes: ``python tests/fleet/bench.py``.

Each size runs twice: once with a fresh key cache (key generation included) and once with
the cache warm, which is what every run after the first sees. Hosts cycle through the
weak / hardened / misbehaving images. Memory is the drop in MemAvailable per host while the
fleet runs (sshd, its namespace and the host's tmpfs), sampled after it is up.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fleet import Fleet

IMAGES = ("weak", "hardened", "misbehaving")


def mem_available_kib() -> int:
    """MemAvailable from /proc/meminfo, in KiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def measure(size: int, base: str, key_cache: Path) -> tuple[float, float, float]:
    """Start ``size`` hosts; returns (start seconds, MiB per host, stop seconds)."""
    specs = [(f"bench-{i}", IMAGES[i % len(IMAGES)]) for i in range(size)]
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as workdir:
        fleet = Fleet(Path(workdir), key_cache=key_cache, base=base)
        before = mem_available_kib()
        started = time.monotonic()
        try:
            fleet.start(specs)
            start_s = time.monotonic() - started
            time.sleep(1)
            per_host_mib = (before - mem_available_kib()) / size / 1024
        finally:
            stopping = time.monotonic()
            fleet.stop()
            stop_s = time.monotonic() - stopping
    return start_s, per_host_mib, stop_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--base", default="127.99")
    args = parser.parse_args()
    cold_cache = Path(tempfile.mkdtemp(prefix="fleet-bench-keys-"))
    try:
        print(f"{'hosts':>5} {'keys':>5} {'start s':>8} {'MiB/host':>9} {'stop s':>7}")
        for size in args.sizes:
            shutil.rmtree(cold_cache)
            for label in ("cold", "warm"):
                start_s, mib, stop_s = measure(size, args.base, cold_cache)
                print(f"{size:>5} {label:>5} {start_s:>8.2f} {mib:>9.1f} {stop_s:>7.2f}",
                      flush=True)
    finally:
        shutil.rmtree(cold_cache, ignore_errors=True)


if __name__ == "__main__":
    main()
