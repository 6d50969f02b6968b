"""Listening sockets from real ``ss -Htuln[p]`` and /proc/net output recorded on Debian 12.

The recording host had a test process listening on ``[::]:8022`` (dual stack),
``[::]:8025`` (v6only), ``127.0.0.1:8023``, ``0.0.0.0:8024`` bound to ``lo``,
``[::1]:631``, udp ``0.0.0.0:5353``, udp ``127.0.0.53:53`` bound to ``lo`` and
udp ``[::1]:5354``, next to the host's own tcp ``0.0.0.0:2024``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from hardencheck.facts.parsers.sockets import parse_proc_net, parse_ss

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def keyed(fact) -> dict[tuple[str, int], dict]:
    return {(item["proto"], item["port"]): item for item in fact.data["listeners"]}


def test_real_ss_tuln() -> None:
    fact = parse_ss(read("ss_tuln.txt"))
    listeners = keyed(fact)
    assert len(listeners) == 9 and fact.warnings == []
    assert listeners[("udp", 53)] == {
        "proto": "udp",
        "address": "127.0.0.53",
        "port": 53,
        "process": None,
        "interface": "lo",
        "wildcard": False,
    }
    assert listeners[("tcp", 8024)]["address"] == "0.0.0.0" and listeners[("tcp", 8024)]["interface"] == "lo"
    assert listeners[("tcp", 8022)]["address"] == "*" and listeners[("tcp", 8022)]["wildcard"] is True
    assert listeners[("tcp", 8025)]["address"] == "::"
    assert listeners[("tcp", 631)]["address"] == "::1" and listeners[("tcp", 631)]["wildcard"] is False
    assert listeners[("udp", 5354)]["address"] == "::1"
    assert listeners[("tcp", 2024)]["wildcard"] is True
    assert fact.locations["listeners/0"].excerpt.startswith("udp UNCONN")


def test_real_ss_with_processes() -> None:
    listeners = keyed(parse_ss(read("ss_tulnp.txt")))
    assert listeners[("tcp", 8022)]["process"] == "python3"
    assert listeners[("tcp", 2024)]["process"] is None


def test_real_proc_net_agrees_with_ss() -> None:
    fact = parse_proc_net(
        read("proc_net_tcp.txt"),
        read("proc_net_tcp6.txt"),
        read("proc_net_udp.txt"),
        read("proc_net_udp6.txt"),
    )
    assert fact.warnings == []
    assert set(keyed(fact)) == set(keyed(parse_ss(read("ss_tuln.txt"))))
    listeners = keyed(fact)
    assert listeners[("udp", 53)]["address"] == "127.0.0.53"
    assert listeners[("tcp", 8023)]["address"] == "127.0.0.1"
    assert listeners[("tcp", 631)]["address"] == "::1"
    assert listeners[("tcp", 8022)]["address"] == "::" and listeners[("tcp", 8022)]["wildcard"] is True
    assert fact.locations["listeners/0"].source == "/proc/net/tcp"


def test_proc_net_skips_established_and_maps_v4_in_v6() -> None:
    tcp6 = (
        "  sl  local_address                         remote_address                        st\n"
        "   0: 0000000000000000FFFF00000100007F:0016 00000000000000000000000000000000:0000 0A 0\n"
        "   1: 00000000000000000000000001000000:0016 00000000000000000000000001000000:D431 01 0\n"
        "   2: ZZZZ:0016 0:0 0A\n"
    )
    fact = parse_proc_net(None, tcp6, None, None)
    assert fact.data["listeners"] == [
        {
            "proto": "tcp",
            "address": "::ffff:127.0.0.1",
            "port": 22,
            "process": None,
            "interface": None,
            "wildcard": False,
        }
    ]
    assert len(fact.warnings) == 1


def test_ss_without_netid_column_and_odd_names() -> None:
    text = (
        'LISTEN 0      4096   127.0.0.53%lo:53 0.0.0.0:*    users:(("systemd-resolve",pid=512,fd=14))\n'
        "LISTEN 0      128        [fe80::1%eth0]:22 [::]:*\n"
        'LISTEN 0 5 [::ffff:10.0.0.5]:443 [::]:* users:(("<script>",pid=1,fd=3),("nginx",pid=2,fd=3))\n'
        "LISTEN 0      128        [fe80::2]%eth1:2222 [::]:*\n"
        "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
    )
    fact = parse_ss(text)
    listeners = fact.data["listeners"]
    assert (
        listeners[0]["proto"] == "tcp"
        and listeners[0]["process"] == "systemd-resolve"
        and listeners[0]["interface"] == "lo"
    )
    assert listeners[1]["address"] == "fe80::1%eth0" and listeners[1]["port"] == 22
    assert listeners[2]["address"] == "::ffff:10.0.0.5" and listeners[2]["process"] == "<script>"
    assert (listeners[3]["address"], listeners[3]["interface"], listeners[3]["port"]) == (
        "fe80::2",
        "eth1",
        2222,
    )
    assert len(listeners) == 4 and len(fact.warnings) == 1


def test_hostile_socket_text_never_raises() -> None:
    rng = random.Random(9)
    noise = "".join(chr(rng.randrange(0, 0x600)) for _ in range(20000))
    json.dumps(parse_ss(noise + "\ntcp LISTEN 0 1 \x1b[31m:1 x\n").data)
    json.dumps(parse_proc_net(noise, noise, "\x00" * 100, "0: " + "F" * 40 + ":FFFFF 0 0A").data)
