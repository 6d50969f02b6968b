"""sudoers(5), read as sudo 1.9 reads it — and never by running sudo or visudo.

The questions after a breach: who can become root without typing a password
(``NOPASSWD``), and is re-authentication switched off (``!authenticate``,
a negative ``timestamp_timeout``)? So every user specification is flattened
to one rule per command, with the Runas and tags in force for that command
(sudo carries both from one command to the next in a list, until changed)
and with aliases expanded, and every ``Defaults`` entry is listed with its
scope. Includes are followed in file order (``@include``/``#include``,
``@includedir``/``#includedir``, where sudo skips names containing ``.`` or
ending in ``~``), since a later ``Defaults`` overrides an earlier one.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

ReadFn = Callable[[str], "str | None"]
ListFn = Callable[[str], "list[str] | None"]
"""Names of the files collected in a folder; ``None`` when the folder was not collected."""

TAGS = frozenset({"NOPASSWD", "PASSWD", "NOEXEC", "EXEC", "SETENV", "NOSETENV", "LOG_INPUT", "NOLOG_INPUT",
                  "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL", "NOMAIL", "FOLLOW", "NOFOLLOW", "INTERCEPT",
                  "NOINTERCEPT"})
_FAMILY = {tag: tag[2:] if tag.startswith("NO") and tag[2:] in TAGS else tag for tag in TAGS}
"""A tag and its opposite share a family (``NOPASSWD``/``PASSWD`` -> ``PASSWD``); the later one wins."""
OPTIONS = frozenset({"ROLE", "TYPE", "CWD", "CHROOT", "TIMEOUT", "NOTBEFORE", "NOTAFTER", "APPARMOR_PROFILE",
                     "PRIVS", "LIMITPRIVS"})
ALIAS_KINDS = {"User_Alias": "user", "Runas_Alias": "runas", "Host_Alias": "host", "Cmnd_Alias": "cmnd",
               "Cmd_Alias": "cmnd"}
MAX_DEPTH = 8
MAX_RULES = 5000
_SCOPES = {"@": "host", ":": "user", ">": "runas", "!": "command"}


def parse_sudoers(read: ReadFn, list_dir: ListFn, main: str = "/etc/sudoers") -> ParsedFact:
    """Parse ``main`` and what it includes. ``list_dir(dir)`` lists the files available in ``dir``."""
    fact = ParsedFact()
    state = _State(read, list_dir, fact)
    state.load(main, 0)
    data = fact.data = state.data
    globals_ = [d for d in data["defaults"] if d["scope"] == "global"]
    timeout = next((d for d in reversed(globals_) if d["name"] == "timestamp_timeout" and not d["negated"]), None)
    data["timestamp_timeout"] = timeout["value"] if timeout else None
    auth = next((d for d in reversed(globals_) if d["name"] == "authenticate"), None)
    data["authenticate"] = not auth["negated"] if auth else True
    if timeout is not None:
        fact.locations["timestamp_timeout"] = fact.locations[f"defaults/{data['defaults'].index(timeout)}"]
    if auth is not None:
        fact.locations["authenticate"] = fact.locations[f"defaults/{data['defaults'].index(auth)}"]
    data["nopasswd_rules"] = sum(1 for r in data["rules"] if r["nopasswd"])
    return fact


class _State:
    def __init__(self, read: ReadFn, list_dir: ListFn, fact: ParsedFact):
        self.read = read
        self.list_dir = list_dir
        self.fact = fact
        self.data: dict[str, Any] = {"files": [], "defaults": [], "rules": [], "includes": [],
                                     "aliases": {k: {} for k in ("user", "runas", "host", "cmnd")}}
        self.loading: list[str] = []

    def load(self, path: str, depth: int) -> bool:
        text = self.read(path)
        if text is None:
            return False
        self.loading.append(path)
        self.data["files"].append(path)
        for number, line in _logical_lines(text, self.fact, path):
            self._line(line, number, path, depth)
        self.loading.pop()
        return True

    def _line(self, line: str, number: int, path: str, depth: int) -> None:
        stripped = line.strip()
        match = re.match(r"^[@#](include|includedir)\s+(.+)$", stripped)
        if match:
            self._include(match.group(1), _unquote(match.group(2).strip()), path, number, line, depth)
            return
        body = _strip_comment(stripped)
        if not body:
            return
        word = body.split(None, 1)[0]
        if re.match(r"^Defaults([@:>!]|\s|$)", body):
            self._defaults(body, path, number, line)
        elif word in ALIAS_KINDS:
            self._aliases(ALIAS_KINDS[word], body[len(word):], path, number)
        else:
            self._user_spec(body, path, number, line)

    def _include(self, kind: str, target: str, path: str, number: int, line: str, depth: int) -> None:
        target = target.replace("%h", "localhost")
        if not target.startswith("/"):
            target = posixpath.join(posixpath.dirname(path), target)
        record = {"directive": kind, "target": target, "source": path, "line": number, "followed": False}
        self.fact.locations[f"includes/{len(self.data['includes'])}"] = Location(path, number, excerpt(line))
        self.data["includes"].append(record)
        if target in self.loading or depth >= MAX_DEPTH:
            warn(self.fact, f"{path}:{number}: include loop or nesting deeper than {MAX_DEPTH}; not followed")
            return
        if kind == "include":
            record["followed"] = self.load(target, depth + 1)
        else:
            listing = self.list_dir(target.rstrip("/"))
            names = [n for n in listing or [] if "." not in n and not n.endswith("~")]
            for name in sorted(set(listing or []) - set(names)):
                warn(self.fact, f"{target}/{name}: ignored by sudo (name contains '.' or ends in '~')")
            record["followed"] = listing is not None
            for name in sorted(names):
                file = f"{target.rstrip('/')}/{name}"
                if file in self.loading:
                    warn(self.fact, f"{path}:{number}: {file} includes itself; not followed again")
                    continue
                self.load(file, depth + 1)
        if not record["followed"]:
            warn(self.fact, f"{path}:{number}: {kind} {show(target)} was not collected; its rules are unknown")

    def _defaults(self, body: str, path: str, number: int, line: str) -> None:
        match = re.match(r"^Defaults(?:([@:>!])((?:\\.|[^\s\\])+))?\s*(.*)$", body)
        if match is None:
            warn(self.fact, f"{path}:{number}: unreadable Defaults line")
            return
        scope = _SCOPES.get(match.group(1) or "", "global")
        binding = match.group(2)
        for item in _split(match.group(3), ","):
            item = item.strip()
            if not item:
                continue
            negated = item.startswith("!")
            name_part = item.lstrip("!").strip()
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*([+-]?=)?\s*(.*)$", name_part)
            if m is None:
                warn(self.fact, f"{path}:{number}: unreadable Defaults entry {show(item)}")
                continue
            value: Any = _unquote(m.group(3).strip()) if m.group(2) else None
            if m.group(1) in ("timestamp_timeout", "passwd_timeout") and value is not None:
                value = _number(value)
            index = len(self.data["defaults"])
            self.fact.locations[f"defaults/{index}"] = Location(path, number, excerpt(line))
            self.data["defaults"].append({"name": m.group(1), "value": value, "negated": negated,
                                          "operator": m.group(2), "scope": scope, "binding": binding,
                                          "source": path, "line": number})

    def _aliases(self, kind: str, rest: str, path: str, number: int) -> None:
        for part in _split(rest, ":"):
            name, sep, members = part.partition("=")
            name = name.strip()
            if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                warn(self.fact, f"{path}:{number}: unreadable alias definition {show(part)}")
                continue
            self.data["aliases"][kind][name] = [m.strip() for m in _split(members, ",") if m.strip()]

    def _user_spec(self, body: str, path: str, number: int, line: str) -> None:
        users, rest = _take_list(body)
        if not users or not rest:
            warn(self.fact, f"{path}:{number}: not a sudoers line: {show(body)}")
            return
        expanded_users = self._expand("user", users)
        for hosts_text, commands_text in _host_groups(rest):
            hosts = [h.strip() for h in _split(hosts_text, ",") if h.strip()]
            runas: str | None = None
            tags: dict[str, str] = {}
            options: dict[str, str] = {}
            for item in _split(commands_text, ","):
                runas, tags, options, command = _command_item(item, runas, tags, options)
                if not command:
                    warn(self.fact, f"{path}:{number}: empty command in {show(item)}")
                    continue
                for cmd, via in self._commands(command):
                    self._add_rule(expanded_users, users, hosts, runas, tags, options, cmd, via, path, number, line)

    def _commands(self, command: str) -> list[tuple[str, str | None]]:
        negated = command.startswith("!")
        name = command.lstrip("!").strip()
        if name in self.data["aliases"]["cmnd"]:
            members = self._expand("cmnd", [name])
            return [(("!" if negated else "") + m, name) for m in members]
        return [(command, None)]

    def _expand(self, kind: str, items: list[str], depth: int = 0) -> list[str]:
        out: list[str] = []
        for item in items:
            negated = item.startswith("!")
            name = item.lstrip("!").strip()
            if name in self.data["aliases"][kind] and depth < MAX_DEPTH:
                for member in self._expand(kind, self.data["aliases"][kind][name], depth + 1):
                    out.append(("!" + member) if negated and not member.startswith("!") else member)
            else:
                out.append(item.strip())
        return list(dict.fromkeys(out))

    def _add_rule(self, users: list[str], written: list[str], hosts: list[str], runas: str | None,
                  tags: dict[str, str], options: dict[str, str], command: str, via: str | None, path: str,
                  number: int, line: str) -> None:
        rules = self.data["rules"]
        if len(rules) >= MAX_RULES:
            warn(self.fact, f"more than {MAX_RULES} sudo rules; the rest were not listed")
            return
        effective = sorted(tags.values())
        self.fact.locations[f"rules/{len(rules)}"] = Location(path, number, excerpt(line))
        rules.append({"users": users, "users_written": written, "hosts": hosts, "runas": runas,
                      "command": command, "command_alias": via, "tags": effective,
                      "nopasswd": tags.get("PASSWD") == "NOPASSWD", "options": dict(options),
                      "source": path, "line": number})


def _logical_lines(text: str, fact: ParsedFact, path: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, numbered by their first physical line."""
    out: list[tuple[int, str]] = []
    start: int | None = None
    buf: list[str] = []
    for number, line in iter_lines(text, fact, path):
        if start is None:
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        out.append((start, " ".join(buf)))
        start, buf = None, []
    if buf and start is not None:
        out.append((start, " ".join(buf)))
    return out


