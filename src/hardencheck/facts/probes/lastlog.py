"""``lastlog``: each account's last login and how many days it has been unused.

The binary /var/log/lastlog is decoded where it can be read (it is read
anyway, in the one file archive); only where it cannot (Debian 13 moved to
lastlog2, or it is unreadable without root) is the ``lastlog`` command run
instead (shadow-utils), which saves the target a process on most hosts.
Accounts come from /etc/passwd and /etc/shadow so the fact can say which
accounts can still log in. "Now" is the auditor's clock: a compromised
target must not be able to make a dormant account look recently used by
turning its own clock back.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.accounts import parse_accounts
from hardencheck.facts.parsers.lastlog import join_accounts, parse_lastlog_binary, parse_lastlog_output
from hardencheck.facts.probes.common import command_output
from hardencheck.facts.raw import CommandSpec, FileSpec, ProbeRequest, RawAnswers

LASTLOG = "/var/log/lastlog"
ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group")
_MAX_UID_RECORDS = 60000


class LastlogProbe(Probe):
    name = "lastlog"
    description = "Last login per account (lastlog, or the binary /var/log/lastlog) and days unused."
    pure = False  # days unused are counted up to the auditor's clock at parse time

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(
            files=(*(FileSpec(p) for p in ACCOUNT_FILES), FileSpec(LASTLOG, max_bytes=292 * _MAX_UID_RECORDS)),
            commands=(CommandSpec("lastlog", ("lastlog",), timeout=20, max_bytes=4 * 1024 * 1024,
                                  skip_if_readable=LASTLOG),),
        )

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        passwd, shadow, group = (raw.text(p) for p in ACCOUNT_FILES)
        if passwd is None:
            raise FactUnavailable("/etc/passwd could not be read")
        parsed = parse_accounts(passwd, shadow, group)
        accounts = parsed.data
        fact = ParsedFact()
        now, now_source = int(time.time()), "auditor clock"
        source, logins = self._logins(raw, accounts, fact)
        fact.data = {"users": join_accounts(accounts, logins, now, source, fact, parsed.locations), "source": source,
                     "now": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "now_source": now_source,
                     "shadow_readable": shadow is not None}
        if shadow is None:
            fact.warnings.append("/etc/shadow not readable: lock and expiry state unknown, every interactive "
                                 "account is treated as able to log in")
        return fact

    @staticmethod
    def _logins(raw: RawAnswers, accounts: dict[str, Any], fact: ParsedFact
                ) -> tuple[str, dict[str, dict[str, Any]]]:
        try:
            cmd = command_output(raw, "lastlog")
        except FactUnavailable as exc:
            cmd = None
            fact.warnings.append(exc.reason)
        if cmd is not None and cmd.exit_code == 0 and cmd.text.strip():
            return cmd.label, parse_lastlog_output(cmd.text, cmd.label, fact)
        f = raw.file(LASTLOG)
        if f is None or f.status != "ok":
            raise FactUnavailable(f"`lastlog` did not run and {LASTLOG} is {f.status if f else 'not collected'}")
        if f.truncated:
            fact.warnings.append(f"{LASTLOG} is larger than read; accounts with high UIDs have no record")
        uids = {u["uid"]: u["name"] for u in accounts.get("users", []) if isinstance(u.get("uid"), int)}
        return LASTLOG, parse_lastlog_binary(f.content, uids, LASTLOG, fact)
