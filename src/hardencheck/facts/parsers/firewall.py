"""Host firewall configuration loaded at boot: is inbound traffic denied unless allowed?

PCI DSS 1.3.1/1.3.2 want everything not explicitly needed denied. On a
Linux host that is the policy of the ``input`` hook: nftables base chains
(``type filter hook input ... policy drop``; an ``inet`` table covers IPv4
and IPv6, ``ip``/``ip6`` one each), iptables-save files (``:INPUT DROP``),
or ufw (``DEFAULT_INPUT_POLICY``). A drop policy undone by an unconditional
``accept`` rule (``accept``, ``counter accept``, ``-A INPUT -j ACCEPT``) is
reported as accept. This reads what is *configured to load*; the ruleset
live in the kernel can differ (an intruder can flush it).
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, warn

DENY = frozenset({"drop", "reject"})
_FAMILIES = {"inet": ("ipv4", "ipv6"), "ip": ("ipv4",), "ip6": ("ipv6",)}
_UNCONDITIONAL_ACCEPT = re.compile(r"^(counter(\s+packets\s+\d+\s+bytes\s+\d+)?\s+)?accept$")


def parse_nftables(files: list[tuple[str, str]], fact: ParsedFact) -> dict[str, Any]:
    """Input-hook chains of every table in the files (concatenated in include order)."""
    chains: list[dict[str, Any]] = []
    for path, text in files:
        _nft_file(path, text, chains, fact)
    return _summary(chains, fact, "nftables")


def _nft_file(path: str, text: str, chains: list[dict[str, Any]], fact: ParsedFact) -> None:
    stack: list[tuple[str, dict[str, Any] | None]] = []
    chain: dict[str, Any] | None
    for number, line in iter_lines(text, fact, path):
        body = line.split("#", 1)[0]
        for statement in re.split(r"(\{|\}|;)", body):
            token = statement.strip()
            if not token or token == ";":
                continue
            if token == "}":
                if stack:
                    stack.pop()
                continue
            if token == "{":
                continue
            words = token.split()
            if words[0] in ("table", "add", "create") and "table" in words[:2] and not _in_chain(stack):
                rest = words[words.index("table") + 1:]
                family = rest[0] if rest and rest[0] in ("inet", "ip", "ip6", "arp", "bridge", "netdev") else "ip"
                if body.rstrip().endswith("{") or "{" in body:
                    stack.append(("table", {"family": family}))
                continue
            if words[0] in ("chain", "add", "create") and "chain" in words[:2]:
                family = _current_family(stack, words)
                chain = {"family": family, "hook": None, "type": None, "policy": "accept", "policy_where": None,
                         "unconditional_accept": None, "where": Location(path, number, excerpt(line))}
                chains.append(chain)
                stack.append(("chain", chain))
                continue
            chain = _in_chain(stack)
            if chain is None:
                continue
            match = re.match(r"^type\s+(\w+)\s+hook\s+(\w+)", token)
            if match:
                chain["type"], chain["hook"] = match.group(1), match.group(2)
                continue
            match = re.match(r"^policy\s+(\w+)$", token)
            if match:
                chain["policy"] = match.group(1).lower()
                chain["policy_where"] = Location(path, number, excerpt(line))
                continue
            if _UNCONDITIONAL_ACCEPT.match(token) and chain["unconditional_accept"] is None:
                chain["unconditional_accept"] = Location(path, number, excerpt(line))
    if stack:
        warn(fact, f"{path}: unbalanced braces")


def _in_chain(stack: list[tuple[str, dict[str, Any] | None]]) -> dict[str, Any] | None:
    for kind, item in reversed(stack):
        if kind == "chain":
            return item
    return None


def _current_family(stack: list[tuple[str, dict[str, Any] | None]], words: list[str]) -> str:
    if words[0] in ("add", "create") and len(words) > 2 and words[2] in _FAMILIES:
        return words[2]
    for kind, item in reversed(stack):
        if kind == "table" and item is not None:
            return str(item["family"])
    return "ip"


def parse_iptables_save(path: str, text: str, family: str, fact: ParsedFact) -> dict[str, Any]:
    """An iptables-save file (rules.v4 / rules.v6 / sysconfig): the filter table's INPUT policy."""
    chains: list[dict[str, Any]] = []
    table = None
    chain: dict[str, Any] | None = None
    for number, line in iter_lines(text, fact, path):
        stripped = line.strip()
        if stripped.startswith("*"):
            table = stripped[1:]
            continue
        if table != "filter":
            continue
        match = re.match(r"^:INPUT\s+(\w+)", stripped)
        if match:
            chain = {"family": family, "hook": "input", "type": "filter", "policy": match.group(1).lower(),
                     "policy_where": Location(path, number, excerpt(line)), "unconditional_accept": None,
                     "where": Location(path, number, excerpt(line))}
            chains.append(chain)
            continue
        if chain is not None and re.fullmatch(r"-A INPUT\s+-j\s+ACCEPT", stripped) and \
                chain["unconditional_accept"] is None:
            chain["unconditional_accept"] = Location(path, number, excerpt(line))
    return _summary(chains, fact, "iptables")


def parse_ufw(conf: tuple[str, str] | None, default: tuple[str, str] | None, fact: ParsedFact) -> dict[str, Any]:
    """ufw.conf ``ENABLED`` and /etc/default/ufw ``DEFAULT_INPUT_POLICY``/``IPV6``."""
    values: dict[str, tuple[str, Location]] = {}
    for item in (conf, default):
        if item is None:
            continue
        path, text = item
        for number, line in iter_lines(text, fact, path):
            match = re.match(r"^\s*([A-Z_0-9]+)\s*=\s*\"?([^\"#]*)\"?", line)
            if match:
                values[match.group(1)] = (match.group(2).strip(), Location(path, number, excerpt(line)))
    policy = values.get("DEFAULT_INPUT_POLICY", ("DROP", Location(default[0] if default else "", None,
                                                                  "(default DROP)")))
    enabled = values.get("ENABLED", ("no", Location(conf[0] if conf else "", None, "(not set)")))
    ipv6 = values.get("IPV6", ("yes", policy[1]))[0].lower() == "yes"
    chain = {"family": "inet" if ipv6 else "ip", "hook": "input", "type": "filter",
             "policy": policy[0].lower(), "policy_where": policy[1], "unconditional_accept": None,
             "where": policy[1]}
    summary = _summary([chain], fact, "ufw")
    summary["ufw_enabled"] = enabled[0].lower() == "yes"
    summary["ufw_enabled_where"] = enabled[1]
    return summary


def _summary(chains: list[dict[str, Any]], fact: ParsedFact, name: str) -> dict[str, Any]:
    """Per IP version: ``drop`` when some input chain covering it denies by default, else ``accept``/None."""
    policy: dict[str, str | None] = {"ipv4": None, "ipv6": None}
    where: dict[str, Location | None] = {"ipv4": None, "ipv6": None}
    for chain in chains:
        if chain["hook"] != "input" or chain["type"] not in ("filter", None):
            continue
        effective = chain["policy"]
        if effective in DENY and chain["unconditional_accept"] is not None:
            effective = "accept"
        for version in _FAMILIES.get(chain["family"], ()):
            if effective in DENY:
                policy[version] = "drop"
                where[version] = chain["unconditional_accept"] or chain["policy_where"] or chain["where"]
            elif policy[version] is None:
                policy[version] = "accept"
                where[version] = chain["unconditional_accept"] or chain["policy_where"] or chain["where"]
    return {"name": name, "input_policy": policy, "where": where,
            "input_chains": sum(1 for c in chains if c["hook"] == "input")}
