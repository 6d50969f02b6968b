"""Which distribution a target runs, from os-release(5).

Checks branch on ``family`` (where PAM lives, which package format, which
defaults apply), so the family is derived once here from ``ID`` and
``ID_LIKE`` rather than by every check. The file is shell-assignment syntax;
values are unquoted and unescaped as os-release(5) specifies, but never
executed or expanded.
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

FAMILIES: dict[str, str] = {
    "debian": "debian",
    "ubuntu": "debian",
    "raspbian": "debian",
    "linuxmint": "debian",
    "kali": "debian",
    "pop": "debian",
    "devuan": "debian",
    "rhel": "rhel",
    "centos": "rhel",
    "fedora": "rhel",
    "rocky": "rhel",
    "almalinux": "rhel",
    "ol": "rhel",
    "amzn": "rhel",
    "sles": "suse",
    "sled": "suse",
    "suse": "suse",
    "opensuse": "suse",
    "opensuse-leap": "suse",
    "opensuse-tumbleweed": "suse",
    "alpine": "alpine",
    "arch": "arch",
    "manjaro": "arch",
    "endeavouros": "arch",
}
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")
_FIELDS = {
    "ID": "id",
    "VERSION_ID": "version_id",
    "VERSION_CODENAME": "version_codename",
    "PRETTY_NAME": "pretty_name",
    "NAME": "name",
}


def parse_os_release(text: str, source: str = "/etc/os-release") -> ParsedFact:
    """Parse os-release; unknown keys are kept under ``data["fields"]``."""
    fact = ParsedFact()
    fields: dict[str, str] = {}
    for number, line in iter_lines(text, fact, source):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.fullmatch(stripped)
        value = _unquote(match.group(2)) if match else None
        if match is None or value is None:
            warn(fact, f"{source}:{number}: not a KEY=value assignment: {show(stripped)}")
            continue
        fields[match.group(1)] = value
        fact.locations[match.group(1).lower()] = Location(source, number, excerpt(line))
    data: dict[str, Any] = {key: fields.get(name) for name, key in _FIELDS.items()}
    data["id"] = (data["id"] or "linux").lower()
    data["id_like"] = fields.get("ID_LIKE", "").lower().split()
    data["family"] = _family(data["id"], data["id_like"])
    data["fields"] = fields
    decided_by = "id" if data["id"] in FAMILIES else "id_like"
    if decided_by in fact.locations:
        fact.locations["family"] = fact.locations[decided_by]
    fact.data = data
    return fact


def _unquote(raw: str) -> str | None:
    """Resolve shell quoting as os-release(5) allows; ``None`` if a quote is left open.

    Inside double quotes only backslash, double quote, dollar and backtick
    can be escaped; an unquoted ``#`` after whitespace starts a comment.
    """
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(raw):
        char = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        if quote == "'":
            if char == "'":
                quote = ""
            else:
                out.append(char)
        elif quote == '"':
            if char == "\\" and nxt and nxt in '"\\$`':
                out.append(nxt)
                i += 1
            elif char == '"':
                quote = ""
            else:
                out.append(char)
        elif char in "'\"":
            quote = char
        elif char == "\\" and nxt:
            out.append(nxt)
            i += 1
        elif char == "#" and (i == 0 or raw[i - 1] in " \t"):
            break
        else:
            out.append(char)
        i += 1
    return None if quote else "".join(out).strip()


def _family(os_id: str, id_like: list[str]) -> str:
    for candidate in [os_id, *id_like]:
        family = FAMILIES.get(candidate) or ("suse" if candidate.startswith("opensuse") else None)
        if family:
            return family
    return "unknown"
