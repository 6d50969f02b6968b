"""Network probes: facts gathered from outside the host, by one nmap run, not over SSH.

A network probe is a :class:`~hardencheck.facts.base.Probe` (so checks name its
fact like any other, and the plan selects it the same way) that asks nothing of
the host. Instead it declares what nmap must do for it (:meth:`NetworkProbe.needs`:
ports, NSE scripts, version detection) and parses its fact from one host's
scan (:meth:`NetworkProbe.parse_scan`). The network session merges the needs of
every selected network probe into a single nmap invocation per batch of hosts
and parses its XML once.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.raw import ProbeRequest, RawAnswers
from hardencheck.network.nmap_xml import HostScan, Port


@dataclass(frozen=True)
class NmapNeeds:
    """What one probe needs nmap to do; the union over probes is what nmap is asked."""

    tcp_ports: frozenset[int] = frozenset()
    udp_ports: frozenset[int] = frozenset()
    scripts: frozenset[str] = frozenset()
    script_args: tuple[tuple[str, str], ...] = ()
    version_detection: bool = False

    def merge(self, other: NmapNeeds) -> NmapNeeds:
        return NmapNeeds(self.tcp_ports | other.tcp_ports, self.udp_ports | other.udp_ports,
                         self.scripts | other.scripts, tuple(dict.fromkeys(self.script_args + other.script_args)),
                         self.version_detection or other.version_detection)


@dataclass(frozen=True)
class ScanContext:
    """What a network probe knows besides the XML: who was scanned, and how."""

    address: str
    scan_type: str  # "syn" or "connect"
    udp_scanned: bool
    now_epoch: float
    nmap_version: str = ""
    nmap_args: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)


class NetworkProbe(Probe):
    """Base class of probes whose fact comes from nmap (see the module docstring)."""

    #: Marks the probe for the engine: never part of the host's collector script.
    network = True

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest()

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        raise FactUnavailable(f"{self.name} is gathered from the network by nmap, not on the host",
                              not_applicable=True)

    @abstractmethod
    def needs(self, options: Mapping[str, Any]) -> NmapNeeds:
        """Ports, scripts and detection this probe needs, given its (check/profile) options."""

    @abstractmethod
    def parse_scan(self, scan: HostScan, ctx: ScanContext, options: Mapping[str, Any]) -> ParsedFact:
        """This probe's fact from one host's scan; raise FactUnavailable if it cannot be known."""


def is_network_probe(probe: Probe) -> bool:
    return bool(getattr(probe, "network", False))


_RANGE = re.compile(r"^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$")


def port_set(values: Iterable[Any] | Any, what: str = "ports") -> frozenset[int]:
    """Ports from options: ints, ``"8000-8010"`` ranges, or a comma-separated string of either."""
    if values is None:
        return frozenset()
    if isinstance(values, str | int):
        values = [values]
    out: set[int] = set()
    for v in values:
        for part in (str(v).split(",") if isinstance(v, str) else [v]):
            if isinstance(part, bool):
                raise ValueError(f"{what}: {part!r} is not a port")  # noqa: TRY004 - a config error, reported as such
            if isinstance(part, int):
                lo = hi = part
            else:
                m = _RANGE.match(part)
                if m:
                    lo, hi = int(m.group(1)), int(m.group(2))
                elif part.strip().isdigit():
                    lo = hi = int(part)
                else:
                    raise ValueError(f"{what}: {part!r} is not a port or a range")
            if not 1 <= lo <= hi <= 65535:
                raise ValueError(f"{what}: {part!r} is outside 1-65535")
            out.update(range(lo, hi + 1))
    return frozenset(out)


def port_spec(ports: Iterable[int]) -> str:
    """``[21, 22, 23, 80]`` -> ``"21-23,80"`` (nmap's -p syntax, compact)."""
    ordered = sorted(set(ports))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def source_of(address: str, port: Port | None = None, script: str | None = None) -> str:
    """How evidence names a piece of a scan: ``nmap:HOST:PORT/tcp script ssl-enum-ciphers``."""
    where = f"nmap:{address}"
    if port is not None:
        where += f":{port.port}/{port.proto}"
    if script:
        where += f" script {script}"
    return where
