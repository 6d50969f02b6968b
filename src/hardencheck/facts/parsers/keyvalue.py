"""Flat ``KEY value`` / ``key = value`` files: login.defs, pwquality.conf, faillock.conf.

These files are small but security-critical (password ageing, lockout), and the
tools that read them disagree on details, so the two styles follow their
readers: whitespace style follows shadow-utils ``getdef.c`` (comments only at
line start, surrounding double quotes dropped), ``=`` style follows
libpwquality / pam_faillock (``#`` starts a comment anywhere, bare keys allowed).
"""

from __future__ import annotations

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn


def parse_keyvalue(
    text: str,
    source: str,
    *,
    separator: str | None = None,
    first_wins: bool = False,
    lowercase_keys: bool = False,
) -> ParsedFact:
    """Parse a flat settings file into ``{KEY: "value"}``.

    Values stay strings: checks coerce them, and keeping ``"077"`` as written
    matters for octal settings like ``UMASK``. A key given without a value
    (faillock's ``even_deny_root``) maps to ``""``. Duplicates are resolved
    last-wins (what the readers above do) unless ``first_wins``; either way a
    warning names both lines, because a duplicate is how a hardening edit gets
    silently undone further down a file.
    """
    fact = ParsedFact()
    seen: dict[str, int] = {}
    for number, line in iter_lines(text, fact, source):
        parsed = _split(line, separator)
        if parsed is None:
            continue
        key, value = parsed
        if not key or any(ord(c) < 32 or ord(c) == 127 for c in key):
            warn(fact, f"{source}:{number}: unreadable key {show(key)} skipped")
            continue
        if lowercase_keys:
            key = key.lower()
        if key in seen:
            keep_first = first_wins
            winner = seen[key] if keep_first else number
            warn(fact, f"{source}: {show(key)} set on line {seen[key]} and line {number}; line {winner} wins")
            if keep_first:
                continue
        seen[key] = number
        fact.data[key] = value
        fact.locations[key] = Location(source, number, excerpt(line))
    return fact


def _split(line: str, separator: str | None) -> tuple[str, str] | None:
    """Split one line into key and value, or ``None`` for blanks and comments."""
    stripped = line.strip(" \t\r\f\v")
    if not stripped or stripped.startswith("#"):
        return None
    if separator is None:
        parts = stripped.split(None, 1)
        key = parts[0]
        value = parts[1] if len(parts) > 1 else ""
        value = value.lstrip(' \t"')
        return key, value.split('"', 1)[0].rstrip()
    stripped = stripped.split("#", 1)[0].strip()
    if not stripped:
        return None
    key, sep, value = stripped.partition(separator)
    return key.strip(), value.strip() if sep else ""
