"""The nmap XML parser on real recorded output (nmap 7.93 against the test listeners and fleet), and on
broken or hostile input: streamed host by host, raw bytes kept, script output structured, nothing trusted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hardencheck.network.nmap_xml import (
    MAX_ITEMS,
    NmapStream,
    NmapXmlError,
    parse_document,
    parse_host,
    script_data,
)

DATA = Path(__file__).parent / "data" / "nmap"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_recorded_scan_of_listeners_and_fleet() -> None:
    info, hosts, errors = parse_document(load("listeners.xml"))
    assert errors == []
    assert info.version == "7.93" and info.scan_types == ("syn/tcp",)
    assert info.finished and info.exit == "success" and info.elapsed and info.elapsed > 0
    assert "--script ssl-enum-ciphers,ssl-cert,ssh2-enum-algos,ssh-hostkey,http-title" in info.args.replace("-&#45;", "--")
    assert [h.address for h in hosts] == [f"127.77.200.{i}" for i in range(1, 8)] + ["127.78.0.1", "127.78.0.2"]
    assert all(h.state == "up" and not h.timed_out for h in hosts)
    telnet = hosts[0].port(23)
    assert telnet is not None and telnet.state == "open" and telnet.service.name == "telnet"
    assert telnet.service.product == "Linux telnetd" and telnet.service.method == "probed"
    assert hosts[0].port(21) is not None and hosts[0].port(21).state == "closed"  # type: ignore[union-attr]


def test_each_host_keeps_its_exact_bytes_and_hash() -> None:
    raw = load("listeners.xml")
    _, hosts, _ = parse_document(raw)
    for h in hosts:
        assert h.xml.startswith(b"<host ") and h.xml.endswith(b"</host>")
        assert h.xml in raw
        assert h.sha256 == hashlib.sha256(h.xml).hexdigest()
    assert len({h.sha256 for h in hosts}) == len(hosts)


def test_script_output_keeps_its_structure() -> None:
    _, hosts, _ = parse_document(load("listeners.xml"))
    weak_tls = hosts[2].port(443)
    assert weak_tls is not None and weak_tls.service.tunnel == "ssl"
    enum = weak_tls.scripts["ssl-enum-ciphers"].data
    assert set(enum) == {"TLSv1.0", "TLSv1.1", "TLSv1.2", "least strength"}
    assert enum["least strength"] == "F"
    first = enum["TLSv1.0"]["ciphers"][0]
    assert first == {"strength": "F", "kex_info": "rsa 1024", "name": "TLS_RSA_WITH_NULL_MD5"}
    cert = weak_tls.scripts["ssl-cert"].data
    assert cert["pubkey"]["bits"] == "1024" and cert["sig_algo"] == "sha1WithRSAEncryption"
    assert cert["pem"].startswith("-----BEGIN CERTIFICATE-----")
    ssh = hosts[7].port(22)
    assert ssh is not None
    algos = ssh.scripts["ssh2-enum-algos"].data
    assert "3des-cbc" in algos["encryption_algorithms"]
    assert ssh.scripts["ssh-hostkey"].data[0]["bits"] == "1024"


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_streaming_in_any_chunk_size_gives_the_same_hosts(chunk: int) -> None:
    raw = load("listeners.xml")
    stream = NmapStream()
    got = []
    for i in range(0, len(raw), chunk):
        got += [h for h, _ in stream.feed(raw[i:i + chunk])]
    info = stream.close()
    _, whole, _ = parse_document(raw)
    assert [h.sha256 for h in got if h] == [h.sha256 for h in whole]
    assert info.version == "7.93" and info.finished


def test_hosts_arrive_before_the_run_ends() -> None:
    raw = load("listeners.xml")
    cut = raw.index(b"</host>") + len(b"</host>") + 10  # first host complete, second not yet written
    stream = NmapStream()
    first = list(stream.feed(raw[:cut]))
    assert len(first) == 1 and first[0][0] is not None and first[0][0].address == "127.77.200.1"
    info = stream.close()
    assert not info.finished and info.version == "7.93"  # nmap killed mid-run: header known, no runstats


def test_timed_out_host_is_flagged() -> None:
    info, hosts, _ = parse_document(load("timeout.xml"))
    assert info.scan_types == ("connect/tcp",)
    assert len(hosts) == 1 and hosts[0].timed_out and hosts[0].ports == ()


def test_hostile_banner_stays_data() -> None:
    _, hosts, _ = parse_document(load("hostile.xml"))
    port = hosts[0].port(2323)
    assert port is not None
    banner = port.scripts["banner"].output
    assert "<script>alert(1)</script>" in banner and "</host></nmaprun>" in banner
    assert "\x1b" not in banner  # nmap escapes control bytes as \x1B text
    assert hosts[0].port(2323) is port and len(hosts[0].ports) == 1


def test_garbled_host_costs_only_itself() -> None:
    raw = load("listeners.xml")
    second = raw.index(b"<host ", raw.index(b"</host>"))
    broken = raw[:second + 20] + b"<<<not xml" + raw[second + 20:]
    stream = NmapStream()
    results = list(stream.feed(broken))
    good = [h for h, _ in results if h is not None]
    bad = [e for h, e in results if h is None]
    assert len(good) == 8 and len(bad) == 1 and "unparseable host element" in bad[0]


def test_forbidden_control_bytes_are_dropped_not_fatal() -> None:
    chunk = (b'<host><status state="up" reason="user-set"/><address addr="127.0.0.9" addrtype="ipv4"/>'
             b'<ports><port protocol="tcp" portid="23"><state state="open"/>'
             b'<service name="telnet" product="ev\x01il\x1b[31m"/></port></ports></host>')
    host = parse_host(chunk)
    assert host.port(23) is not None and host.port(23).service.product == "evil[31m"  # type: ignore[union-attr]


def test_entities_are_refused() -> None:
    bomb = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><host><address addr="127.0.0.1" addrtype="ipv4"/>'
            b'<hostnames>&a;</hostnames></host>')
    with pytest.raises(NmapXmlError):
        parse_host(bomb)


def test_invalid_port_numbers_and_missing_fields() -> None:
    chunk = (b'<host><address addr="127.0.0.9" addrtype="ipv4"/><ports>'
             b'<port protocol="tcp" portid="99999"><state state="open"/></port>'
             b'<port protocol="tcp" portid="x"><state state="open"/></port>'
             b'<port portid="80"/></ports></host>')
    host = parse_host(chunk)
    assert [p.port for p in host.ports] == [80]
    assert host.ports[0].state == "unknown" and host.ports[0].proto == "tcp" and host.state == "unknown"
    assert len(host.warnings) == 2


def test_structure_is_capped() -> None:
    import xml.etree.ElementTree as ET

    deep = "<script id='x' output='o'>" + "<table>" * 40 + "<elem>v</elem>" + "</table>" * 40 + "</script>"
    assert script_data(ET.fromstring(deep)) is not None  # no recursion blow-up
    wide = "<script id='x'>" + "<elem>v</elem>" * (MAX_ITEMS + 50) + "</script>"
    assert len(script_data(ET.fromstring(wide))) == MAX_ITEMS


def test_not_nmap_output_is_an_error() -> None:
    with pytest.raises(NmapXmlError):
        parse_document(b"<html><body>hello</body></html>")
    with pytest.raises(NmapXmlError):
        parse_host(b"<nmaprun/>")
