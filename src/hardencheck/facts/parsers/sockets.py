"""Listening sockets from ``ss`` or, when ss is missing, /proc/net.

Both give ``data["listeners"] = [{proto, address, port, process, interface,
wildcard}]``. ``address`` is as ss shows it without brackets or ``%iface``
(``*`` is a dual-stack IPv6 socket listening on every IPv4 and IPv6
address); ``wildcard`` says "reachable on every interface", which is what a
"nothing but sshd on the outside" check needs.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

WILDCARDS = frozenset({"0.0.0.0", "::", "*"})
_STATE_PROTO = {"LISTEN": "tcp", "UNCONN": "udp"}
_PROTOS = frozenset({"tcp", "udp", "sctp", "raw", "dccp", "mptcp"})
_LOCAL = re.compile(r"(?:\[(?P<v6>[^\]]*)\]|(?P<host>[^\s\[\]]*?))(?:%(?P<iface>[^:\s]+))?:(?P<port>\d+|\*)")
_PROCESS = re.compile(r'users:\(\("((?:[^"\\]|\\.)*)"')


def parse_ss(text: str, source: str = "cmd:ss -Htuln") -> ParsedFact:
    """``ss -H -t -u -l -n`` (optionally ``-p``); also accepts output without the Netid column."""
    fact = ParsedFact()
    listeners: list[dict[str, Any]] = []
    for number, line in iter_lines(text, fact, source):
        fields = line.split()
        if not fields:
            continue
        if fields[0] in _PROTOS:
            proto, rest = fields[0], fields[1:]
        elif fields[0] in _STATE_PROTO:
            proto, rest = _STATE_PROTO[fields[0]], fields
        else:
            warn(fact, f"{source}:{number}: not an ss socket line: {show(line)}")
            continue
        local = _LOCAL.fullmatch(rest[3]) if len(rest) >= 5 else None
        if local is None or local.group("port") == "*":
            warn(fact, f"{source}:{number}: no local address:port in {show(line)}")
            continue
        address = local.group("v6") if local.group("v6") is not None else local.group("host")
        process = _PROCESS.search(line)
        fact.locations[f"listeners/{len(listeners)}"] = Location(source, number, excerpt(line))
        listeners.append(
            _listener(
                proto,
                address,
                int(local.group("port")),
                local.group("iface"),
                process.group(1) if process else None,
            )
        )
    fact.data = {"listeners": listeners}
    return fact


def _listener(proto: str, address: str, port: int, iface: str | None, process: str | None) -> dict[str, Any]:
    return {
        "proto": proto,
        "address": address,
        "port": port,
        "process": process,
        "interface": iface,
        "wildcard": address in WILDCARDS,
    }


def parse_proc_net(
    tcp_text: str | None, tcp6_text: str | None, udp_text: str | None, udp6_text: str | None
) -> ParsedFact:
    """Listening sockets from /proc/net/{tcp,tcp6,udp,udp6} (tcp state 0A, udp state 07).

    No process names (that needs /proc/<pid>/fd walking) and no interface
    binding, so ``process`` and ``interface`` are ``None``.
    """
    fact = ParsedFact()
    listeners: list[dict[str, Any]] = []
    tables = (
        ("tcp", "/proc/net/tcp", tcp_text, "0A"),
        ("tcp", "/proc/net/tcp6", tcp6_text, "0A"),
        ("udp", "/proc/net/udp", udp_text, "07"),
        ("udp", "/proc/net/udp6", udp6_text, "07"),
    )
    for proto, source, text, state in tables:
        for number, line in iter_lines(text, fact, source):
            fields = line.split()
            if not fields or fields[0] == "sl":
                continue
            if len(fields) < 4 or ":" not in fields[1]:
                warn(fact, f"{source}:{number}: not a socket line: {show(line)}")
                continue
            if fields[3].upper() != state:
                continue
            decoded = _decode(fields[1])
            if decoded is None:
                warn(fact, f"{source}:{number}: undecodable address {show(fields[1])}")
                continue
            fact.locations[f"listeners/{len(listeners)}"] = Location(source, number, excerpt(line))
            listeners.append(_listener(proto, decoded[0], decoded[1], None, None))
    fact.data = {"listeners": listeners}
    return fact


def _decode(field: str) -> tuple[str, int] | None:
    """``0100007F:0016`` -> ``("127.0.0.1", 22)``: each 32-bit word is host-endian (little on x86/arm)."""
    hex_address, _, hex_port = field.partition(":")
    if (
        len(hex_address) not in (8, 32)
        or not re.fullmatch(r"[0-9A-Fa-f]+", hex_address + hex_port)
        or len(hex_port) > 4
    ):
        return None
    raw = b"".join(bytes.fromhex(hex_address[i : i + 8])[::-1] for i in range(0, len(hex_address), 8))
    address = ipaddress.ip_address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}", int(hex_port, 16)
    return str(address), int(hex_port, 16)
