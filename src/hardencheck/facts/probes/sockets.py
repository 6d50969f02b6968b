"""``sockets``: listening TCP/UDP sockets as the host itself reports them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.sockets import parse_proc_net, parse_ss
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import CommandSpec, FileSpec, ProbeRequest, RawAnswers

PROC = ("/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6")


class ListeningSocketsProbe(Probe):
    name = "sockets"
    description = "Listening sockets (ss -Htuln, or /proc/net where ss is missing)."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=4 * 1024 * 1024) for p in PROC),
                            commands=(CommandSpec("ss", ("ss", "-H", "-t", "-u", "-l", "-n"), timeout=15,
                                                  max_bytes=2 * 1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        return with_tcp_ports(self._parse(raw))

    def _parse(self, raw: RawAnswers) -> ParsedFact:
        if unsupported(raw, "ss"):
            raise FactUnavailable("listening sockets cannot be read from a configuration directory",
                                  not_applicable=True)
        cmd = command_output(raw, "ss")
        if cmd is not None and cmd.exit_code == 0 and not cmd.truncated:
            return parse_ss(cmd.text, cmd.label)
        texts = [raw.text(p) for p in PROC]
        if texts[0] is None:
            why = "ss output was truncated (flood)" if cmd is not None and cmd.truncated else "ss is unavailable"
            raise FactUnavailable(f"{why} and /proc/net/tcp is unreadable")
        fact = parse_proc_net(*(t or "" for t in texts))
        if cmd is not None:
            fact.warnings.append("ss output was unusable (truncated or failed); used /proc/net instead")
        return fact


def with_tcp_ports(fact: ParsedFact) -> ParsedFact:
    """Add ``tcp_ports``: the listening TCP port numbers, which host-vs-network checks compare with nmap's."""
    listeners = fact.data.get("listeners") or []
    fact.data["tcp_ports"] = sorted({item["port"] for item in listeners if item.get("proto") == "tcp"})
    first = next((loc for key, loc in sorted(fact.locations.items()) if key.startswith("listeners/")), None)
    fact.locate("tcp_ports", first.source if first else "listening sockets", None,
                "listening TCP ports: " + (", ".join(map(str, fact.data["tcp_ports"])) or "none"))
    return fact
