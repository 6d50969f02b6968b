"""Waivers worth a second look: those that lapsed between the runs, and those hiding a regression."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hardencheck.compare.transitions import run_date, waivers_of
from hardencheck.waivers import Waiver


def _flag(w: Waiver | dict[str, Any], affected: list[dict[str, str]]) -> dict[str, Any]:
    d = w.to_dict(dt.date.min) if isinstance(w, Waiver) else w
    return {"check": str(d.get("check", "")), "hosts": list(d.get("hosts") or []), "expires": str(d.get("expires", "")),
            "justification": str(d.get("justification", "")), "ticket": str(d.get("ticket", "")),
            "approved_by": str(d.get("approved_by", "")), "affected": affected}


def _names(target: dict[str, Any]) -> list[str]:
    return [str(target.get("id", "")), str(target.get("address", "")), *target.get("groups", [])]


def expired_between(before: dict[str, Any], after: dict[str, Any], targets: dict[str, dict[str, Any]],
                    transitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Waivers valid on the baseline's date and expired on the later run's; ``affected``: what now fails."""
    today = dt.date.today()
    b_day, a_day = run_date(before, today), run_date(after, today)
    seen: dict[tuple[Any, ...], Waiver] = {}
    for w in [*waivers_of(before), *waivers_of(after)]:
        if not w.expired(b_day) and w.expired(a_day):
            seen.setdefault((w.check, w.hosts, w.expires), w)
    flags = []
    for w in seen.values():
        affected = [{"host": t["host"], "check_id": t["check_id"]} for t in transitions
                    if t["after_status"] == "fail" and w.matches(t["check_id"], _names(targets.get(t["host"], {})))]
        flags.append(_flag(w, affected))
    return sorted(flags, key=lambda f: (f["expires"], f["check"]))


def covering_regressions(transitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Waivers on checks that passed in the baseline and fail (waived) now: accepted risk that is new."""
    groups: dict[tuple[Any, ...], tuple[dict[str, Any], list[dict[str, str]]]] = {}
    for t in transitions:
        if t["after_status"] == "waived" and t["before_status"] == "pass" and t.get("waiver"):
            w = t["waiver"]
            key = (w.get("check"), tuple(w.get("hosts") or []), w.get("expires"))
            groups.setdefault(key, (w, []))[1].append({"host": t["host"], "check_id": t["check_id"]})
    return [_flag(w, affected) for w, affected in groups.values()]
