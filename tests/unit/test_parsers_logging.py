"""Log forwarding (rsyslog, syslog-ng, journal-upload) and logrotate retention per log file."""

from __future__ import annotations

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.logging import UNLIMITED_DAYS, parse_logrotate, parse_rsyslog, parse_syslog_ng
from hardencheck.facts.probes.logging import LoggingProbe

MAIN = "module(load=\"imuxsock\")\n$IncludeConfig /etc/rsyslog.d/*.conf\nauth,authpriv.*\t/var/log/auth.log\n"


def rsyslog(*dropins: str, main: str = MAIN) -> list[dict]:
    files = [("/etc/rsyslog.conf", main)] + [(f"/etc/rsyslog.d/{i}.conf", t) for i, t in enumerate(dropins)]
    return parse_rsyslog(files, ParsedFact())


def test_legacy_udp_tcp_relp_and_options() -> None:
    found = rsyslog("*.* @10.1.1.1\nauth.* @@(o,z9)logs.example:6514\nlocal7.* :omrelp:relp.example:2514\n"
                    "mail.* @@[2001:db8::5]:514\n#*.* @@commented:514\n")
    assert [(f["target"], f["port"], f["protocol"], f["covers_auth"]) for f in found] == [
        ("10.1.1.1", None, "udp", True), ("logs.example", 6514, "tcp", True), ("relp.example", 2514, "relp", False),
        ("2001:db8::5", 514, "tcp", False)]


def test_rainerscript_action_over_several_lines_and_loopback() -> None:
    found = rsyslog('*.* action(type="omfwd"\n  target="logs.store.example" port="6514"\n  protocol="tcp")\n'
                    'action(type="omfwd" target="127.0.0.1" port="5140")\n'
                    'action(type="omfile" file="/var/log/x")\n')
    assert [(f["target"], f["port"], f["protocol"], f["remote"], f["line"]) for f in found] == [
        ("logs.store.example", 6514, "tcp", True, 1), ("127.0.0.1", 5140, "udp", False, 4)]


def test_selector_excluding_auth_and_dropins_not_included() -> None:
    assert rsyslog("*.*;auth,authpriv.none @@logs:514\n")[0]["covers_auth"] is False
    fact = ParsedFact()
    found = parse_rsyslog([("/etc/rsyslog.conf", "*.* /var/log/all\n"), ("/etc/rsyslog.d/90.conf", "*.* @@logs:514\n")],
                          fact)
    assert found == [] and any("does not include /etc/rsyslog.d" in w for w in fact.warnings)


def test_syslog_ng_destination_must_be_used_by_a_log_statement() -> None:
    conf = ('destination d_net { network("10.2.2.2" transport("tcp") port(514)); };\n'
            'destination d_old { udp("10.9.9.9"); };\n'
            "log { source(s_src); destination(d_net); };\n")
    found = parse_syslog_ng([("/etc/syslog-ng/syslog-ng.conf", conf)], ParsedFact())
    assert [(f["target"], f["protocol"], f["port"], f["active"]) for f in found] == [
        ("10.2.2.2", "tcp", 514, True), ("10.9.9.9", "udp", None, False)]


DEBIAN_CONF = "weekly\nrotate 4\ncreate\ninclude /etc/logrotate.d\n"
RSYSLOG_ROTATE = ("/var/log/syslog\n/var/log/auth.log\n{\n\trotate 4\n\tweekly\n\tpostrotate\n"
                  "\t\t/usr/lib/rsyslog/rsyslog-rotate\n\tendscript\n}\n")


def rotation(files: dict[str, str]) -> dict[str, dict]:
    return {r["path"]: r for r in parse_logrotate(files, "/etc/logrotate.conf", "/etc/logrotate.d", ParsedFact())}


def test_debian_defaults_keep_four_weeks() -> None:
    rows = rotation({"/etc/logrotate.conf": DEBIAN_CONF, "/etc/logrotate.d/rsyslog": RSYSLOG_ROTATE})
    assert rows["/var/log/syslog"]["retention_days"] == 28 and rows["/var/log/auth.log"]["line"] == 3


@pytest.mark.parametrize(("block", "days"), [
    ("rotate 12\nmonthly\n", 365), ("rotate 53\nweekly\n", 371), ("rotate 400\ndaily\nmaxage 90\n", 90),
    ("rotate -1\nweekly\n", UNLIMITED_DAYS), ("size 100M\n", None), ("daily\n", 4), ("rotate 2\nyearly\n", 730),
])
def test_retention_arithmetic(block: str, days: int | None) -> None:
    conf = "rotate 4\ninclude /etc/logrotate.d\n"
    rows = rotation({"/etc/logrotate.conf": conf, "/etc/logrotate.d/x": "/var/log/x.log {\n" + block + "}\n"})
    assert rows["/var/log/x.log"]["retention_days"] == days


def test_globals_after_an_include_do_not_reach_back_and_unclosed_blocks_warn() -> None:
    fact = ParsedFact()
    rows = parse_logrotate({"/etc/logrotate.conf": "include /etc/logrotate.d\nrotate 52\nweekly\n"
                            "/var/log/wtmp {\n missingok\n}\n", "/etc/logrotate.d/a": "/var/log/a {\n"},
                           "/etc/logrotate.conf", "/etc/logrotate.d", fact)
    assert [(r["path"], r["retention_days"]) for r in rows] == [("/var/log/wtmp", 364)]
    assert any("not closed" in w for w in fact.warnings)


def test_probe_combines_everything_and_respects_the_repository_scope() -> None:
    files = {"/etc/rsyslog.conf": MAIN, "/etc/rsyslog.d/90-central.conf": "*.* @@logs.example:514\n",
             "/etc/logrotate.conf": DEBIAN_CONF, "/etc/logrotate.d/rsyslog": RSYSLOG_ROTATE,
             "/etc/systemd/journal-upload.conf": "[Upload]\nURL=https://journal.example:19532\n"}
    fact = parse(LoggingProbe(), files)
    assert fact.data["daemons"] == ["rsyslog", "journal-upload"]
    assert [(f["daemon"], f["active"]) for f in fact.data["forwarding"]] == [("rsyslog", True), ("journald", False)]
    assert fact.data["forwards_remotely"] is True
    assert fact.locations["forwarding"].source == "/etc/rsyslog.d/90-central.conf"
    files["/etc/systemd/system/multi-user.target.wants/systemd-journal-upload.service"] = "[Service]\n"
    assert parse(LoggingProbe(), files).data["forwarding"][1]["active"] is True
    assert parse(LoggingProbe(), {}).data == {"daemons": [], "forwarding": [], "forwards_remotely": False,
                                             "rotation": [], "logrotate_files": []}
    with pytest.raises(FactUnavailable) as exc:
        parse(LoggingProbe(), {}, host=False)
    assert exc.value.not_applicable


def test_credentials_in_the_upload_url_are_not_kept() -> None:
    from hardencheck.facts.parsers.logging import parse_journal_upload

    (entry,) = parse_journal_upload([("/etc/systemd/journal-upload.conf",
                                      "[Upload]\nURL=https://user:s3cret@journal.example:19532\n")], True, ParsedFact())
    assert entry["target"] == "journal.example" and entry["port"] == 19532
    assert "s3cret" not in entry["excerpt"] and "<redacted>" in entry["excerpt"]
