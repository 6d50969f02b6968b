"""nmap argument building, the --nmap-args guard, and the runner/session against a fake nmap binary.

The fake replays recorded XML (optionally slowly, partially, or failing), so every path of the
runner and the session is exercised without sending a packet: missing nmap, a failing or hung nmap,
a host nmap never reports, interrupts, targets that cannot have a network view.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from netfleet.fakenmap import fake_nmap, invocations

from hardencheck.facts.probes.net_ports import NetPortsProbe
from hardencheck.facts.probes.net_ssh import NetSshProbe
from hardencheck.facts.probes.net_tls import NetTlsProbe
from hardencheck.inventory.model import Target
from hardencheck.network import runner
from hardencheck.network.probe import NmapNeeds
from hardencheck.network.runner import (
    NmapConfig,
    NmapUnavailable,
    build_argv,
    check_extra_args,
    locate_nmap,
    run_nmap,
)
from hardencheck.network.session import NetworkOptions, NetworkSession

DATA = Path(__file__).parent / "data" / "nmap"
PROBES: dict[str, Any] = {"net_ports": (NetPortsProbe(), {}), "net_tls": (NetTlsProbe(), {}),
                          "net_ssh": (NetSshProbe(), {})}


def target(address: str, transport: str = "network", name: str | None = None) -> Target:
    return Target(name=name or address, transport=transport, address=address)


def session(tmp_path: Path, binary: Path | str, **nmap: Any) -> NetworkSession:
    config = NmapConfig(nmap_path=str(binary), **nmap)
    return NetworkSession(PROBES, NetworkOptions(nmap=config))


# ---- argv --------------------------------------------------------------------------------


def test_argv_syn_as_root_connect_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    needs = NmapNeeds(tcp_ports=frozenset({22, 23, 443}), scripts=frozenset({"ssl-cert", "ssh2-enum-algos"}),
                      version_detection=True)
    monkeypatch.setattr(runner, "is_root", lambda: True)
    argv, warnings = build_argv("/usr/bin/nmap", NmapConfig(max_rate=100), needs, ["127.0.0.5", "127.0.0.6"])
    assert argv[:6] == ["/usr/bin/nmap", "-oX", "-", "-n", "-Pn", "--noninteractive"]
    assert "-sS" in argv and "-sT" not in argv and "-sV" in argv
    assert argv[argv.index("-p") + 1] == "T:22-23,443"
    assert argv[argv.index("--script") + 1] == "ssh2-enum-algos,ssl-cert"
    assert "-T4" in argv and argv[argv.index("--max-rate") + 1] == "100"
    assert argv[argv.index("--host-timeout") + 1] == "300s"
    assert argv[argv.index("--min-hostgroup") + 1] == "2"
    assert argv[-2:] == ["127.0.0.5", "127.0.0.6"] and warnings == []
    monkeypatch.setattr(runner, "is_root", lambda: False)
    argv, _ = build_argv("nmap", NmapConfig(), needs, ["127.0.0.5"])
    assert "-sT" in argv and "-sS" not in argv and "--min-hostgroup" not in argv
    argv, _ = build_argv("nmap", NmapConfig(scan_type="syn"), needs, ["127.0.0.5"])
    assert "-sS" in argv


def test_argv_udp_only_when_allowed_and_root(monkeypatch: pytest.MonkeyPatch) -> None:
    needs = NmapNeeds(tcp_ports=frozenset({22}), udp_ports=frozenset({161}))
    monkeypatch.setattr(runner, "is_root", lambda: True)
    assert "-sU" not in build_argv("nmap", NmapConfig(), needs, ["127.0.0.5"])[0]
    argv, _ = build_argv("nmap", NmapConfig(udp=True), needs, ["127.0.0.5"])
    assert "-sU" in argv and argv[argv.index("-p") + 1] == "T:22,U:161"
    monkeypatch.setattr(runner, "is_root", lambda: False)
    argv, warnings = build_argv("nmap", NmapConfig(udp=True), needs, ["127.0.0.5"])
    assert "-sU" not in argv and warnings == ["UDP scanning needs root; UDP ports were not scanned"]


def test_argv_without_ports_is_a_ping_only_scan_and_extra_args_come_last() -> None:
    argv, _ = build_argv("nmap", NmapConfig(timing=None, extra_args=("--max-retries", "1")), NmapNeeds(),
                         ["::1"], ipv6=True)
    assert "-sn" in argv and "-p" not in argv and "-6" in argv and not any(a.startswith("-T") for a in argv)
    assert argv[-3:] == ["--max-retries", "1", "::1"]


@pytest.mark.parametrize("text", ["-oN out.txt", "-oX/tmp/x", "-iL hosts", "--resume x", "10.0.0.1",
                                  "--max-retries 1 192.168.1.0/24", "127.0.0.1-20", "'unbalanced"])
def test_extra_args_refuse_output_files_and_targets(text: str) -> None:
    with pytest.raises(ValueError):
        check_extra_args(text)


def test_extra_args_accept_tuning() -> None:
    assert check_extra_args("--max-retries 1 --script-args http.useragent=x --open") == (
        "--max-retries", "1", "--script-args", "http.useragent=x", "--open")
    assert check_extra_args("") == ()


# ---- the binary --------------------------------------------------------------------------


def test_locate_nmap_through_python_nmap(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    assert locate_nmap(str(binary)) == (str(binary), "7.93")
    with pytest.raises(NmapUnavailable, match="nmap was not found.*apt-get install nmap"):
        locate_nmap(str(tmp_path / "no-such-nmap"))


def test_run_nmap_streams_hosts_as_written(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path, delay=0.05)
    seen: list[tuple[float, str]] = []
    t0 = time.monotonic()
    outcome = run_nmap([str(binary), "x"], lambda h, e: seen.append((time.monotonic() - t0, h.address if h else e)),
                       time.monotonic() + 30, threading.Event())
    assert [a for _, a in seen][:2] == ["127.77.200.1", "127.77.200.2"] and len(seen) == 9
    assert seen[0][0] < seen[-1][0] - 0.2  # the first host was handed over well before the last
    assert outcome.returncode == 0 and outcome.info.finished and outcome.info.version == "7.93"


def test_run_nmap_deadline_and_cancel_kill_it(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path, hang=True)
    t0 = time.monotonic()
    outcome = run_nmap([str(binary), "x"], lambda h, e: None, time.monotonic() + 1, threading.Event())
    assert outcome.killed == "deadline" and time.monotonic() - t0 < 10
    assert "stopped (deadline)" in outcome.problem()
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    outcome = run_nmap([str(binary), "x"], lambda h, e: None, time.monotonic() + 30, cancel)
    assert outcome.killed == "cancelled"


# ---- the session -------------------------------------------------------------------------


def test_session_gives_each_target_its_own_facts(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    targets = [target("127.77.200.3"), target("127.78.0.1", "ssh", "pos-weak"), target("127.77.200.4")]
    s = session(tmp_path, binary).start(targets)
    try:
        weak_tls = s.records_for(targets[0])
        pos = s.records_for(targets[1])
    finally:
        s.close()
    (argv,) = invocations(tmp_path)  # one nmap for the whole batch
    assert argv[-3:] == ["127.77.200.3", "127.78.0.1", "127.77.200.4"]
    assert set(weak_tls) == {"net_ports", "net_tls", "net_ssh", "net_scan"}
    assert all(r.status == "ok" for r in weak_tls.values())
    assert weak_tls["net_tls"].fact.data["services"][0]["certificate"]["key_bits"] == 1024
    ssh = pos["net_ssh"]
    assert ssh.fact.data["services"][0]["port"] == 22 and ssh.fact.data["address"] == "127.78.0.1"
    sha = pos["net_scan"].sources["nmap:127.78.0.1"]["sha256"]
    assert ssh.sources["nmap:127.78.0.1:22/tcp script ssh2-enum-algos"]["sha256"] == sha
    assert pos["net_scan"].sources["nmap:127.78.0.1"]["argv"][0] == str(binary)
    import hashlib

    assert hashlib.sha256(pos["net_scan"].fact.data["xml"].encode()).hexdigest() == sha


def test_batches_split_the_targets(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    addresses = [f"127.77.200.{i}" for i in range(1, 8)]
    options = NetworkOptions(nmap=NmapConfig(nmap_path=str(binary)), batch_size=3)
    s = NetworkSession(PROBES, options).start([target(a) for a in addresses])
    try:
        records = [s.records_for(target(a)) for a in addresses]
    finally:
        s.close()
    assert all(r["net_ports"].status == "ok" for r in records)
    batches = [[a for a in argv if a.startswith("127.")] for argv in invocations(tmp_path)]
    assert batches == [addresses[0:3], addresses[3:6], addresses[6:]]


def test_nmap_missing_is_an_error_with_the_fix(tmp_path: Path) -> None:
    s = session(tmp_path, tmp_path / "nope").start([target("127.77.200.1")])
    records = s.records_for(target("127.77.200.1"))
    assert {r.status for r in records.values()} == {"error"}
    assert "nmap was not found" in records["net_ports"].reason and "apt-get install nmap" in records["net_ports"].reason


def test_nmap_failing_is_an_error_with_its_message(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path, xml="timeout.xml", cut_after_hosts=0, exit_code=1,
                       stderr="dnet: Failed to open device lo\nQUITTING!\n")
    s = session(tmp_path, binary).start([target("127.77.200.3")])
    rec = s.records_for(target("127.77.200.3"))["net_tls"]
    s.close()
    assert rec.status == "error" and "nmap failed (exit status 1" in rec.reason and "Failed to open device" in rec.reason


def test_host_never_reported_is_an_error_others_are_fine(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    s = session(tmp_path, binary).start([target("127.77.200.1"), target("127.77.200.99")])
    ok, missing = s.records_for(target("127.77.200.1")), s.records_for(target("127.77.200.99"))
    s.close()
    assert ok["net_ports"].status == "ok"
    assert missing["net_ports"].status == "error" and "did not report this host" in missing["net_ports"].reason


def test_timed_out_host_gives_error_facts_but_keeps_the_scan(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path, xml="timeout.xml")
    s = session(tmp_path, binary).start([target("127.77.200.3")])
    rec = s.records_for(target("127.77.200.3"))
    s.close()
    assert rec["net_tls"].status == "error" and "per-host network timeout" in rec["net_tls"].reason
    assert rec["net_scan"].status == "ok" and rec["net_scan"].fact.data["timed_out"] is True
    assert rec["net_tls"].sources["nmap:127.77.200.3"]["status"] == "timed-out"


def test_cancel_releases_waiting_hosts(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path, cut_after_hosts=0, hang=True)
    s = session(tmp_path, binary).start([target("127.77.200.1")])
    threading.Timer(0.5, s.cancel).start()
    t0 = time.monotonic()
    rec = s.records_for(target("127.77.200.1"))
    assert time.monotonic() - t0 < 10
    assert rec["net_ports"].status == "error" and "interrupted" in rec["net_ports"].reason


def test_targets_without_a_network_view(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    d = Target(name="dir:repo", transport="dir", address="/srv/repo", path="/srv/repo")
    s = session(tmp_path, binary).start([d, target("no-such-host.invalid")])
    assert {r.status for r in s.records_for(d).values()} == {"not-applicable"}
    bad = s.records_for(target("no-such-host.invalid"))["net_ports"]
    assert bad.status == "error" and "cannot resolve" in bad.reason
    off = NetworkSession(PROBES, NetworkOptions(mode="off")).start([target("127.0.0.1")])
    rec = off.records_for(target("127.0.0.1"))["net_tls"]
    assert rec.status == "not-applicable" and "--network off" in rec.reason
    assert invocations(tmp_path) == []  # nothing was scanned


def test_net_address_var_overrides_the_ssh_address(tmp_path: Path) -> None:
    binary = fake_nmap(tmp_path)
    t = Target(name="pos-1", transport="ssh", address="pos-1.ssh-alias", vars={"net_address": "127.77.200.2"})
    s = session(tmp_path, binary).start([t])
    rec = s.records_for(t)
    s.close()
    assert rec["net_ports"].fact.data["open_tcp"] == [21]


def test_warnings_before_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hardencheck.network.session import network_warnings

    missing = NetworkOptions(nmap=NmapConfig(nmap_path=str(tmp_path / "nope"), udp=True))
    monkeypatch.setattr(runner, "is_root", lambda: False)
    monkeypatch.setattr("hardencheck.network.session.is_root", lambda: False)
    warnings = network_warnings(PROBES, missing)
    assert len(warnings) == 2 and "nmap was not found" in warnings[0] and "--net-udp needs root" in warnings[1]
    assert network_warnings(PROBES, NetworkOptions(mode="off", nmap=missing.nmap)) == []
    assert network_warnings({}, missing) == []
    assert network_warnings(PROBES, NetworkOptions(nmap=NmapConfig(nmap_path=str(fake_nmap(tmp_path))))) == []
