"""Local accounts from /etc/passwd, /etc/shadow and /etc/group.

The auditor needs to know *how* each account authenticates (empty password,
locked, hash scheme, ageing), never the hash itself: a report that leaks
hashes would hand an attacker offline cracking material. So a hash is
classified here and dropped — it is not in ``data``, is replaced by
``<redacted:ALGO>`` in excerpts, and warnings about a malformed line never
quote the line.

Which password counts follows pam_unix: the passwd field is used unless it
is ``x``, in which case the shadow entry is (so an empty passwd field means
"no password" even when shadow has a hash).
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, to_int, warn

NON_INTERACTIVE_SHELLS = frozenset({"nologin", "false", "true", "sync", "halt", "shutdown"})
_SCHEMES = (
    ("$y$", "yescrypt"),
    ("$gy$", "gost-yescrypt"),
    ("$7$", "scrypt"),
    ("$6$", "sha512"),
    ("$5$", "sha256"),
    ("$1$", "md5"),
    ("$2a$", "bcrypt"),
    ("$2b$", "bcrypt"),
    ("$2x$", "bcrypt"),
    ("$2y$", "bcrypt"),
)
_DES = re.compile(r"[./0-9A-Za-z]{13}|_[./0-9A-Za-z]{19}")
_SHADOW_NUMBERS = ("last_change_days", "min_days", "max_days", "warn_days", "inactive_days", "expire_days")


def parse_accounts(
    passwd: str | None,
    shadow: str | None,
    group: str | None,
    *,
    sources: tuple[str, str, str] = ("/etc/passwd", "/etc/shadow", "/etc/group"),
) -> ParsedFact:
    """Parse the three account databases; ``None`` means the file could not be read."""
    fact = ParsedFact()
    passwd_src, shadow_src, group_src = sources
    shadows = _read_shadow(shadow, shadow_src, fact)
    users: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in iter_lines(passwd, fact, passwd_src):
        fields = _fields(line, 7, passwd_src, number, fact)
        if fields is None:
            continue
        name, pw_field, uid, gid, gecos, home, shell = fields
        if to_int(uid) is None or to_int(gid) is None:
            warn(fact, f"{passwd_src}:{number}: non-numeric uid/gid; entry skipped")
            continue
        if name in seen:
            warn(fact, f"{passwd_src}:{number}: user {show(name)} listed twice")
        seen.add(name)
        index = len(users)
        user = _user(name, pw_field, uid, gid, gecos, home, shell, shadows.get(name), shadow is not None)
        users.append(user)
        fact.locations[f"users/{index}"] = Location(passwd_src, number, _redacted_line(line, 1))
        if user["password_source"] == "shadow":
            shadow_line, shadow_number = shadows[name]["_line"]
            fact.locations[f"users/{index}/password"] = Location(
                shadow_src, shadow_number, _redacted_line(shadow_line, 1)
            )
        elif user["password_source"] == "passwd":
            fact.locations[f"users/{index}/password"] = fact.locations[f"users/{index}"]
        if shadow is not None and name not in shadows:
            warn(fact, f"{passwd_src}:{number}: user {show(name)} has no shadow entry")
    known = {u["name"] for u in users}
    for name, entry in shadows.items():
        if name not in known:
            warn(fact, f"{shadow_src}:{entry['_line'][1]}: shadow entry without a passwd user")
    fact.data = {
        "users": users,
        "groups": _groups(group, group_src, fact),
        "shadow_readable": shadow is not None,
    }
    return fact


def classify_password(field: str) -> dict[str, Any]:
    """Describe a password field without keeping it."""
    locked = field.startswith(("!", "*"))
    body = field.lstrip("!")
    algorithm = _algorithm(body)
    return {
        "algorithm": algorithm,
        "empty": field == "",
        "locked": locked,
        "no_password": locked and algorithm in ("none", "unknown"),
    }


def _algorithm(body: str) -> str:
    if body == "" or set(body) <= {"*", "!"}:
        return "none"
    for prefix, name in _SCHEMES:
        if body.startswith(prefix):
            return name
    return "des" if _DES.fullmatch(body) else "unknown"


def _user(
    name: str,
    pw_field: str,
    uid: str,
    gid: str,
    gecos: str,
    home: str,
    shell: str,
    shadow_entry: dict[str, Any] | None,
    shadow_readable: bool,
) -> dict[str, Any]:
    if pw_field != "x":
        password: dict[str, Any] | None = classify_password(pw_field)
        source: str | None = "passwd"
    elif shadow_entry is not None:
        password, source = shadow_entry["password"], "shadow"
    else:
        password, source = None, None
    user: dict[str, Any] = {
        "name": name,
        "uid": to_int(uid),
        "gid": to_int(gid),
        "gecos": gecos,
        "home": home,
        "shell": shell,
        "interactive": shell.rsplit("/", 1)[-1] not in NON_INTERACTIVE_SHELLS,
        "password": password,
        "password_source": source,
        "shadow": shadow_entry is not None,
    }
    for key in _SHADOW_NUMBERS:
        user[key] = shadow_entry[key] if shadow_entry else None
    return user


def _read_shadow(text: str | None, source: str, fact: ParsedFact) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for number, line in iter_lines(text, fact, source):
        fields = _fields(line, 9, source, number, fact, allow_short=True)
        if fields is None:
            continue
        name, pw_field, *numbers = fields
        entry: dict[str, Any] = {"password": classify_password(pw_field), "_line": (line, number)}
        for key, raw in zip(_SHADOW_NUMBERS, numbers):
            entry[key] = to_int(raw)
            if raw.strip() and entry[key] is None:
                warn(fact, f"{source}:{number}: {key} is not a number")
        if name in entries:
            warn(fact, f"{source}:{number}: duplicate shadow entry; the first one is used")
            continue
        entries[name] = entry
    return entries


def _groups(text: str | None, source: str, fact: ParsedFact) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for number, line in iter_lines(text, fact, source):
        fields = _fields(line, 4, source, number, fact)
        if fields is None:
            continue
        name, _, gid, members = fields
        if to_int(gid) is None:
            warn(fact, f"{source}:{number}: non-numeric gid; entry skipped")
            continue
        fact.locations[f"groups/{len(groups)}"] = Location(source, number, _redacted_line(line, 1))
        groups.append({"name": name, "gid": to_int(gid), "members": [m for m in members.split(",") if m]})
    return groups


def _fields(
    line: str, count: int, source: str, number: int, fact: ParsedFact, allow_short: bool = False
) -> list[str] | None:
    """Split a colon line; malformed lines are reported by number only (they may hold a hash)."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    if line[:1] in "+-":
        warn(fact, f"{source}:{number}: NIS compat entry skipped")
        return None
    fields = line.split(":")
    if allow_short and 2 <= len(fields) < count:
        fields += [""] * (count - len(fields))
    if len(fields) != count or not fields[0]:
        warn(fact, f"{source}:{number}: malformed entry skipped ({len(fields)} fields, expected {count})")
        return None
    return fields


def _redacted_line(line: str, field: int) -> str:
    """The line with its password field replaced by ``<redacted:ALGO>`` when it holds a secret."""
    fields = line.split(":")
    if len(fields) > field:
        value = fields[field]
        if value not in ("", "x") and not set(value) <= {"!", "*"}:
            prefix = value[: len(value) - len(value.lstrip("!*"))]
            fields[field] = f"{prefix}<redacted:{_algorithm(value.lstrip('!'))}>"
    return excerpt(":".join(fields))
