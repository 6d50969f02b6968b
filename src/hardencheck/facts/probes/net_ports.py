"""``net_ports``: open ports as seen from the network, with service and version detection.

``data``: ``address``, ``scanned`` (the nmap port specs), ``ports`` (open and
open|filtered only: ``{port, proto, state, reason, service, product, version,
extrainfo, tunnel, method, plain_http, http, banner}``), ``open_tcp`` and
``open_udp`` (port numbers, for allowlists and host-vs-network reconciliation).
``plain_http`` is an HTTP service without TLS; ``http`` holds what http-title saw
(``title``, ``redirect_url``, ``redirects_to_https``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean, excerpt
from hardencheck.network.nmap_xml import HostScan, Port
from hardencheck.network.probe import NetworkProbe, NmapNeeds, ScanContext, port_set, port_spec, source_of

#: Ports worth knowing about in a store: remote admin, file transfer, databases, printers, VNC.
DEFAULT_TCP_PORTS = (
    "21-23,25,53,80,110,111,135,139,143,389,443,445,465,512-515,548,587,631,636,873,990,993,995,1080,1433,"
    "1521,1883,2049,2323,3306,3389,5000,5432,5800,5900-5903,5985,5986,6379,8000,8008,8080,8081,8443,8888,"
    "9000,9100,9200,10000,11211,27017"
)
DEFAULT_UDP_PORTS = (69, 161)
OPEN_STATES = ("open", "open|filtered")
_HTTP_NAMES = ("http", "http-alt", "http-proxy", "http-mgmt", "upnp")


def _plain_http(port: Port) -> bool:
    svc = port.service
    return port.proto == "tcp" and svc.tunnel != "ssl" and (svc.name in _HTTP_NAMES or "http-title" in port.scripts)


def _http(port: Port) -> dict[str, Any] | None:
    script = port.scripts.get("http-title")
    if script is None:
        return None
    data = script.data if isinstance(script.data, dict) else {}
    redirect = data.get("redirect_url")
    if redirect is None and script.output.startswith("Did not follow redirect to "):
        redirect = script.output[len("Did not follow redirect to "):].strip()
    redirect = clean(str(redirect))[:1024] if redirect else None
    title = data.get("title")
    return {"title": clean(str(title))[:512] if title is not None else None, "redirect_url": redirect,
            "redirects_to_https": bool(redirect and redirect.lower().startswith("https://"))}


class NetPortsProbe(NetworkProbe):
    name = "net_ports"
    description = "Open TCP (and, where allowed, UDP) ports from the network, with nmap service/version detection."

    def needs(self, options: Mapping[str, Any]) -> NmapNeeds:
        tcp = port_set(options.get("tcp_ports", DEFAULT_TCP_PORTS), "net_ports.tcp_ports")
        tcp |= port_set(options.get("extra_tcp_ports"), "net_ports.extra_tcp_ports")
        udp = port_set(options.get("udp_ports", DEFAULT_UDP_PORTS), "net_ports.udp_ports")
        scripts = set()
        if options.get("http_title", True):
            scripts.add("http-title")
        if options.get("banner", False):
            scripts.add("banner")
        return NmapNeeds(tcp_ports=tcp, udp_ports=udp, scripts=frozenset(scripts),
                         version_detection=bool(options.get("version_detection", True)))

    def parse_scan(self, scan: HostScan, ctx: ScanContext, options: Mapping[str, Any]) -> ParsedFact:
        if scan.timed_out:
            raise FactUnavailable("nmap gave up on this host (per-host network timeout); its port list is incomplete")
        if scan.state != "up":
            raise FactUnavailable(f"the host did not answer nmap (state {scan.state or 'unknown'})")
        needs = self.needs(options)
        fact = ParsedFact(warnings=list(ctx.warnings) + list(scan.warnings))
        ports: list[dict[str, Any]] = []
        for port in scan.ports:
            if port.state not in OPEN_STATES:
                continue
            svc = port.service
            banner = port.scripts.get("banner")
            item = {
                "port": port.port, "proto": port.proto, "state": port.state, "reason": port.reason,
                "service": svc.name, "product": svc.product, "version": svc.version, "extrainfo": svc.extrainfo,
                "tunnel": svc.tunnel, "method": svc.method, "plain_http": _plain_http(port), "http": _http(port),
                "banner": clean(banner.output)[:1024] if banner is not None else None,
            }
            where = f"ports/{len(ports)}"
            fact.locate(where, source_of(ctx.address, port), None,
                        excerpt(f"{port.label} {port.state} {svc.tunnel + '/' if svc.tunnel else ''}{svc.name} "
                                f"{svc.product} {svc.version} {svc.extrainfo}"))
            if item["http"] is not None:
                fact.locate(f"{where}/http", source_of(ctx.address, port, "http-title"), None,
                            excerpt(port.scripts["http-title"].output))
            ports.append(item)
        fact.data = {
            "address": ctx.address,
            "scanned": {"tcp": port_spec(needs.tcp_ports), "udp": port_spec(needs.udp_ports) if ctx.udp_scanned else ""},
            "ports": ports,
            "open_tcp": sorted({p["port"] for p in ports if p["proto"] == "tcp" and p["state"] == "open"}),
            "open_udp": sorted({p["port"] for p in ports if p["proto"] == "udp"}),
        }
        summary = ", ".join(f"{p['port']}/{p['proto']} {p['service']}" for p in ports) or "no open port"
        fact.locate("ports", source_of(ctx.address), None, excerpt(summary))
        fact.locate("open_tcp", source_of(ctx.address), None, excerpt(summary))
        fact.locate("open_udp", source_of(ctx.address), None, excerpt(summary))
        return fact
