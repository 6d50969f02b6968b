"""The engine's network hook with a fake nmap: network-only targets, SSH failures that keep network
verdicts, ``--network only``/``off``, one nmap for the whole run, and host-vs-network evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from netfleet.fakenmap import fake_nmap, invocations

from hardencheck.checks.loader import builtin_dir, load_checks
from hardencheck.engine import ScanOptions, audit_target, evaluate_host, run_scan
from hardencheck.facts.base import load_probes
from hardencheck.facts.model import FactRecord, Location, ParsedFact
from hardencheck.facts.probes.net_ports import NetPortsProbe
from hardencheck.inventory.model import Target
from hardencheck.network.nmap_xml import parse_document
from hardencheck.network.probe import ScanContext
from hardencheck.network.runner import NmapConfig
from hardencheck.network.session import NetworkOptions
from hardencheck.plan import ScanPlan, build_plan
from hardencheck.profiles import load_profile, profile_dirs
from hardencheck.transport.ssh import SshOptions

DATA = Path(__file__).parent / "data" / "nmap"
CHECKS = ["net-*", "ssh-permit-root-login", "ssh-weak-ciphers"]


def plan_for(patterns: list[str]) -> ScanPlan:
    probes = load_probes()
    checks = load_checks([builtin_dir("checks")], set(probes))
    profile = load_profile("linux-baseline", profile_dirs(), checks)
    return build_plan(checks, profile, probes, only=patterns)


def options(binary: Path, mode: str = "auto") -> ScanOptions:
    return ScanOptions(parallel=4, ssh=SshOptions(connect_timeout=2, allow_agent=False),
                       network=NetworkOptions(mode=mode, nmap=NmapConfig(nmap_path=str(binary))))


def by_check(host: Any) -> dict[str, Any]:
    return {r.check_id: r for r in host.results}


def test_network_only_target(tmp_path: Path) -> None:
    host = audit_target(Target("127.77.200.3", "network", "127.77.200.3"), plan_for(CHECKS),
                        options(fake_nmap(tmp_path)))
    assert host.status == "ok" and host.connection == {"transport": "network", "address": "127.77.200.3"}
    assert host.facts["sshd"].status == "not-applicable"
    r = by_check(host)
    assert r["ssh-permit-root-login"].status.value == "skipped"
    assert "network-only target" in r["ssh-permit-root-login"].reason
    assert r["net-tls-legacy-protocols"].status.value == "fail"
    assert r["net-tls-cert-key-size"].evidence[0].source == "nmap:127.77.200.3:443/tcp script ssl-cert"
    assert len(r["net-tls-cert-key-size"].evidence[0].sha256 or "") == 64
    assert r["net-ports-match-host-listeners"].status.value == "skipped"


def test_ssh_failure_keeps_network_verdicts(tmp_path: Path) -> None:
    # nothing listens on port 9 of this loopback address: SSH is refused at once
    t = Target("pos-telnet", "ssh", "127.77.200.1", port=9, user="root")
    host = audit_target(t, plan_for(CHECKS), options(fake_nmap(tmp_path)))
    assert host.status == "error" and host.error
    r = by_check(host)
    assert r["ssh-permit-root-login"].status.value == "error"
    assert "could not be audited" in r["ssh-permit-root-login"].reason
    assert r["net-cleartext-services"].status.value == "fail"  # proved from the network alone: kept
    assert r["net-ports-match-host-listeners"].status.value == "error"  # the host side is unknown
    passed_on_the_network = r["net-tls-legacy-protocols"]  # no TLS port: would pass, but the host was not audited
    assert passed_on_the_network.status.value == "error" and "could not be audited" in passed_on_the_network.reason
    assert {x.status.value for x in host.results} == {"fail", "error"}


def test_network_only_mode_never_opens_ssh(tmp_path: Path) -> None:
    t = Target("pos-telnet", "ssh", "127.77.200.1", port=9, user="root")
    host = audit_target(t, plan_for(CHECKS), options(fake_nmap(tmp_path), mode="only"))
    assert host.status == "ok"
    assert "--network only" in by_check(host)["ssh-weak-ciphers"].reason
    assert by_check(host)["net-cleartext-services"].status.value == "fail"


def test_network_off_skips_network_checks_and_runs_no_nmap(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    host = audit_target(Target("127.77.200.3", "network", "127.77.200.3"), plan_for(["net-tls-*"]),
                        options(binary, mode="off"))
    assert {r.status.value for r in host.results} == {"skipped"}
    assert all("--network off" in r.reason for r in host.results)
    assert invocations(tmp_path) == []


def test_host_only_plan_runs_no_nmap(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    host = audit_target(Target("127.77.200.3", "network", "127.77.200.3"), plan_for(["ssh-*"]), options(binary))
    assert {r.status.value for r in host.results} == {"skipped"} and "net_scan" not in host.facts
    assert invocations(tmp_path) == []


class Sink:
    def __init__(self) -> None:
        self.hosts: list[Any] = []

    def add_host(self, host: Any) -> None:
        self.hosts.append(host)


def test_run_scan_uses_one_nmap_for_all_targets(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path, delay=0.02)
    targets = [Target(f"127.77.200.{i}", "network", f"127.77.200.{i}") for i in range(1, 8)]
    sink = Sink()
    outcome = run_scan(targets, plan_for(["net-*"]), options(binary), sink)
    assert not outcome.interrupted and len(sink.hosts) == 7
    (argv,) = invocations(tmp_path)
    assert argv[-7:] == [t.address for t in targets]
    fails = {h.target["id"]: {r.check_id for r in h.results if r.status.value == "fail"} for h in sink.hosts}
    assert fails["127.77.200.4"] == set() and "net-http-admin-redirects-to-https" in fails["127.77.200.6"]


def test_ssh_side_never_waits_for_nmap(tmp_path: Path) -> None:
    """With one worker, a slow nmap must not hold back the next target's host-side collection."""
    binary = fake_nmap(tmp_path, start_delay=2.0)
    repo = Path(__file__).resolve().parents[2] / "docs" / "examples" / "config-repo"
    targets = [Target("127.77.200.1", "network", "127.77.200.1"),
               Target("dir:config-repo", "dir", str(repo), path=str(repo))]
    sink = Sink()
    opts = ScanOptions(parallel=1, network=NetworkOptions(nmap=NmapConfig(nmap_path=str(binary))))
    run_scan(targets, plan_for(["net-cleartext-services", "ssh-permit-root-login"]), opts, sink)
    assert [h.target["id"] for h in sink.hosts] == ["dir:config-repo", "127.77.200.1"]
    assert by_check(sink.hosts[1])["net-cleartext-services"].status.value == "fail"
    assert by_check(sink.hosts[0])["net-cleartext-services"].status.value == "skipped"


