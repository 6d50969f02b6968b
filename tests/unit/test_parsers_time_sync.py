"""Time synchronisation clients, their configured servers, and which one starts at boot."""

from __future__ import annotations

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.time_sync import parse_ntp_style, parse_timesyncd
from hardencheck.facts.probes.time_sync import TimeSyncProbe

CHRONY = """\
# Use Debian vendor zone.
pool 2.debian.pool.ntp.org iburst
server ntp1.store.example iburst prefer
#server old.example
! server also-a-comment.example
sourcedir /etc/chrony/sources.d
"""


def test_chrony_servers_pools_and_both_comment_styles() -> None:
    servers = parse_ntp_style([("/etc/chrony/chrony.conf", CHRONY),
                               ("/etc/chrony/sources.d/site.sources", "server ntp2.store.example iburst\n")],
                              ParsedFact())
    assert [(s["host"], s["kind"], s["line"]) for s in servers] == [
        ("2.debian.pool.ntp.org", "pool", 2), ("ntp1.store.example", "server", 3), ("ntp2.store.example", "server", 1)]


def test_timesyncd_last_assignment_wins_and_fallback_is_apart() -> None:
    main = "[Time]\nNTP=a.example b.example\nFallbackNTP=0.debian.pool.ntp.org\n"
    dropin = "[Time]\nNTP=\n"
    servers, fallback = parse_timesyncd([("/etc/systemd/timesyncd.conf", main)], ParsedFact())
    assert [s["host"] for s in servers] == ["a.example", "b.example"] and fallback[0]["kind"] == "FallbackNTP"
    servers, _ = parse_timesyncd([("/etc/systemd/timesyncd.conf", main),
                                  ("/etc/systemd/timesyncd.conf.d/10.conf", dropin)], ParsedFact())
    assert servers == []
    servers, _ = parse_timesyncd([("/etc/systemd/timesyncd.conf", "[Other]\nNTP=x\n#[Time]\n")], ParsedFact())
    assert servers == []


def test_probe_enabled_state_from_wants_links() -> None:
    files = {"/etc/chrony/chrony.conf": CHRONY,
             "/etc/systemd/system/multi-user.target.wants/chrony.service": "[Service]\n",
             "/etc/systemd/timesyncd.conf": "[Time]\n",
             "/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service": "[Service]\n"}
    fact = parse(TimeSyncProbe(), files)
    clients = {c["name"]: c for c in fact.data["clients"]}
    assert clients["chrony"]["enabled"] and len(clients["chrony"]["servers"]) == 2
    assert clients["timesyncd"]["enabled"] and clients["timesyncd"]["servers"] == []
    assert fact.data["synchronised_by"] == ["chrony"]
    assert fact.locations["clients/1"].excerpt == "(no server configured)"
    del files["/etc/systemd/system/multi-user.target.wants/chrony.service"]
    assert parse(TimeSyncProbe(), files).data["synchronised_by"] == []


def test_probe_with_no_client_is_a_finding_on_a_host_and_not_applicable_in_a_repository() -> None:
    fact = parse(TimeSyncProbe(), {})
    assert fact.data["clients"] == [] and fact.locations["clients"].excerpt == "(no NTP client configured)"
    with pytest.raises(FactUnavailable) as exc:
        parse(TimeSyncProbe(), {}, host=False)
    assert exc.value.not_applicable
    with pytest.raises(FactUnavailable, match="unreadable"):
        parse(TimeSyncProbe(), {"/etc/chrony/chrony.conf": None})
