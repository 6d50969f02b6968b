"""``net_scan``: the network scan of a host itself, kept in the run as evidence.

Gathered whenever any network fact is: ``address``, ``state`` (nmap's host
state), ``timed_out``, ``scan_type`` (``syn`` or ``connect``), ``udp_scanned``,
``nmap_version``, ``nmap_args``, ``started``/``ended`` (epoch seconds),
``ports_reported`` and ``xml``: the host's ``<host>`` element exactly as nmap
wrote it (before the run's redaction pass), whose sha256 every network fact's
``sources`` carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.model import ParsedFact
from hardencheck.network.nmap_xml import HostScan
from hardencheck.network.probe import NetworkProbe, NmapNeeds, ScanContext, source_of

MAX_XML_KEPT = 2 * 1024 * 1024


class NetScanProbe(NetworkProbe):
    name = "net_scan"
    description = "The nmap scan of the host: state, timing, nmap version and arguments, and its raw XML."

    def needs(self, options: Mapping[str, Any]) -> NmapNeeds:
        return NmapNeeds()

    def parse_scan(self, scan: HostScan, ctx: ScanContext, options: Mapping[str, Any]) -> ParsedFact:
        fact = ParsedFact(warnings=list(ctx.warnings) + list(scan.warnings))
        xml = scan.xml.decode("utf-8", "replace")
        if len(xml) > MAX_XML_KEPT:
            fact.warnings.append(f"the host's XML ({len(xml)} characters) was cut to {MAX_XML_KEPT} in the run")
            xml = xml[:MAX_XML_KEPT]
        fact.data = {
            "address": ctx.address, "state": scan.state, "reason": scan.reason, "timed_out": scan.timed_out,
            "scan_type": ctx.scan_type, "udp_scanned": ctx.udp_scanned, "nmap_version": ctx.nmap_version,
            "nmap_args": ctx.nmap_args, "started": scan.started, "ended": scan.ended,
            "ports_reported": len(scan.ports), "xml": xml,
        }
        fact.locate("state", source_of(ctx.address), None, f"host {scan.state} ({scan.reason})")
        fact.locate("timed_out", source_of(ctx.address), None, f"timedout={str(scan.timed_out).lower()}")
        return fact
