"""Network-only targets: ``net:`` specs and inventory hosts with ``transport: network``, ranges capped."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from hardencheck.checks.yamlsource import SourceErrorList
from hardencheck.inventory import load_inventory, network_targets
from hardencheck.inventory.netspec import expand_addresses
from hardencheck.network.options import network_options


@pytest.mark.parametrize("spec,expected", [
    ("127.77.5.0/29", [f"127.77.5.{i}" for i in range(1, 7)]),
    ("127.77.5.1-3", ["127.77.5.1", "127.77.5.2", "127.77.5.3"]),
    ("127.77.5.254-127.77.6.1", ["127.77.5.254", "127.77.5.255", "127.77.6.0", "127.77.6.1"]),
    ("127.77.5.9, 127.77.5.8,127.77.5.9", ["127.77.5.9", "127.77.5.8"]),
    ("127.77.5.7/32", ["127.77.5.7"]),
    ("printer-3.store.test", ["printer-3.store.test"]),
    ("::1", ["::1"]),
])
def test_expand_addresses(spec: str, expected: list[str]) -> None:
    assert expand_addresses(spec) == expected


@pytest.mark.parametrize("spec", ["127.0.0.0/8", "127.77.0.0/23", "127.77.5.1-127.77.9.1", "127.77.5.9-3", ""])
def test_too_large_or_bad_ranges_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        expand_addresses(spec)


def test_the_limit_can_be_raised() -> None:
    assert len(expand_addresses("127.77.0.0/23", max_hosts=600)) == 510
    with pytest.raises(ValueError, match="--net-max-hosts"):
        expand_addresses("127.77.5.1-20", max_hosts=10)


def test_net_spec_makes_network_only_targets() -> None:
    targets = network_targets("net:127.77.5.0/30", asset_class="pin-pad")
    assert [(t.name, t.transport, t.address, t.asset_class) for t in targets] == [
        ("127.77.5.1", "network", "127.77.5.1", "pin-pad"), ("127.77.5.2", "network", "127.77.5.2", "pin-pad")]
    assert targets[0].to_dict()["transport"] == "network"
    with pytest.raises(SourceErrorList, match="net:127.0.0.0/16"):
        network_targets("net:127.0.0.0/16")


def test_inventory_network_hosts_ranges_and_lists(tmp_path: Path) -> None:
    inv = tmp_path / "store.yaml"
    inv.write_text("""
all:
  children:
    pos:
      hosts:
        pos-1: {address: 127.77.0.1, user: root}
    devices:
      vars: {asset_class: pin-pad}
      hosts:
        pinpads: {transport: network, address: 127.77.5.0/30}
        printer-1: {network_only: true, address: 127.77.5.9}
        routers: {transport: network, addresses: [127.77.5.20, 127.77.5.21]}
""")
    targets = {t.name: t for t in load_inventory(inv)}
    assert targets["pos-1"].transport == "ssh"
    assert targets["printer-1"].transport == "network" and targets["printer-1"].address == "127.77.5.9"
    for name in ("127.77.5.1", "127.77.5.2", "127.77.5.20", "127.77.5.21"):
        assert targets[name].transport == "network" and targets[name].asset_class == "pin-pad"
    assert targets["127.77.5.1"].groups == ("devices", "pinpads")
    assert targets["127.77.5.21"].groups == ("devices", "routers")
    assert "pinpads" not in targets


def test_inventory_range_over_the_limit_names_the_host(tmp_path: Path) -> None:
    inv = tmp_path / "store.yaml"
    inv.write_text("all:\n  hosts:\n    everything: {transport: network, address: 127.0.0.0/20}\n")
    with pytest.raises(SourceErrorList, match="everything"):
        load_inventory(inv)
    assert len(load_inventory(inv, max_hosts=5000)) == 4094


def test_ini_inventory_network_host(tmp_path: Path) -> None:
    inv = tmp_path / "hosts.ini"
    inv.write_text("[pinpads]\npad-1 address=127.77.5.3 transport=network\n")
    (t,) = load_inventory(inv)
    assert (t.name, t.transport, t.address) == ("pad-1", "network", "127.77.5.3")


def _args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "network": "auto", "net_scan_type": "auto", "nmap_timing": 4, "nmap_max_rate": None, "nmap_min_rate": None,
        "net_timeout": 300.0, "net_udp": False, "net_batch": 64, "net_parallel": 1, "net_max_hosts": 256,
        "nmap_args": "", "nmap_path": None}
    base.update(kw)
    return argparse.Namespace(**base)


def test_cli_network_options() -> None:
    opts = network_options(_args(network="only", nmap_args="--max-retries 1", net_timeout=30, net_udp=True))
    assert opts.mode == "only" and opts.nmap.extra_args == ("--max-retries", "1")
    assert opts.nmap.host_timeout == 30 and opts.nmap.udp
    with pytest.raises(SourceErrorList, match="-oN"):
        network_options(_args(nmap_args="-oN /tmp/x"))
    with pytest.raises(SourceErrorList, match="at least 1"):
        network_options(_args(net_batch=0))
