"""Cron jobs: system crontabs (with a user field), user crontabs, anacrontab and run-parts scripts.

Every job keeps the ``PATH`` in force where it is defined (cron resets the
environment: a ``PATH=/tmp/...`` line above a job is how a job quietly runs
an intruder's binary), the file and line. Lines of the scripts run by
``run-parts`` (/etc/cron.daily and friends) are listed as jobs too, so a
``curl | sh`` added to a daily script is seen like one in a crontab.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import clean, excerpt, iter_lines, show, warn

_ENV = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
_NICKNAMES = frozenset({"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
DEFAULT_PATH = "/usr/bin:/bin"
MAX_JOBS = 5000


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_crontab(text: str, source: str, *, system: bool, user: str | None = None,
                  fact: ParsedFact | None = None, jobs: list[dict[str, Any]] | None = None) -> ParsedFact:
    """``system`` crontabs (/etc/crontab, /etc/cron.d/*) have a user field; user crontabs are named after the user."""
    fact = fact if fact is not None else ParsedFact()
    jobs = jobs if jobs is not None else []
    env = {"PATH": DEFAULT_PATH}
    for number, line in iter_lines(text, fact, source):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ENV.match(stripped)
        if m and not stripped.startswith("@") and " " not in m.group(1):
            env[m.group(1)] = _unquote(m.group(2))
            continue
        fields = stripped.split()
        nfield = 1 if fields[0] in _NICKNAMES else 5
        need = nfield + (2 if system else 1)
        if len(fields) < need:
            warn(fact, f"{source}:{number}: not a cron job line: {show(stripped)}")
            continue
        schedule = " ".join(fields[:nfield])
        job_user = fields[nfield] if system else (user or "?")
        command = stripped.split(None, nfield + (1 if system else 0))[-1]
        _add_job(fact, jobs, source, number, line, job_user, schedule, command, env.get("PATH", DEFAULT_PATH))
    fact.data.setdefault("jobs", jobs)
    return fact


def parse_anacrontab(text: str, source: str, fact: ParsedFact, jobs: list[dict[str, Any]]) -> None:
    """``period delay job-id command`` (runs as root)."""
    env = {"PATH": DEFAULT_PATH}
    for number, line in iter_lines(text, fact, source):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ENV.match(stripped)
        if m:
            env[m.group(1)] = _unquote(m.group(2))
            continue
        fields = stripped.split(None, 3)
        if len(fields) < 4:
            warn(fact, f"{source}:{number}: not an anacron job line: {show(stripped)}")
            continue
        _add_job(fact, jobs, source, number, line, "root", f"anacron {fields[0]}", fields[3],
                 env.get("PATH", DEFAULT_PATH))


def parse_script(text: str, source: str, fact: ParsedFact, jobs: list[dict[str, Any]]) -> None:
    """A run-parts script: each command line is listed with the script's schedule."""
    schedule = "run-parts " + posixpath.basename(posixpath.dirname(source)).replace("cron.", "")
    for number, line in iter_lines(text, fact, source):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        _add_job(fact, jobs, source, number, line, "root", schedule, stripped, DEFAULT_PATH, kind="script")


def _add_job(fact: ParsedFact, jobs: list[dict[str, Any]], source: str, number: int, line: str, user: str,
             schedule: str, command: str, path: str, kind: str = "crontab") -> None:
    if len(jobs) >= MAX_JOBS:
        warn(fact, f"more than {MAX_JOBS} cron lines; the rest were not listed")
        return
    fact.locations[f"jobs/{len(jobs)}"] = Location(source, number, excerpt(line))
    jobs.append({"file": source, "line": number, "user": clean(user), "schedule": clean(schedule),
                 "command": clean(command)[:2000], "path_env": clean(path)[:1000], "kind": kind})


def parse_cron(read: Any, system_files: list[str], user_files: list[str], anacrontab: list[str],
               scripts: list[str]) -> ParsedFact:
    """``read(path) -> text | None`` over each kind of cron file."""
    fact = ParsedFact()
    jobs: list[dict[str, Any]] = []
    seen: list[str] = []
    for path in system_files:
        text = read(path)
        if text is not None:
            seen.append(path)
            parse_crontab(text, path, system=True, fact=fact, jobs=jobs)
    for path in user_files:
        text = read(path)
        if text is not None:
            seen.append(path)
            parse_crontab(text, path, system=False, user=posixpath.basename(path), fact=fact, jobs=jobs)
    for path in anacrontab:
        text = read(path)
        if text is not None:
            seen.append(path)
            parse_anacrontab(text, path, fact, jobs)
    for path in scripts:
        text = read(path)
        if text is not None:
            seen.append(path)
            parse_script(text, path, fact, jobs)
    fact.data = {"jobs": jobs, "files": seen}
    fact.locations["jobs"] = Location(seen[0] if seen else "(no cron file)", None,
                                      excerpt(f"{len(jobs)} cron line(s) in {len(seen)} file(s)"))
    return fact
