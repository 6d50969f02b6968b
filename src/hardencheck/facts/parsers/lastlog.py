"""Last logins per account: ``lastlog`` output or the binary /var/log/lastlog, joined with the accounts.

PCI DSS 8.2.6 asks for accounts unused for 90 days to be removed or
disabled, so each account gets ``inactive_days``: days since its last
login, or — never logged in — days since its password was last set (the
closest thing to a creation date Linux keeps). Only accounts that can still
log in with a password are ``enabled``: an interactive shell, not expired,
and a password field not starting with ``!`` or ``*`` (``passwd -l`` /
``usermod -L``). Key-only accounts with a locked password are not counted
here; the authorized_keys checks cover them.

The binary file is ``struct lastlog`` (glibc, 64-bit Linux: ``int32
ll_time; char ll_line[32]; char ll_host[256]``, 292 bytes) indexed by UID.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import clean, excerpt, iter_lines, warn

RECORD = struct.Struct("<i32s256s")
_DATE = re.compile(r"(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d [+-]\d{4} \d{4})\s*$")
_NEVER = "**Never logged in**"


def parse_lastlog_output(text: str, source: str, fact: ParsedFact) -> dict[str, dict[str, Any]]:
    """``lastlog`` (shadow-utils) output -> ``{user: {time, port, from, line}}``; ``time`` None = never."""
    out: dict[str, dict[str, Any]] = {}
    for number, line in iter_lines(text, fact, source):
        if not line.strip() or line.startswith("Username"):
            continue
        name = line.split(None, 1)[0]
        rest = line[len(name):]
        if rest.strip() == _NEVER or rest.rstrip().endswith(_NEVER):
            out.setdefault(name, {"time": None, "port": None, "from": None, "line": number, "excerpt": excerpt(line)})
            continue
        match = _DATE.search(rest)
        if match is None:
            warn(fact, f"{source}:{number}: not a lastlog line")
            continue
        try:
            when = dt.datetime.strptime(re.sub(r"\s+", " ", match.group(1)), "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            warn(fact, f"{source}:{number}: unreadable date")
            continue
        middle = rest[: match.start()].split()
        out.setdefault(name, {"time": int(when.timestamp()), "port": clean(middle[0]) if middle else None,
                              "from": clean(" ".join(middle[1:])) or None if len(middle) > 1 else None,
                              "line": number, "excerpt": excerpt(line)})
    return out


def parse_lastlog_binary(content: bytes, uids: dict[int, str], source: str,
                         fact: ParsedFact) -> dict[str, dict[str, Any]]:
    """The binary file, for the UIDs of known accounts -> same shape as :func:`parse_lastlog_output`."""
    out: dict[str, dict[str, Any]] = {}
    for uid, name in uids.items():
        offset = uid * RECORD.size
        if uid < 0 or offset + RECORD.size > len(content):
            out[name] = {"time": None, "port": None, "from": None, "line": None, "excerpt": f"uid {uid}: no record"}
            continue
        when, line, host = RECORD.unpack_from(content, offset)
        port = clean(line.split(b"\0", 1)[0].decode("utf-8", "replace")) or None
        origin = clean(host.split(b"\0", 1)[0].decode("utf-8", "replace")) or None
        stamp = _iso(when) if when > 0 else "never"
        out[name] = {"time": when if when > 0 else None, "port": port, "from": origin, "line": None,
                     "excerpt": f"uid {uid}: {stamp} {port or ''} {origin or ''}".strip()}
    return out


def join_accounts(accounts: dict[str, Any], logins: dict[str, dict[str, Any]], now: int, source: str,
                  fact: ParsedFact, account_locations: dict[str, Location] | None = None) -> list[dict[str, Any]]:
    """One entry per account with its last login and ``inactive_days`` (``None`` when unknown).

    Evidence points at the login record, or at the account's passwd line when there is none.
    """
    today = now // 86400
    users: list[dict[str, Any]] = []
    for account in accounts.get("users", []):
        name = account["name"]
        login = logins.get(name)
        password = account.get("password") or {}
        expire = account.get("expire_days")
        expired = expire is not None and expire <= today
        locked = bool(password.get("locked"))
        enabled = bool(account.get("interactive")) and not expired and not locked
        last = login["time"] if login else None
        changed = account.get("last_change_days")
        if last is not None:
            inactive: int | None = max(0, (now - last) // 86400)
            basis = "last login"
        elif login is not None and changed is not None and changed > 0:
            inactive, basis = max(0, today - changed), "never logged in; days since the password was set"
        else:
            inactive, basis = None, "no login record" if login is None else "never logged in; no password date"
        index = len(users)
        if login is not None:
            fact.locations[f"users/{index}"] = Location(source, login.get("line"), login["excerpt"])
        elif account_locations and f"users/{accounts['users'].index(account)}" in account_locations:
            fact.locations[f"users/{index}"] = account_locations[f"users/{accounts['users'].index(account)}"]
        users.append({"name": name, "uid": account.get("uid"), "enabled": enabled, "interactive":
                      bool(account.get("interactive")), "locked": locked, "expired": expired,
                      "last_login": _iso(last) if last else None, "from": login.get("from") if login else None,
                      "never_logged_in": login is not None and last is None, "inactive_days": inactive,
                      "inactive_basis": basis})
    return users


def _iso(stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
