"""Waivers: accepted risk with a justification and a required expiry date.

A waived finding is still reported (status ``waived``, with its
justification); an expired waiver no longer applies and is flagged, so a
forgotten exception cannot hide a finding forever.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hardencheck.checks.yamlsource import SourceError, SourceErrorList, load_yaml, schema_errors


@cache
def _schema() -> dict[str, Any]:
    return json.loads(resources.files("hardencheck").joinpath("schemas/waivers.schema.json").read_text())


@dataclass(frozen=True)
class Waiver:
    check: str
    hosts: tuple[str, ...]
    justification: str
    expires: dt.date
    approved_by: str = ""
    ticket: str = ""
    source: str = ""

    def matches(self, check_id: str, host_names: list[str]) -> bool:
        return fnmatch.fnmatchcase(check_id, self.check) and any(
            fnmatch.fnmatchcase(h, pat) for h in host_names for pat in self.hosts)

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def to_dict(self, today: dt.date) -> dict[str, Any]:
        return {"check": self.check, "hosts": list(self.hosts), "justification": self.justification,
                "expires": self.expires.isoformat(), "approved_by": self.approved_by, "ticket": self.ticket,
                "expired": self.expired(today), "source": self.source}


def load_waivers(path: Path) -> list[Waiver]:
    """Load and validate; every problem (bad date, missing justification) is reported with file:line."""
    data, index = load_yaml(path)
    entries = data.get("waivers") if isinstance(data, dict) else None
    entries = entries if isinstance(entries, list) else []
    for w in entries:
        if isinstance(w, dict) and isinstance(w.get("expires"), dt.date):
            w["expires"] = w["expires"].isoformat()  # in case a loader reads bare dates as dates
    errors = schema_errors(data, _schema(), str(path), index)
    flagged = {e.key for e in errors}
    waivers: list[Waiver] = []
    for i, w in enumerate(entries):  # dates are checked even when the schema found problems elsewhere
        if not isinstance(w, dict) or not isinstance(w.get("expires"), str) or f"waivers.{i}.expires" in flagged:
            continue
        try:  # the schema's pattern admits 2030-02-30; the calendar does not
            expires = dt.date.fromisoformat(w["expires"])
        except ValueError:
            errors.append(SourceError(str(path), index.line_of(("waivers", i, "expires")),
                                      f"waivers.{i}.expires", f"not a date: {w['expires']!r}"))
            continue
        if not flagged:
            hosts = w["hosts"] if isinstance(w["hosts"], list) else [w["hosts"]]
            waivers.append(Waiver(w["check"], tuple(hosts), w["justification"].strip(), expires,
                                  w.get("approved_by", ""), w.get("ticket", ""),
                                  f"{path}:{index.line_of(('waivers', i))}"))
    if errors:
        errors.sort(key=lambda e: e.line or 0)
        raise SourceErrorList(errors)
    return waivers


def find_waiver(waivers: list[Waiver], check_id: str, host_names: list[str]) -> Waiver | None:
    """An unexpired matching waiver wins over an expired one (which is still returned, to be flagged)."""
    hits = [w for w in waivers if w.matches(check_id, host_names)]
    hits.sort(key=lambda w: w.expires, reverse=True)
    return hits[0] if hits else None
