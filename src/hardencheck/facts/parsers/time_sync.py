"""Time synchronisation: which NTP client is configured with which servers.

PCI DSS 10.6 wants every system to take its time from designated time
servers. The three usual clients are read from their files: chrony
(``server``/``pool``/``peer`` in chrony.conf, its ``confdir`` drop-ins and
``sourcedir`` ``.sources`` files), ntpd/ntpsec (``server``/``pool``) and
systemd-timesyncd (``NTP=`` in ``[Time]``; ``FallbackNTP=`` — or the
compiled-in fallback when nothing is set — is a public pool nobody chose,
so it is listed apart and not counted as configured).
"""

from __future__ import annotations

from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines

_SERVER_WORDS = ("server", "pool", "peer")


def parse_ntp_style(files: list[tuple[str, str]], fact: ParsedFact) -> list[dict[str, Any]]:
    """``server``/``pool``/``peer`` lines (chrony and ntpd share this form)."""
    servers = []
    for path, text in files:
        for number, line in iter_lines(text, fact, path):
            words = line.split("#", 1)[0].split("!", 1)[0].split()
            if len(words) >= 2 and words[0].lower() in _SERVER_WORDS:
                servers.append({"host": words[1], "kind": words[0].lower(), "source": path, "line": number,
                                "excerpt": excerpt(line)})
    return servers


def parse_timesyncd(files: list[tuple[str, str]], fact: ParsedFact) -> tuple[list[dict[str, Any]],
                                                                              list[dict[str, Any]]]:
    """``(servers, fallback)``: the last ``NTP=``/``FallbackNTP=`` assignment wins, an empty one resets."""
    chosen: dict[str, tuple[str, int, str, str] | None] = {"NTP": None, "FallbackNTP": None}
    for path, text in files:
        section = None
        for number, line in iter_lines(text, fact, path):
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            if stripped.startswith("[") and stripped.endswith("]"):
                section = stripped[1:-1]
                continue
            key, sep, value = stripped.partition("=")
            if section == "Time" and sep and key.strip() in chosen:
                chosen[key.strip()] = (path, number, line, value.strip())
    out: list[list[dict[str, Any]]] = []
    for key in ("NTP", "FallbackNTP"):
        found = chosen[key]
        out.append([] if found is None else [{"host": host, "kind": key, "source": found[0], "line": found[1],
                                              "excerpt": excerpt(found[2])} for host in found[3].split()])
    return out[0], out[1]


def record(fact: ParsedFact, prefix: str, servers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Move each server's excerpt into a location under ``prefix`` and return the plain entries."""
    plain = []
    for index, server in enumerate(servers):
        fact.locations[f"{prefix}/{index}"] = Location(server["source"], server["line"], server["excerpt"])
        plain.append({k: v for k, v in server.items() if k != "excerpt"})
    return plain
