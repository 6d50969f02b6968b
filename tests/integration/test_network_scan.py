"""Network scanning end to end with the real nmap and the real CLI, against real listeners on loopback.

Fleet hosts (weak / hardened sshd) are audited over SSH and from the network in one run; devices
without SSH (telnet and ftp banners, weak and sound TLS, HTTP admin pages: tests/netfleet) are
network-only targets; a compromised host that lies to its auditor (tests/netfleet/images/liar)
must be caught by the host-vs-network checks. Traffic goes to 127.0.0.0/8 only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import REPO, host_by_id, results_by_check, run_cli, run_doc, ssh_args
from netfleet import listeners as L

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("nmap") is None, reason="nmap is not installed (apt-get install nmap)"),
]

EXPECTED = yaml.safe_load((REPO / "tests" / "unit" / "data" / "nmap" / "expected.yaml").read_text())
BACKDOOR_PORT = 31337


def _base() -> str:
    """127.(77 + xdist worker): the same second octet as this worker's session fleet, third octet 200."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return f"127.{77 + (int(worker[2:]) if worker[2:].isdigit() else 0)}.200"


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Network-only devices, numbered like the recorded listeners.xml (127.77.200.1-7)."""
    base, work = _base(), tmp_path_factory.mktemp("certs")
    with L.Listeners() as ls:
        ls.add(L.telnet(f"{base}.1"))
        ls.add(L.ftp(f"{base}.2"))
        ls.add(L.tls(f"{base}.3", 443, "weak", work))
        ls.add(L.tls(f"{base}.4", 443, "strong", work))
        ls.add(L.tls(f"{base}.5", 8443, "expired", work))
        ls.add(L.http(f"{base}.6", 80))
        ls.add(L.http(f"{base}.7", 80, redirect_to_https=True))
        yield {f"127.77.200.{i}": f"{base}.{i}" for i in range(1, 8)}


def failing(host: dict[str, Any], prefix: str = "net-") -> set[str]:
    return {r["check_id"] for r in host["results"] if r["status"] == "fail" and r["check_id"].startswith(prefix)}


def test_weak_and_hardened_hosts_get_network_and_host_findings_in_one_run(fleet: Any, tmp_path: Path) -> None:
    import jsonschema

    weak, hardened = fleet.host("weak-1"), fleet.host("hardened-1")
    proc = run_cli("scan", f"root@{weak.address}", f"root@{hardened.address}", "--output", str(tmp_path),
                   "--connect-timeout", "5", *ssh_args(fleet))
    doc = run_doc(proc)
    assert proc.returncode == 1, proc.stderr
    schema = json.loads((REPO / "src" / "hardencheck" / "schemas" / "run.schema.json").read_text())
    jsonschema.validate(doc, schema)
    w, h = host_by_id(doc, weak.address), host_by_id(doc, hardened.address)
    assert failing(w) == {"net-ssh-weak-ciphers", "net-ssh-weak-kex", "net-ssh-weak-macs", "net-ssh-weak-hostkeys"}
    assert failing(h) == set()
    wr, hr = results_by_check(w), results_by_check(h)
    # the host view and the network view of the same weakness, side by side in one host result
    assert wr["ssh-weak-ciphers"]["status"] == "fail" and wr["ssh-permit-root-login"]["status"] == "fail"
    assert set(wr["net-ssh-weak-ciphers"]["observed"]) == {"aes128-cbc", "3des-cbc", "aes256-cbc"}
    # both views agree on these hosts: reconciliation passes, quoting both facts
    for results in (wr, hr):
        assert results["net-ports-match-host-listeners"]["status"] == "pass"
        assert results["net-ssh-algorithms-match-sshd-config"]["status"] == "pass"
    assert {e["fact"] for e in hr["net-ssh-algorithms-match-sshd-config"]["evidence"]} == {"net_ssh", "sshd"}
    ev = wr["net-ssh-weak-kex"]["evidence"][0]
    assert ev["source"] == f"nmap:{weak.address}:22/tcp script ssh2-enum-algos"
    assert ev["excerpt"] == "kex_algorithms: diffie-hellman-group1-sha1"
    scan = w["facts"]["net_scan"]["data"]
    assert scan["scan_type"] == "syn" and scan["state"] == "up" and scan["nmap_version"].startswith("7.")
    assert ev["sha256"] == hashlib.sha256(scan["xml"].encode()).hexdigest()
    assert w["facts"]["net_ssh"]["data"]["services"][0]["hostkeys"][0]["bits"] == 1024


def test_network_only_devices(devices: dict[str, str], tmp_path: Path) -> None:
    addresses = sorted(devices.values(), key=lambda a: int(a.rsplit(".", 1)[1]))
    proc = run_cli("scan", f"net:{addresses[0]}-{addresses[-1].rsplit('.', 1)[1]}", "--output", str(tmp_path),
                   "--asset-class", "store-device")
    doc = run_doc(proc)
    assert proc.returncode == 1, proc.stderr
    assert [h["target"]["id"] for h in doc["hosts"]] == addresses
    for recorded, address in devices.items():
        host = host_by_id(doc, address)
        assert host["status"] == "ok" and host["target"]["transport"] == "network"
        assert failing(host) == set(EXPECTED[recorded]["fail"]), address
        assert failing(host, "") == failing(host)  # host checks never fail here...
        skipped = [r for r in host["results"] if not r["check_id"].startswith("net-")]
        assert skipped and all(r["status"] == "skipped" for r in skipped)  # ...they are skipped, with why
        assert "network-only target" in skipped[0]["reason"]
    tls = host_by_id(doc, devices["127.77.200.3"])["facts"]["net_tls"]["data"]["services"][0]
    assert tls["protocols"][0] == "TLSv1.0" and tls["certificate"]["key_bits"] == 1024
    assert tls["certificate"]["signature_hash"] == "sha1" and 0 <= tls["certificate"]["days_left"] <= 10


def test_host_network_disagreement_is_reported_with_both_views(fleet_factory: Any, tmp_path: Path) -> None:
    fl = fleet_factory([("liar-1", "liar")])
    liar = fl.host("liar-1")
    profile = tmp_path / "recon.yaml"
    profile.write_text("name: recon\ndescription: scan the backdoor port too\nextends: linux-baseline\n"
                       f"probe_options:\n  net_ports:\n    extra_tcp_ports: [{BACKDOOR_PORT}]\n")
    with L.Listeners() as ls:
        ls.add(L.banner(liar.address, BACKDOOR_PORT, b"# ", hang_up=True))  # the backdoor the liar's ss hides
        proc = run_cli("scan", f"root@{liar.address}", "--output", str(tmp_path / "out"), "--profile", str(profile),
                       "--checks", "net-*-match-*,net-ssh-weak-ciphers,ssh-weak-ciphers", *ssh_args(fl))
    doc = run_doc(proc)
    r = results_by_check(host_by_id(doc, liar.address))
    ports = r["net-ports-match-host-listeners"]  # its ss hides the trojaned sshd on 22 and the backdoor
    assert ports["status"] == "fail" and ports["observed"] == [22, BACKDOOR_PORT]
    assert [e["fact"] for e in ports["evidence"]] == ["net_ports", "net_ports", "sockets"]
    assert ports["evidence"][1]["source"] == f"nmap:{liar.address}:{BACKDOOR_PORT}/tcp"
    host_view = ports["evidence"][2]
    assert host_view["source"].startswith("cmd:ss") and len(host_view["sha256"]) == 64
    assert f" {BACKDOOR_PORT}" not in host_view["excerpt"] and " 22," not in host_view["excerpt"]
    algos = r["net-ssh-algorithms-match-sshd-config"]
    assert algos["status"] == "fail"
    assert set(algos["observed"]) == {"aes128-cbc", "aes256-cbc", "hmac-md5", "hmac-sha1"}
    assert {e["fact"] for e in algos["evidence"]} == {"net_ssh", "sshd"}
    # the host alone is fooled, the network view is not
    assert r["ssh-weak-ciphers"]["status"] == "pass" and r["net-ssh-weak-ciphers"]["status"] == "fail"


def test_nmap_missing_fails_network_checks_only(fleet: Any, tmp_path: Path) -> None:
    weak = fleet.host("weak-1")
    proc = run_cli("scan", f"root@{weak.address}", "--output", str(tmp_path), "--nmap", "/nonexistent/nmap",
                   "--checks", "net-ssh-*,ssh-*", *ssh_args(fleet))
    doc = run_doc(proc)
    assert proc.returncode == 3, proc.stderr
    r = results_by_check(host_by_id(doc, weak.address))
    assert r["net-ssh-weak-ciphers"]["status"] == "error"
    assert "nmap was not found" in r["net-ssh-weak-ciphers"]["reason"]
    assert r["ssh-weak-ciphers"]["status"] == "fail" and r["ssh-permit-root-login"]["status"] == "fail"
    assert "warning: nmap was not found" in proc.stderr
    assert any("nmap was not found" in w for w in doc["warnings"])


def test_connect_scan_and_per_host_timeout(devices: dict[str, str], tmp_path: Path) -> None:
    weak_tls = devices["127.77.200.3"]
    proc = run_cli("scan", f"net:{weak_tls}", "--output", str(tmp_path / "a"), "--checks", "net-tls-*",
                   "--net-scan-type", "connect")
    host = host_by_id(run_doc(proc), weak_tls)
    assert host["facts"]["net_scan"]["data"]["scan_type"] == "connect"
    assert "-sT" in host["facts"]["net_scan"]["data"]["nmap_args"]
    assert failing(host) == set(EXPECTED["127.77.200.3"]["fail"]) - {"net-ports-allowlist"}
    proc = run_cli("scan", f"net:{weak_tls}", "--output", str(tmp_path / "b"), "--checks", "net-tls-*",
                   "--net-timeout", "1")
    assert proc.returncode == 3, proc.stderr
    host = host_by_id(run_doc(proc), weak_tls)
    assert host["facts"]["net_scan"]["data"]["timed_out"] is True
    assert {r["status"] for r in host["results"]} == {"error"}
    assert "per-host network timeout" in host["results"][0]["reason"]


def test_snmp_is_seen_only_where_udp_scanning_is_allowed(tmp_path: Path) -> None:
    agent = f"{_base()}.20"
    with L.Listeners() as ls:
        ls.add(L.snmp(agent))
        proc = run_cli("scan", f"net:{agent}", "--output", str(tmp_path / "tcp"), "--checks", "net-cleartext-services")
        tcp_only = host_by_id(run_doc(proc), agent)
        proc = run_cli("scan", f"net:{agent}", "--output", str(tmp_path / "udp"), "--checks", "net-cleartext-services",
                       "--net-udp")
        with_udp = host_by_id(run_doc(proc), agent)
    assert results_by_check(tcp_only)["net-cleartext-services"]["status"] == "pass"
    assert tcp_only["facts"]["net_ports"]["data"]["scanned"]["udp"] == ""
    result = results_by_check(with_udp)["net-cleartext-services"]
    assert result["status"] == "fail", result
    assert result["evidence"][0]["source"] == f"nmap:{agent}:161/udp"
    assert "snmp SNMPv1 server" in result["evidence"][0]["excerpt"]
    assert "-sU" in with_udp["facts"]["net_scan"]["data"]["nmap_args"]
