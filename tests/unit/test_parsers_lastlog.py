"""Last logins: ``lastlog`` output, the binary /var/log/lastlog, and days unused per account that can log in."""

from __future__ import annotations

import datetime as dt
import struct

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.lastlog import (
    RECORD,
    join_accounts,
    parse_lastlog_binary,
    parse_lastlog_output,
)
from hardencheck.facts.probes.lastlog import LastlogProbe

NOW = int(dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC).timestamp())
OUTPUT = """\
Username         Port     From                                       Latest
root             pts/0    10.20.0.15                                Wed Nov 25 09:12:44 +0000 2026
daemon                                                              **Never logged in**
pos              tty1                                               Tue Nov 24 07:01:02 +0100 2026
support          pts/1    203.0.113.77                              Fri Oct 10 22:40:00 +0000 2025
a-very-long-user-name pts/3 store-bo-01.example.internal            Thu Jan  1 00:00:01 +0000 2026
kiosk                                                               **Never logged in**
garbage line without a date
"""
PASSWD = """\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
pos:x:1000:1000:POS:/home/pos:/bin/bash
support:x:1002:1002:Vendor:/home/support:/bin/bash
kiosk:x:1001:1001:Kiosk:/home/kiosk:/bin/bash
retired:x:1003:1003:Old manager:/home/retired:/bin/bash
ghost:x:1004:1004::/home/ghost:/bin/bash
"""
SHADOW = """\
root:$y$j9T$salt$hash:20000:0:99999:7:::
daemon:*:20000:0:99999:7:::
pos:$y$j9T$salt$hash:20000:0:99999:7:::
support:$6$salt$hash:19480:0:99999:7:::
kiosk::19480:0:99999:7:::
retired:!$y$j9T$salt$hash:19000:0:99999:7:::
ghost:$y$j9T$salt$hash:19000:0:99999:7::20000:
"""


def test_lastlog_output_dates_ports_hosts_and_never() -> None:
    fact = ParsedFact()
    logins = parse_lastlog_output(OUTPUT, "cmd:lastlog", fact)
    assert logins["root"]["time"] == int(dt.datetime(2026, 11, 25, 9, 12, 44, tzinfo=dt.UTC).timestamp())
    assert (logins["root"]["port"], logins["root"]["from"]) == ("pts/0", "10.20.0.15")
    assert logins["pos"]["time"] == int(dt.datetime(2026, 11, 24, 6, 1, 2, tzinfo=dt.UTC).timestamp())
    assert logins["pos"]["from"] is None
    assert logins["a-very-long-user-name"]["from"] == "store-bo-01.example.internal"
    assert logins["daemon"]["time"] is None and logins["kiosk"]["line"] == 7
    assert any(":8: not a lastlog line" in w for w in fact.warnings)


def test_binary_records_by_uid() -> None:
    content = bytearray(RECORD.size * 1003)
    RECORD.pack_into(content, 0, NOW - 86400, b"pts/0", b"10.20.0.15")
    RECORD.pack_into(content, 1000 * RECORD.size, NOW - 100 * 86400, b"tty1\0junk", b"")
    logins = parse_lastlog_binary(bytes(content), {0: "root", 1000: "pos", 1002: "support", 5000: "far"},
                                  "/var/log/lastlog", ParsedFact())
    assert logins["root"]["time"] == NOW - 86400 and logins["root"]["from"] == "10.20.0.15"
    assert logins["pos"]["port"] == "tty1"
    assert logins["support"]["time"] is None  # zeroed record: never
    assert logins["far"]["time"] is None and "no record" in logins["far"]["excerpt"]


