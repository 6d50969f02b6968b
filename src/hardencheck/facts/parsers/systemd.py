"""systemd unit files, read without systemd: what a unit runs, and for timers how often.

Whether a unit starts at boot is decided by links in ``*.wants/`` folders
(the probe sees those); what it runs is in the unit text, parsed here the
way ``systemd``'s ``config_parse`` reads it: ``[Section]`` headers,
``Key=Value`` lines, ``#``/``;`` comments only at line start, a trailing
backslash continues the line, and an empty ``ExecStart=`` resets the list
built so far (how drop-ins replace a command).

For timers the question an auditor asks is "at least weekly?", so each
timer gets ``interval_days``: the longest gap between two runs its
``OnCalendar=``/``OnUnitActiveSec=`` settings allow, or ``None`` where that
cannot be told from the text (an unusual calendar expression is reported,
never guessed).
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

EXEC_KEYS = ("ExecStart",)
OTHER_EXEC_KEYS = ("ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost", "ExecReload", "ExecCondition")
MAX_VALUES = 200
"""Values kept per key: a unit with thousands of ExecStartPre lines is hostile, not useful."""

_SHORTHANDS = {
    "minutely": 1 / 1440, "hourly": 1 / 24, "daily": 1.0, "weekly": 7.0, "monthly": 31.0,
    "quarterly": 92.0, "semiannually": 184.0, "yearly": 366.0, "annually": 366.0,
}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN_UNITS = {
    "us": 1e-6 / 86400, "usec": 1e-6 / 86400, "ms": 1e-3 / 86400, "msec": 1e-3 / 86400,
    "s": 1 / 86400, "sec": 1 / 86400, "second": 1 / 86400, "seconds": 1 / 86400,
    "m": 1 / 1440, "min": 1 / 1440, "minute": 1 / 1440, "minutes": 1 / 1440,
    "h": 1 / 24, "hr": 1 / 24, "hour": 1 / 24, "hours": 1 / 24,
    "d": 1.0, "day": 1.0, "days": 1.0, "w": 7.0, "week": 7.0, "weeks": 7.0,
    "month": 30.44, "months": 30.44, "M": 30.44, "y": 365.25, "year": 365.25, "years": 365.25,
}


def unit_type(name: str) -> str:
    """``auditd.service`` -> ``service``; names without a known suffix give ``unknown``."""
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    known = {"service", "timer", "socket", "path", "mount", "automount", "target", "swap", "slice", "scope",
             "device"}
    return suffix if suffix in known else "unknown"


def parse_unit(text: str, source: str, name: str, fact: ParsedFact, prefix: str) -> dict[str, Any]:
    """One unit's facts; locations go into ``fact`` under ``prefix`` (``units/3``)."""
    sections = _sections(text, source, fact)
    unit = sections.get("Unit", {})
    service = sections.get("Service", {})
    install = sections.get("Install", {})
    first = next((v[0] for sec in sections.values() for v in sec.values() if v), None)
    if first is not None:
        fact.locations.setdefault(prefix, Location(source, first[1], first[2]))
    entry: dict[str, Any] = {
        "description": _last(unit.get("Description")),
        "exec_start": _exec_values(service.get("ExecStart", []), fact, source, f"{prefix}/exec_start"),
        "exec_other": [],
        "user": _last(service.get("User")),
        "install_wanted_by": [w for value, _, _ in install.get("WantedBy", []) for w in value.split()],
        "timer": None,
    }
    for key in OTHER_EXEC_KEYS:
        entry["exec_other"].extend(f"{key}={cmd}" for cmd in _exec_values(service.get(key, []), None, source, ""))
    if unit_type(name) == "timer":
        entry["timer"] = _timer(sections.get("Timer", {}), name, source, fact, prefix)
    return entry


def _sections(text: str, source: str, fact: ParsedFact) -> dict[str, dict[str, list[tuple[str, int, str]]]]:
    """``{section: {key: [(value, line, excerpt), ...]}}`` in file order."""
    out: dict[str, dict[str, list[tuple[str, int, str]]]] = {}
    section: str | None = None
    pending: tuple[int, str] | None = None
    for number, line in iter_lines(text, fact, source):
        if pending is not None:
            start, buf = pending
            stripped = line.strip()
            if stripped.startswith(("#", ";")):
                continue
            if stripped.endswith("\\"):
                pending = (start, buf + " " + stripped[:-1])
                continue
            pending = None
            _assign(out, section, buf + " " + stripped, start, source, fact)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
            continue
        if stripped.endswith("\\"):
            pending = (number, stripped[:-1])
            continue
        _assign(out, section, stripped, number, source, fact)
    if pending is not None:
        _assign(out, section, pending[1], pending[0], source, fact)
    return out


def _assign(out: dict[str, dict[str, list[tuple[str, int, str]]]], section: str | None, line: str, number: int,
            source: str, fact: ParsedFact) -> None:
    key, sep, value = line.partition("=")
    key = key.strip()
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", key):
        warn(fact, f"{source}:{number}: not a Key=Value line: {show(line)}")
        return
    if section is None:
        warn(fact, f"{source}:{number}: assignment outside any [Section] ignored")
        return
    values = out.setdefault(section, {}).setdefault(key, [])
    if len(values) < MAX_VALUES:
        values.append((value.strip(), number, excerpt(line)))
    else:
        warn(fact, f"{source}:{number}: more than {MAX_VALUES} {show(key)} values; the rest ignored")