def _strip_comment(line: str) -> str:
    """Cut a ``#`` comment; ``#123`` (a uid) is not a comment, nor is ``#`` inside quotes or escaped."""
    quoted = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted and not (i + 1 < len(line) and line[i + 1].isdigit()):
            return line[:i].strip()
        i += 1
    return line.strip()


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quotes, escapes and a Runas ``(...)``; escapes are kept for later readers."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            buf.append(text[i:i + 2])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == "(" and not quoted:
            depth += 1
        elif c == ")" and not quoted and depth:
            depth -= 1
        if c == sep and not quoted and not depth:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(c)
        i += 1
    parts.append("".join(buf))
    return parts


def _take_list(text: str) -> tuple[list[str], str]:
    """Read a comma-separated word list from the start (``alice, %admin  ALL=...``) -> (items, rest)."""
    items: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        j = i
        quoted = False
        while j < n and (quoted or text[j] not in " \t,"):
            if text[j] == "\\":
                j += 1
            elif text[j] == '"':
                quoted = not quoted
            j += 1
        if j == i:
            break
        items.append(text[i:j])
        k = j
        while k < n and text[k] in " \t":
            k += 1
        if k < n and text[k] == ",":
            i = k + 1
            continue
        return items, text[k:]
    return items, text[i:]


def _host_groups(rest: str) -> list[tuple[str, str]]:
    """``host = cmnds : host = cmnds`` -> [(hosts, cmnds)], telling ``NOPASSWD:`` tags from separators."""
    groups: list[tuple[str, str]] = []
    hosts, sep, remainder = _partition_unescaped(rest, "=")
    while sep:
        commands, more = _command_list(remainder)
        groups.append((hosts, commands))
        if more is None:
            break
        hosts, sep, remainder = _partition_unescaped(more, "=")
    return groups


def _partition_unescaped(text: str, sep: str) -> tuple[str, str, str]:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == sep:
            return text[:i], sep, text[i + 1:]
        i += 1
    return text, "", ""


def _command_list(text: str) -> tuple[str, str | None]:
    """Cut the command list at the first ``:`` that is not part of a tag; the rest is the next host group."""
    i = 0
    item_start = 0
    depth = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif depth:
            pass
        elif c == ",":
            item_start = i + 1
        elif c == ":":
            head = text[item_start:i]
            if _is_tag_prefix(head):
                i += 1
                continue
            return text[:i], text[i + 1:]
        i += 1
    return text, None


def _is_tag_prefix(head: str) -> bool:
    """True when ``head`` is ``[(runas)] [OPTION=v ...] [TAG: ...] TAG`` (the ``:`` after it is a tag's)."""
    head = head.strip()
    head = re.sub(r"^\([^)]*\)\s*", "", head)
    words = head.replace(":", " ").split()
    if not words or words[-1] not in TAGS:
        return False
    return all(w in TAGS or (w.partition("=")[0] in OPTIONS and "=" in w) for w in words)


def _command_item(item: str, runas: str | None, tags: dict[str, str], options: dict[str, str]
                  ) -> tuple[str | None, dict[str, str], dict[str, str], str]:
    """One ``[(runas)] [OPTIONS] [TAGS:] command`` item; runas and tags carry over from the previous one."""
    text = item.strip()
    tags = dict(tags)
    options = dict(options)
    match = re.match(r"^\(([^)]*)\)\s*", text)
    if match:
        runas = "(" + match.group(1).strip() + ")"
        text = text[match.end():]
    while True:
        m = re.match(r"^([A-Z_]+):\s*", text)
        if m and m.group(1) in TAGS:
            tags[_FAMILY[m.group(1)]] = m.group(1)
            text = text[m.end():]
            continue
        m = re.match(r"^([A-Z_]+)=(\S+)\s+", text)
        if m and m.group(1) in OPTIONS:
            options[m.group(1)] = _unquote(m.group(2))
            text = text[m.end():]
            continue
        break
    return runas, tags, options, " ".join(text.split())


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _number(value: str) -> float | str:
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number
