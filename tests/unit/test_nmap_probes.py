"""Network probes and network checks on recorded nmap output: facts, locations, and verdicts per host.

The verdicts are data (data/nmap/expected.yaml): one parametrised test walks every recorded host and
every network check that reads network facts only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hardencheck.checks.evaluate import TargetContext, evaluate_check
from hardencheck.checks.loader import builtin_dir, load_checks
from hardencheck.facts.base import FactUnavailable, load_probes
from hardencheck.facts.model import FactRecord
from hardencheck.facts.probes.net_ports import DEFAULT_TCP_PORTS, NetPortsProbe
from hardencheck.facts.probes.net_scan import NetScanProbe
from hardencheck.facts.probes.net_ssh import NetSshProbe
from hardencheck.facts.probes.net_tls import NetTlsProbe
from hardencheck.network.nmap_xml import HostScan, parse_document
from hardencheck.network.probe import NmapNeeds, ScanContext, port_set, port_spec

DATA = Path(__file__).parent / "data" / "nmap"
PROBES = {"net_ports": NetPortsProbe(), "net_tls": NetTlsProbe(), "net_ssh": NetSshProbe(), "net_scan": NetScanProbe()}
NETWORK_FACTS = set(PROBES)


def _hosts(name: str = "listeners.xml") -> dict[str, HostScan]:
    _, hosts, _ = parse_document((DATA / name).read_bytes())
    return {h.address: h for h in hosts}


HOSTS = _hosts()
EXPECTED: dict[str, dict[str, list[str]]] = yaml.safe_load((DATA / "expected.yaml").read_text())


def ctx(scan: HostScan, **kw: Any) -> ScanContext:
    """Judge certificates at the time of the recorded scan, so the verdicts never drift."""
    return ScanContext(address=scan.address, scan_type="syn", udp_scanned=False, now_epoch=float(scan.ended or 0),
                       nmap_version="7.93", nmap_args="nmap -oX - ...", **kw)


def facts_of(scan: HostScan) -> dict[str, FactRecord]:
    out = {}
    for name, probe in PROBES.items():
        out[name] = FactRecord(name, "ok", fact=probe.parse_scan(scan, ctx(scan), {}))
    return out


def test_ports_fact() -> None:
    fact = NetPortsProbe().parse_scan(HOSTS["127.77.200.1"], ctx(HOSTS["127.77.200.1"]), {})
    assert fact.data["open_tcp"] == [23]
    (port,) = fact.data["ports"]
    assert port["service"] == "telnet" and port["product"] == "Linux telnetd" and port["plain_http"] is False
    assert fact.locations["ports/0"].source == "nmap:127.77.200.1:23/tcp"
    assert fact.locations["ports/0"].excerpt.startswith("23/tcp open telnet Linux telnetd")
    http = NetPortsProbe().parse_scan(HOSTS["127.77.200.6"], ctx(HOSTS["127.77.200.6"]), {}).data["ports"][0]
    assert http["plain_http"] and http["http"] == {"title": "Store router admin login", "redirect_url": None,
                                                   "redirects_to_https": False}
    redirect = NetPortsProbe().parse_scan(HOSTS["127.77.200.7"], ctx(HOSTS["127.77.200.7"]), {}).data["ports"][0]
    assert redirect["http"]["redirects_to_https"] and redirect["http"]["redirect_url"] == "https://127.77.200.7/"
    tls = NetPortsProbe().parse_scan(HOSTS["127.77.200.4"], ctx(HOSTS["127.77.200.4"]), {}).data["ports"][0]
    assert tls["tunnel"] == "ssl" and tls["plain_http"] is False


def test_tls_fact_weak_and_strong() -> None:
    weak = NetTlsProbe().parse_scan(HOSTS["127.77.200.3"], ctx(HOSTS["127.77.200.3"]), {})
    (svc,) = weak.data["services"]
    assert svc["port"] == 443 and svc["protocols"] == ["TLSv1.0", "TLSv1.1", "TLSv1.2"]
    assert svc["least_strength"] == "F" and svc["enumerated"]
    assert {c["name"] for c in svc["ciphers"]} >= {"TLS_RSA_WITH_NULL_MD5", "TLS_RSA_WITH_NULL_SHA"}
    cert = svc["certificate"]
    assert (cert["key_type"], cert["key_bits"], cert["signature_hash"]) == ("rsa", 1024, "sha1")
    assert cert["signature_algorithm"] == "sha1WithRSAEncryption" and cert["self_signed"]
    assert cert["expired"] is False and 0 <= cert["days_left"] <= 10
    assert cert["subject_cn"] == "weak.store.test" and "127.77.200.3" in cert["sans"]
    assert weak.locations["services/0/ciphers/0"].source == "nmap:127.77.200.3:443/tcp script ssl-enum-ciphers"
    assert weak.locations["services/0/ciphers/0"].excerpt == "TLSv1.0: TLS_RSA_WITH_NULL_MD5 (rsa 1024) - F"
    assert weak.locations["services/0/certificate"].source.endswith("script ssl-cert")
    strong = NetTlsProbe().parse_scan(HOSTS["127.77.200.4"], ctx(HOSTS["127.77.200.4"]), {}).data["services"][0]
    assert strong["protocols"] == ["TLSv1.2", "TLSv1.3"] and strong["least_strength"] == "A"
    assert (strong["certificate"]["key_type"], strong["certificate"]["key_bits"]) == ("ec", 256)
    assert strong["certificate"]["curve"] == "secp256r1" and strong["certificate"]["days_left"] >= 364
    expired = NetTlsProbe().parse_scan(HOSTS["127.77.200.5"], ctx(HOSTS["127.77.200.5"]), {}).data["services"][0]
    assert expired["port"] == 8443 and expired["certificate"]["expired"] and expired["certificate"]["days_left"] < 0


def test_certificate_falls_back_to_nmaps_summary_without_pem() -> None:
    from hardencheck.facts.probes.net_tls import certificate

    data = dict(HOSTS["127.77.200.3"].port(443).scripts["ssl-cert"].data)  # type: ignore[union-attr]
    data["pem"] = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"
    import datetime as dt

    warnings: list[str] = []
    cert = certificate(data, dt.datetime(2026, 11, 27, tzinfo=dt.UTC), warnings)
    assert cert is not None and warnings and "nmap's summary" in warnings[0]
    assert (cert["key_type"], cert["key_bits"], cert["signature_hash"]) == ("rsa", 1024, "sha1")
    assert cert["subject_cn"] == "weak.store.test" and "127.77.200.3" in cert["sans"]


def test_ssh_fact_weak_and_hardened() -> None:
    weak = NetSshProbe().parse_scan(HOSTS["127.78.0.1"], ctx(HOSTS["127.78.0.1"]), {})
    (svc,) = weak.data["services"]
    assert "3des-cbc" in svc["ciphers"] and "hmac-md5" in svc["macs"]
    assert "diffie-hellman-group1-sha1" in svc["kex"]
    assert svc["kex_markers"] == ["kex-strict-s-v00@openssh.com"] and "kex-strict-s-v00@openssh.com" not in svc["kex"]
    assert {"type": "ssh-rsa", "bits": 1024, "fingerprint": "3ddaa30e2700a194ebd81fe4b642b257"} in svc["hostkeys"]
    assert svc["product"] == "OpenSSH"
    assert weak.locations["services/0/ciphers/1"].excerpt == "encryption_algorithms: 3des-cbc"
    hardened = NetSshProbe().parse_scan(HOSTS["127.78.0.2"], ctx(HOSTS["127.78.0.2"]), {}).data["services"][0]
    assert hardened["hostkey_algorithms"] == ["ssh-ed25519"] and hardened["hostkeys"] == []  # no classic DH
    assert hardened["enumerated"]


def test_scan_fact_keeps_the_xml() -> None:
    scan = HOSTS["127.77.200.1"]
    fact = NetScanProbe().parse_scan(scan, ctx(scan), {})
    assert fact.data["xml"].encode() == scan.xml and fact.data["state"] == "up"
    assert fact.data["nmap_version"] == "7.93" and fact.data["timed_out"] is False


def test_timed_out_host_makes_facts_unavailable() -> None:
    (scan,) = _hosts("timeout.xml").values()
    for probe in (NetPortsProbe(), NetTlsProbe(), NetSshProbe()):
        with pytest.raises(FactUnavailable, match="per-host network timeout"):
            probe.parse_scan(scan, ctx(scan), {})
    assert NetScanProbe().parse_scan(scan, ctx(scan), {}).data["timed_out"] is True


def test_hostile_banner_is_cleaned_in_facts() -> None:
    (scan,) = _hosts("hostile.xml").values()
    fact = NetPortsProbe().parse_scan(scan, ctx(scan), {"banner": True})
    banner = fact.data["ports"][0]["banner"]
    assert "<script>" in banner and "\x1b" not in banner and "\x00" not in banner


def test_needs_follow_options() -> None:
    needs = NetPortsProbe().needs({})
    assert needs.tcp_ports == port_set(DEFAULT_TCP_PORTS) and {22, 23, 443, 9100} <= needs.tcp_ports
    assert needs.version_detection and needs.scripts == {"http-title"}
    assert NetPortsProbe().needs({"extra_tcp_ports": [31337]}).tcp_ports == needs.tcp_ports | {31337}
    assert NetPortsProbe().needs({"tcp_ports": "8000-8002", "http_title": False}).tcp_ports == {8000, 8001, 8002}
    merged = NetTlsProbe().needs({}).merge(NetSshProbe().needs({"ports": [22, 2222]}))
    assert merged.scripts == {"ssl-enum-ciphers", "ssl-cert", "ssh2-enum-algos", "ssh-hostkey"}
    assert {22, 2222, 443, 8443} <= merged.tcp_ports
    assert NetScanProbe().needs({}) == NmapNeeds()


@pytest.mark.parametrize("bad", ["0", "70000", "22-10", "ssh", True])
def test_bad_port_options_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        port_set([bad])


def test_port_spec_is_compact() -> None:
    assert port_spec([80, 21, 22, 23, 443, 444]) == "21-23,80,443-444"


def test_network_probes_are_inert_on_hosts() -> None:
    probe = NetPortsProbe()
    assert probe.request({}).files == () and probe.request({}).commands == ()
    with pytest.raises(FactUnavailable) as info:
        probe.parse(None, {})  # type: ignore[arg-type]
    assert info.value.not_applicable
    assert {"net_ports", "net_tls", "net_ssh", "net_scan"} <= set(load_probes())


def _network_checks() -> dict[str, Any]:
    checks = load_checks([builtin_dir("checks")], set(load_probes()))
    return {cid: c for cid, c in checks.items() if set(c.facts) <= NETWORK_FACTS}


NETWORK_CHECKS = _network_checks()


def test_every_network_check_is_covered() -> None:
    named = {cid for host in EXPECTED.values() for cid in host["fail"]}
    assert named <= set(NETWORK_CHECKS), named - set(NETWORK_CHECKS)
    assert len(NETWORK_CHECKS) >= 14


@pytest.mark.parametrize("address", sorted(EXPECTED))
def test_network_checks_on_recorded_hosts(address: str) -> None:
    facts = facts_of(HOSTS[address])
    ctx_ = TargetContext(asset_class=None, transport="network")
    verdicts = {cid: evaluate_check(check, facts, ctx_, dict(check.parameters))
                for cid, check in NETWORK_CHECKS.items()}
    failed = {cid for cid, v in verdicts.items() if v.status == "fail"}
    assert failed == set(EXPECTED[address]["fail"]), {cid: verdicts[cid].leaves[:2] for cid in failed}
    assert {v.status for cid, v in verdicts.items() if cid not in failed} <= {"pass"}
