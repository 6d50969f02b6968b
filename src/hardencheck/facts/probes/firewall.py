"""``firewall``: the host firewall each frontend (nftables, iptables-persistent, ufw) loads at boot."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import warn
from hardencheck.facts.parsers.firewall import parse_iptables_save, parse_nftables, parse_ufw
from hardencheck.facts.probes._scope import nothing_configured
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

NFT_MAIN = ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf")
NFT_INCLUDES = ("/etc/nftables.d/*.nft", "/etc/nftables.d/*.conf", "/etc/nftables/*.nft")
IPTABLES = {"ipv4": ("/etc/iptables/rules.v4", "/etc/sysconfig/iptables"),
            "ipv6": ("/etc/iptables/rules.v6", "/etc/sysconfig/ip6tables")}
UFW = ("/etc/ufw/ufw.conf", "/etc/default/ufw")
UNITS = {"nftables": ("nftables.service",), "iptables": ("netfilter-persistent.service", "iptables.service"),
         "ufw": ("ufw.service",)}
TARGETS = ("sysinit.target", "multi-user.target", "basic.target", "network-pre.target")


def _unit_links() -> list[str]:
    return [f"/etc/systemd/system/{t}.wants/{u}" for units in UNITS.values() for u in units for t in TARGETS]


class FirewallProbe(Probe):
    name = "firewall"
    description = "Default input policy configured in nftables.conf, iptables-persistent rules or ufw."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        paths = [*NFT_MAIN, *NFT_INCLUDES, *IPTABLES["ipv4"], *IPTABLES["ipv6"], *UFW, *_unit_links()]
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=1024 * 1024) for p in paths))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        fact = ParsedFact()
        frontends: list[dict[str, Any]] = []
        nft = self._nft_files(raw, fact)
        if nft:
            frontends.append(parse_nftables(nft, fact))
        ipt = [(v, p, t) for v, paths in IPTABLES.items() for p in paths if (t := _text(raw, p)) is not None]
        if ipt:
            merged: dict[str, Any] = {"name": "iptables", "input_policy": {"ipv4": None, "ipv6": None},
                      "where": {"ipv4": None, "ipv6": None}, "input_chains": 0}
            for version, path, text in ipt:
                part = parse_iptables_save(path, text, "ip" if version == "ipv4" else "ip6", fact)
                merged["input_policy"][version] = merged["input_policy"][version] or part["input_policy"][version]
                merged["where"][version] = merged["where"][version] or part["where"][version]
                merged["input_chains"] += part["input_chains"]
            frontends.append(merged)
        ufw = [(p, t) for p in UFW if (t := _text(raw, p)) is not None]
        if ufw:
            conf = next(((p, t) for p, t in ufw if p == UFW[0]), None)
            default = next(((p, t) for p, t in ufw if p == UFW[1]), None)
            frontends.append(parse_ufw(conf, default, fact))
        if not frontends:
            nothing_configured(raw, "firewall configuration (nftables, iptables-persistent, ufw)")
            fact.data = {"frontends": [], "default_deny": False}
            fact.locations["frontends"] = Location(NFT_MAIN[0], None, "(no firewall configuration found)")
            return fact
        for index, front in enumerate(frontends):
            links = [p for u in UNITS[front["name"]] for t in TARGETS
                     if (f := raw.file(p := f"/etc/systemd/system/{t}.wants/{u}")) is not None and f.status == "ok"]
            front["enabled"] = bool(links) and front.pop("ufw_enabled", True)
            front["enabled_by"] = links[0] if links else None
            front.pop("ufw_enabled_where", None)
            policy = front.pop("input_policy")
            front["input_policy_ipv4"], front["input_policy_ipv6"] = policy["ipv4"], policy["ipv6"]
            front["default_deny"] = all(policy[v] == "drop" for v in ("ipv4", "ipv6"))
            for version, loc in front.pop("where").items():
                if loc is not None:
                    fact.locations[f"frontends/{index}/input_policy_{version}"] = loc
            first = next((loc for k, loc in fact.locations.items() if k.startswith(f"frontends/{index}/")), None)
            if first is not None:
                fact.locations[f"frontends/{index}"] = first
        if "frontends/0" in fact.locations:
            fact.locations["frontends"] = fact.locations["frontends/0"]
        fact.data = {"frontends": frontends,
                     "default_deny": any(f["enabled"] and f["default_deny"] for f in frontends)}
        return fact

    @staticmethod
    def _nft_files(raw: RawAnswers, fact: ParsedFact) -> list[tuple[str, str]]:
        main = next(((p, t) for p in NFT_MAIN if (t := _text(raw, p)) is not None), None)
        if main is None:
            return []
        files = [main]
        for pattern in re.findall(r'^\s*include\s+"([^"]+)"', main[1], re.MULTILINE):
            if "*" in posixpath.basename(pattern):
                matched = [p for inc in NFT_INCLUDES if posixpath.dirname(inc) == posixpath.dirname(pattern)
                           for p in raw.glob(inc)]
                files += [(p, raw.text(p) or "") for p in sorted(set(matched))]
            elif (t := _text(raw, pattern)) is not None:
                files.append((pattern, t))
            else:
                warn(fact, f"{main[0]}: include {pattern!r} was not collected")
        return files


def _text(raw: RawAnswers, path: str) -> str | None:
    f = raw.file(path)
    if f is not None and f.status == "unreadable":
        raise FactUnavailable(f"{path} is unreadable (run as root or with --sudo)")
    return raw.text(path)