def _last(values: list[tuple[str, int, str]] | None) -> str | None:
    return values[-1][0] if values else None


def _exec_values(values: list[tuple[str, int, str]], fact: ParsedFact | None, source: str,
                 prefix: str) -> list[str]:
    """Commands in effect: an empty assignment clears the ones before it (systemd's reset rule)."""
    kept: list[tuple[str, int, str]] = []
    for value, number, text in values:
        if value == "":
            kept = []
        else:
            kept.append((value, number, text))
    if fact is not None and prefix:
        for index, (_, number, text) in enumerate(kept):
            fact.locations[f"{prefix}/{index}"] = Location(source, number, text)
    return [value for value, _, _ in kept]


def _timer(timer: dict[str, list[tuple[str, int, str]]], name: str, source: str, fact: ParsedFact,
           prefix: str) -> dict[str, Any]:
    calendars = [v for v, _, _ in timer.get("OnCalendar", []) if v]
    active = _last(timer.get("OnUnitActiveSec")) or _last(timer.get("OnUnitInactiveSec"))
    where = (timer.get("OnCalendar") or timer.get("OnUnitActiveSec") or timer.get("OnUnitInactiveSec")
             or timer.get("OnBootSec") or [])
    if where:
        fact.locations[f"{prefix}/timer"] = Location(source, where[0][1], where[0][2])
    intervals: list[float | None] = [calendar_interval_days(c) for c in calendars]
    for spec, value in zip(calendars, intervals):
        if value is None:
            warn(fact, f"{source}: OnCalendar={show(spec)} not understood; its interval is unknown")
    if active:
        span = timespan_days(active)
        intervals.append(span)
        if span is None:
            warn(fact, f"{source}: {show(active)} is not a time span")
    known = [i for i in intervals if i is not None]
    interval = round(min(known), 4) if known else None
    return {
        "on_calendar": calendars,
        "on_boot_sec": _last(timer.get("OnBootSec")),
        "on_unit_active_sec": active,
        "unit": _last(timer.get("Unit")) or name.rsplit(".", 1)[0] + ".service",
        "persistent": (_last(timer.get("Persistent")) or "").lower() in ("yes", "true", "1", "on"),
        "interval_days": interval,
    }


def timespan_days(text: str) -> float | None:
    """systemd time span (``1d 12h``, ``30min``, ``3600``) in days; ``None`` if not a span."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text) / 86400
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", text)
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", "", text).strip():
        return None
    total = 0.0
    for number, unit in parts:
        factor = _SPAN_UNITS.get(unit) or _SPAN_UNITS.get(unit.lower())
        if factor is None:
            return None
        total += float(number) * factor
    return total


def calendar_interval_days(spec: str) -> float | None:
    """Longest gap, in days, between two elapses of a calendar expression (``None``: not understood).

    Handles the shorthands (``daily``, ``weekly``...) and the usual
    ``[DayOfWeek] [Year-Month-Day] [Hour:Minute[:Second]]`` forms. Only
    "how often at most" matters, so e.g. ``*-*-01`` counts as 31 days.
    """
    spec = spec.strip()
    lowered = spec.lower()
    if lowered in _SHORTHANDS:
        return _SHORTHANDS[lowered]
    tokens = spec.split()
    if tokens and tokens[-1].upper() == "UTC" or (tokens and re.fullmatch(r"[A-Za-z]+/[A-Za-z_]+", tokens[-1])):
        tokens = tokens[:-1]
    if not tokens or len(tokens) > 3:
        return None
    weekdays: set[int] | None = None
    date: str | None = None
    clock: str | None = None
    for token in tokens:
        if re.fullmatch(r"[A-Za-z][A-Za-z.,-]*", token):
            weekdays = _weekdays(token)
            if weekdays is None:
                return None
        elif ":" in token and "-" not in token:
            clock = token
        elif "-" in token:
            date = token
        else:
            return None
    if clock is not None and not re.fullmatch(r"[0-9*/,.:]+", clock):
        return None
    days = _date_interval(date) if date is not None else 1.0
    if days is None:
        return None
    if weekdays is not None:
        days = max(days, _weekday_gap(weekdays)) if days <= 1.0 else days
    return days


def _weekdays(token: str) -> set[int] | None:
    found: set[int] = set()
    for part in token.lower().split(","):
        if ".." in part:
            start, _, end = part.partition("..")
            a, b = _day(start), _day(end)
            if a is None or b is None:
                return None
            found.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
        else:
            d = _day(part)
            if d is None:
                return None
            found.add(d)
    return found or None


def _day(word: str) -> int | None:
    word = word.strip()[:3]
    return _DAYS.index(word) if word in _DAYS else None


def _weekday_gap(days: set[int]) -> float:
    ordered = sorted(days)
    gaps = [(ordered[(i + 1) % len(ordered)] - d) % 7 or 7 for i, d in enumerate(ordered)]
    return float(max(gaps))


def _date_interval(date: str) -> float | None:
    parts = date.split("-")
    if len(parts) == 2:
        parts = ["*", *parts]
    if len(parts) != 3 or not all(re.fullmatch(r"[0-9*/,.~]+", p) for p in parts):
        return None
    year, month, day = parts
    if year != "*" and "/" not in year and "," not in year:
        return None  # one fixed year: runs at most in that year, not periodically
    if month == "*" and day == "*":
        return 1.0
    if month == "*":
        return 31.0
    return 366.0