def test_reconciliation_evidence_quotes_both_views() -> None:
    _, hosts, _ = parse_document((DATA / "listeners.xml").read_bytes())
    scan = hosts[0]  # telnet on 23
    ctx = ScanContext(scan.address, "syn", False, float(scan.ended or 0))
    net = FactRecord("net_ports", "ok", fact=NetPortsProbe().parse_scan(scan, ctx, {}),
                     sources={"nmap:127.77.200.1:23/tcp": {"kind": "nmap", "status": "ok", "sha256": "a" * 64}})
    sockets = FactRecord("sockets", "ok", fact=ParsedFact(
        {"listeners": [{"proto": "tcp", "address": "0.0.0.0", "port": 22}], "tcp_ports": [22]},
        {"tcp_ports": Location("cmd:ss -H -t -u -l -n", None, "listening TCP ports: 22")}),
        sources={"cmd:ss -H -t -u -l -n": {"kind": "command", "status": "ok", "sha256": "b" * 64}})
    plan = plan_for(["net-ports-match-host-listeners"])
    (result,) = evaluate_host({"id": "pos-1", "transport": "ssh"}, {"net_ports": net, "sockets": sockets}, plan)
    assert result.status.value == "fail" and result.observed == 23
    assert [(e.fact, e.source, e.sha256) for e in result.evidence] == [
        ("net_ports", "nmap:127.77.200.1:23/tcp", "a" * 64), ("sockets", "cmd:ss -H -t -u -l -n", "b" * 64)]
    sockets.fact.data["tcp_ports"] = [22, 23]
    (result,) = evaluate_host({"id": "pos-1", "transport": "ssh"}, {"net_ports": net, "sockets": sockets}, plan)
    assert result.status.value == "pass"


@pytest.mark.parametrize("listeners,expected", [([], []), ([{"proto": "tcp", "port": 22}, {"proto": "udp", "port": 53},
                                                             {"proto": "tcp", "port": 22}], [22])])
def test_sockets_fact_derives_tcp_ports(listeners: list[dict[str, Any]], expected: list[int]) -> None:
    from hardencheck.facts.probes.sockets import with_tcp_ports

    fact = with_tcp_ports(ParsedFact({"listeners": listeners}))
    assert fact.data["tcp_ports"] == expected and "tcp_ports" in fact.locations
