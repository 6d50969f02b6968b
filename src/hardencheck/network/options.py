"""The network scan's command-line options, and the frozen :class:`NetworkOptions` they become."""

from __future__ import annotations

import argparse

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.network.runner import SCAN_TYPES, NmapConfig, check_extra_args
from hardencheck.network.session import NETWORK_MODES, NetworkOptions


def add_network_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("network scan (nmap)",
                             "Network checks (checks/network) scan each target with nmap while its SSH collection "
                             "runs; ports and NSE scripts come from the selected checks.")
    g.add_argument("--network", choices=NETWORK_MODES, default="auto",
                   help="auto: scan when selected checks need network facts; off: never (network checks are "
                        "skipped); only: network facts only, no SSH on any target [%(default)s]")
    g.add_argument("--net-scan-type", choices=SCAN_TYPES, default="auto",
                   help="syn (-sS, needs root), connect (-sT), or auto: syn when root [%(default)s]")
    g.add_argument("--nmap-timing", type=int, choices=range(6), default=4, metavar="0-5",
                   help="nmap timing template -T0..-T5 [%(default)s]")
    g.add_argument("--nmap-max-rate", type=float, metavar="PPS", help="nmap --max-rate (packets per second)")
    g.add_argument("--nmap-min-rate", type=float, metavar="PPS", help="nmap --min-rate (packets per second)")
    g.add_argument("--net-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="per-host limit for the network scan (nmap --host-timeout) [%(default)s]")
    g.add_argument("--net-udp", action="store_true",
                   help="allow UDP scanning (SNMP, TFTP; needs root and is slow)")
    g.add_argument("--net-batch", type=int, default=64, metavar="N",
                   help="hosts per nmap invocation [%(default)s]")
    g.add_argument("--net-parallel", type=int, default=1, metavar="N",
                   help="nmap invocations at once [%(default)s]")
    g.add_argument("--net-max-hosts", type=int, default=256, metavar="N",
                   help="refuse net: specs and inventory ranges naming more addresses than this [%(default)s]")
    g.add_argument("--nmap-args", default="", metavar="ARGS",
                   help="extra nmap arguments, e.g. --nmap-args='--max-retries 1' (output and target options are refused)")
    g.add_argument("--nmap", dest="nmap_path", metavar="PATH", help="the nmap binary [found on PATH]")


def network_options(args: argparse.Namespace) -> NetworkOptions:
    """Arguments -> options; a bad --nmap-args is a configuration error (exit 2) before any scan."""
    try:
        extra = check_extra_args(getattr(args, "nmap_args", "") or "")
    except ValueError as exc:
        raise SourceErrorList([SourceError("--nmap-args", None, "", str(exc))]) from None
    for name in ("net_batch", "net_parallel", "net_max_hosts"):
        if getattr(args, name, 1) < 1:
            raise SourceErrorList([SourceError("--" + name.replace("_", "-"), None, "", "must be at least 1")])
    return NetworkOptions(
        mode=getattr(args, "network", "auto"),
        nmap=NmapConfig(scan_type=getattr(args, "net_scan_type", "auto"), timing=getattr(args, "nmap_timing", 4),
                        max_rate=getattr(args, "nmap_max_rate", None), min_rate=getattr(args, "nmap_min_rate", None),
                        host_timeout=getattr(args, "net_timeout", 300.0), udp=getattr(args, "net_udp", False),
                        extra_args=extra, nmap_path=getattr(args, "nmap_path", None)),
        batch_size=getattr(args, "net_batch", 64), parallel=getattr(args, "net_parallel", 1),
    )
