"""Host firewall configuration: the default input policy per IP version, and whether it loads at boot."""

from __future__ import annotations

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.firewall import parse_iptables_save, parse_nftables, parse_ufw
from hardencheck.facts.probes.firewall import FirewallProbe

DEBIAN_DEFAULT = """\
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
\tchain input {
\t\ttype filter hook input priority filter;
\t}
\tchain forward {
\t\ttype filter hook forward priority filter;
\t}
}
"""
DROP = """\
table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    iif "lo" accept  # loopback
    ct state established,related accept
    tcp dport 22 accept
  }
}
"""


def nft(*texts: str) -> dict:
    return parse_nftables([(f"/etc/nft{i}.conf", t) for i, t in enumerate(texts)], ParsedFact())


def test_debian_default_accepts_everything() -> None:
    assert nft(DEBIAN_DEFAULT)["input_policy"] == {"ipv4": "accept", "ipv6": "accept"}


def test_inet_drop_covers_both_versions_with_the_policy_line_as_evidence() -> None:
    summary = nft(DROP)
    assert summary["input_policy"] == {"ipv4": "drop", "ipv6": "drop"}
    assert summary["where"]["ipv4"].line == 3


@pytest.mark.parametrize(("text", "policy"), [
    ("table ip filter {\n chain input { type filter hook input priority 0; policy drop; }\n}\n",
     {"ipv4": "drop", "ipv6": None}),
    ("table ip6 f {\n chain in {\n  type filter hook input priority 0\n  policy drop\n }\n}\n",
     {"ipv4": None, "ipv6": "drop"}),
    ("add chain inet filter input { type filter hook input priority 0 ; policy drop ; }\n",
     {"ipv4": "drop", "ipv6": "drop"}),
    ("table inet f {\n chain input {\n  type filter hook input priority 0; policy drop;\n  counter accept\n }\n}\n",
     {"ipv4": "accept", "ipv6": "accept"}),
    ("table inet f {\n chain c {\n  type nat hook input priority 100; policy drop;\n }\n}\n",
     {"ipv4": None, "ipv6": None}),
    ("table inet f {\n chain input {\n  type filter hook input priority 0; policy reject;\n }\n}\n",
     {"ipv4": "drop", "ipv6": "drop"}),
])
def test_nftables_variants(text: str, policy: dict) -> None:
    assert nft(text)["input_policy"] == policy


def test_one_dropping_base_chain_is_enough_even_beside_an_accepting_one() -> None:
    accepting = "table ip a {\n chain input { type filter hook input priority 0; }\n}\n"
    assert nft(accepting, DROP)["input_policy"] == {"ipv4": "drop", "ipv6": "drop"}


def test_iptables_save_policy_and_unconditional_accept() -> None:
    drop = "*nat\n:INPUT ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n"
    assert parse_iptables_save("/etc/iptables/rules.v4", drop, "ip", ParsedFact())["input_policy"]["ipv4"] == "drop"
    opened = drop.replace("-A INPUT -i lo -j ACCEPT", "-A INPUT -j ACCEPT")
    summary = parse_iptables_save("/etc/iptables/rules.v4", opened, "ip", ParsedFact())
    assert summary["input_policy"]["ipv4"] == "accept" and summary["where"]["ipv4"].line == 6


def test_ufw_policy_and_enabled_flag() -> None:
    summary = parse_ufw(("/etc/ufw/ufw.conf", "ENABLED=yes\n"),
                        ("/etc/default/ufw", 'IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\n'), ParsedFact())
    assert summary["input_policy"] == {"ipv4": "drop", "ipv6": "drop"} and summary["ufw_enabled"] is True
    summary = parse_ufw(("/etc/ufw/ufw.conf", "ENABLED=no\n"), None, ParsedFact())
    assert summary["ufw_enabled"] is False


def test_probe_follows_includes_and_needs_the_unit_enabled() -> None:
    files = {"/etc/nftables.conf": 'flush ruleset\ninclude "/etc/nftables.d/*.nft"\n',
             "/etc/nftables.d/10-filter.nft": DROP}
    fact = parse(FirewallProbe(), files)
    (front,) = fact.data["frontends"]
    assert (front["name"], front["input_policy_ipv4"], front["enabled"]) == ("nftables", "drop", False)
    assert fact.data["default_deny"] is False
    files["/etc/systemd/system/sysinit.target.wants/nftables.service"] = "[Service]\n"
    fact = parse(FirewallProbe(), files)
    assert fact.data["default_deny"] is True
    assert fact.locations["frontends/0/input_policy_ipv6"].source == "/etc/nftables.d/10-filter.nft"


def test_probe_without_any_firewall() -> None:
    assert parse(FirewallProbe(), {}).data == {"frontends": [], "default_deny": False}
    with pytest.raises(FactUnavailable) as exc:
        parse(FirewallProbe(), {}, host=False)
    assert exc.value.not_applicable


def test_garbage_never_raises() -> None:
    nft("}}}{{{ table chain policy drop ;;; \x00\x1b")
    parse_iptables_save("/x", ":INPUT\n*filter\n:INPUT\n", "ip", ParsedFact())
