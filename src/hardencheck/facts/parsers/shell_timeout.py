"""``TMOUT`` in the system-wide shell start-up files: does an idle shell log itself out?

bash ends an interactive shell after ``TMOUT`` seconds without input; it
only holds if the user cannot unset it, i.e. it is ``readonly``. The files
are read in the order a Debian login shell sources them (/etc/bash.bashrc,
/etc/profile, then /etc/profile.d/*.sh; RHEL's /etc/bashrc like
bash.bashrc); once TMOUT is readonly, later assignments fail, as in bash.
Conditions (``if``) are not evaluated: every assignment is assumed to run,
and the fact lists each one so an odd setup can be judged by a person.
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

_SEGMENT_SPLIT = re.compile(r";|&&|\|\||\bthen\b|\bdo\b|\belse\b")
_ASSIGN = re.compile(r"^(?:(export|readonly|declare|typeset|local)((?:\s+-[a-zA-Z]+)*)\s+)?TMOUT=(\S*)$")
_DECLARE_ONLY = re.compile(r"^(export|readonly|declare|typeset)((?:\s+-[a-zA-Z]+)*)\s+(.*)$")


def parse_shell_timeout(files: list[tuple[str, str]]) -> ParsedFact:
    """``files``: ``(path, text)`` in sourcing order."""
    fact = ParsedFact()
    events: list[dict[str, Any]] = []
    for path, text in files:
        for number, line in iter_lines(text, fact, path):
            body = line.split("#", 1)[0].strip() if not line.strip().startswith("#") else ""
            if "TMOUT" not in body:
                continue
            for segment in _SEGMENT_SPLIT.split(body):
                event = _event(segment.strip(), path, number, line, fact)
                if event is not None:
                    events.append(event)
    value: int | None = None
    readonly = False
    value_event: dict[str, Any] | None = None
    readonly_event: dict[str, Any] | None = None
    assignments = []
    for event in events:
        if event["value"] is not None or event["kind"] == "assign":
            assignments.append({k: event[k] for k in ("file", "line", "value", "readonly")})
            fact.locations[f"assignments/{len(assignments) - 1}"] = event["where"]
            if not readonly and event["value"] is not None:
                value, value_event = event["value"], event
        if event["readonly"] and not readonly:
            readonly, readonly_event = True, event
    fact.data = {
        "files": [p for p, _ in files],
        "assignments": assignments,
        "effective_seconds": value,
        "readonly": readonly,
        "max_assigned_seconds": max((a["value"] for a in assignments if a["value"] is not None), default=None),
    }
    if value_event is not None:
        fact.locations["effective_seconds"] = value_event["where"]
    if readonly_event is not None:
        fact.locations["readonly"] = readonly_event["where"]
    elif value_event is not None:
        fact.locations["readonly"] = value_event["where"]
    return fact


def _event(segment: str, path: str, number: int, line: str, fact: ParsedFact) -> dict[str, Any] | None:
    segment = re.sub(r"^(if|\[|\[\[|test)\b.*$", "", segment).strip() if segment.startswith(("if ", "[")) else segment
    where = Location(path, number, excerpt(line))
    match = _ASSIGN.match(segment)
    if match:
        builtin, flags, raw = match.group(1), match.group(2) or "", match.group(3).strip("\"'")
        seconds = int(raw) if raw.isdigit() else None
        if seconds is None:
            warn(fact, f"{path}:{number}: TMOUT={show(raw)} is not a number of seconds")
        ro = builtin == "readonly" or (builtin in ("declare", "typeset") and "r" in flags.replace("-", ""))
        return {"kind": "assign", "value": seconds, "readonly": ro, "file": path, "line": number, "where": where}
    match = _DECLARE_ONLY.match(segment)
    if match and "TMOUT" in match.group(3).split():
        builtin, flags = match.group(1), match.group(2) or ""
        ro = builtin == "readonly" or (builtin in ("declare", "typeset") and "r" in flags.replace("-", ""))
        if ro:
            return {"kind": "readonly", "value": None, "readonly": True, "file": path, "line": number,
                    "where": where}
    return None