def test_join_counts_days_and_who_can_log_in() -> None:
    from hardencheck.facts.parsers.accounts import parse_accounts

    accounts = parse_accounts(PASSWD, SHADOW, None).data
    logins = parse_lastlog_output(OUTPUT, "cmd:lastlog", ParsedFact())
    users = {u["name"]: u for u in join_accounts(accounts, logins, NOW, "cmd:lastlog", ParsedFact())}
    assert users["root"]["inactive_days"] == 2 and users["root"]["enabled"] is True
    assert users["support"]["inactive_days"] == 412
    assert users["kiosk"]["never_logged_in"] and users["kiosk"]["inactive_days"] == (NOW // 86400) - 19480
    assert users["daemon"]["enabled"] is False  # nologin shell
    assert users["retired"]["enabled"] is False and users["retired"]["locked"] is True
    assert users["ghost"]["expired"] is True and users["ghost"]["enabled"] is False
    assert users["ghost"]["inactive_days"] is None and users["ghost"]["inactive_basis"] == "no login record"


def test_probe_reads_the_command_where_it_ran_and_uses_the_auditor_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hardencheck.facts.probes.lastlog.time.time", lambda: float(NOW))
    files = {"/etc/passwd": PASSWD, "/etc/shadow": SHADOW}
    fact = parse(LastlogProbe(), files, {"lastlog": OUTPUT, "date_s": "1\n"})  # a target's clock is not asked
    assert fact.data["source"] == "cmd:lastlog" and fact.data["now_source"] == "auditor clock"
    support = next(u for u in fact.data["users"] if u["name"] == "support")
    assert support["inactive_days"] == 412 and support["from"] == "203.0.113.77"
    index = fact.data["users"].index(support)
    assert fact.locations[f"users/{index}"].excerpt.startswith("support")
    ghost = fact.data["users"].index(next(u for u in fact.data["users"] if u["name"] == "ghost"))
    assert fact.locations[f"users/{ghost}"].source == "/etc/passwd"  # no record: the account's own line


def test_probe_falls_back_to_the_binary_file_on_a_config_directory() -> None:
    content = bytearray(RECORD.size * 1001)
    RECORD.pack_into(content, 1000 * RECORD.size, NOW - 3 * 86400, b"tty1", b"")
    files = {"/etc/passwd": PASSWD, "/etc/shadow": SHADOW, "/var/log/lastlog": bytes(content)}
    fact = parse(LastlogProbe(), files, host=False)
    assert fact.data["source"] == "/var/log/lastlog" and fact.data["now_source"] == "auditor clock"
    pos = next(u for u in fact.data["users"] if u["name"] == "pos")
    assert pos["last_login"] is not None


def test_probe_without_any_source_or_passwd_is_unavailable() -> None:
    with pytest.raises(FactUnavailable, match="lastlog"):
        parse(LastlogProbe(), {"/etc/passwd": PASSWD}, {"lastlog": ("", 1)})
    with pytest.raises(FactUnavailable, match="/etc/passwd"):
        parse(LastlogProbe(), {}, {"lastlog": OUTPUT})


def test_hostile_output_never_raises() -> None:
    junk = "root \x1b[31m**Never logged in**\nx" + "\x00" * 10 + "\n" + "y " * 40000 + "\n"
    parse_lastlog_output(junk, "cmd:lastlog", ParsedFact())
    parse_lastlog_binary(b"\xff" * 100, {0: "root", -1: "odd"}, "/var/log/lastlog", ParsedFact())
    assert struct.calcsize("<i32s256s") == RECORD.size == 292


def test_the_command_is_only_run_where_the_binary_file_cannot_be_read() -> None:
    """Most hosts have a readable /var/log/lastlog: the collector skips `lastlog` there and the probe
    decodes the file (one process fewer per host)."""
    (cmd,) = LastlogProbe().request({}).commands
    assert cmd.argv == ("lastlog",) and cmd.skip_if_readable == "/var/log/lastlog"
    content = bytearray(RECORD.size * 1001)
    RECORD.pack_into(content, 1000 * RECORD.size, NOW - 3 * 86400, b"tty1", b"")
    files = {"/etc/passwd": PASSWD, "/etc/shadow": SHADOW, "/var/log/lastlog": bytes(content)}
    fact = parse(LastlogProbe(), files, {"lastlog": ("", None, "skipped")})
    assert fact.data["source"] == "/var/log/lastlog"
