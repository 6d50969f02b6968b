"""File listings with modes and owners, as the file-hunting probes print them.

``private_keys``, ``suid_files`` and ``world_writable`` each run a bounded
``find`` on the target and print one tab-separated line per file, the path
last (``find -printf``; NUL-terminated and newlines in names turned into
``?`` on the target, so a hostile name cannot forge a line). This module
turns those lines into entries with the mode decoded, so checks can say
"readable by others" without doing octal arithmetic.
"""

from __future__ import annotations

from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import clean, excerpt, iter_lines, show, warn
from hardencheck.facts.parsers.pan import mask_digits

MAX_ENTRIES = 5000


def mode_bits(mode: str) -> dict[str, Any] | None:
    """``"4755"`` -> flags; None when the text is not an octal mode."""
    if not mode or len(mode) > 5 or any(c not in "01234567" for c in mode):
        return None
    m = int(mode, 8)
    return {
        "mode": f"{m & 0o7777:04o}",
        "setuid": bool(m & 0o4000),
        "setgid": bool(m & 0o2000),
        "sticky": bool(m & 0o1000),
        "group_readable": bool(m & 0o040),
        "group_writable": bool(m & 0o020),
        "other_readable": bool(m & 0o004),
        "other_writable": bool(m & 0o002),
    }


def parse_listing(text: str, source: str, fields: tuple[str, ...], tag: str | None = None,
                  fact: ParsedFact | None = None) -> tuple[ParsedFact, list[dict[str, Any]]]:
    """Lines of ``fields`` (tab-separated, ``path`` implied last; ``mode`` decoded if present).

    With ``tag``, only lines starting with ``tag<TAB>`` are read; others are left
    to the caller. Returns the fact (locations ``entries/N`` point at the file
    itself) and the entries.
    """
    fact = fact if fact is not None else ParsedFact()
    entries: list[dict[str, Any]] = []
    for number, line in iter_lines(text, fact, source):
        if not line:
            continue
        if tag is not None:
            if not line.startswith(tag + "\t"):
                continue
            line = line[len(tag) + 1:]
        parts = line.split("\t", len(fields))
        if len(parts) != len(fields) + 1 or not parts[-1].startswith("/"):
            warn(fact, f"{source}:{number}: not a file line: {show(line)}")
            continue
        entry: dict[str, Any] = {"path": clean(mask_digits(parts[-1]))}
        for name, value in zip(fields, parts):
            entry[name] = clean(value)
        if "mode" in fields:
            bits = mode_bits(entry["mode"])
            if bits is None:
                warn(fact, f"{source}:{number}: not an octal mode: {show(entry['mode'])}")
                continue
            entry.update(bits)
        if "size" in entry:
            entry["size"] = int(entry["size"]) if entry["size"].isdigit() else None
        if len(entries) >= MAX_ENTRIES:
            warn(fact, f"{source}: more than {MAX_ENTRIES} files listed; the rest were dropped")
            break
        fact.locations[f"entries/{len(entries)}"] = Location(entry["path"], None, excerpt(
            " ".join(f"{k}={entry[k]}" for k in fields if k not in ("size",) and entry.get(k) not in (None, ""))))
        entries.append(entry)
    return fact, entries
