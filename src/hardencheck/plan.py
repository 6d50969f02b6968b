"""The scan plan: selected checks with their parameters, the probes they need, and the waivers.

Built once at start-up from checks, profile and waivers, so every
configuration error surfaces before a single host is contacted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hardencheck.checks.model import Check
from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.facts.base import Probe
from hardencheck.profiles import Profile
from hardencheck.waivers import Waiver

#: Remembered verdicts per run before the memo starts over (a few MB at most).
MAX_VERDICTS = 50_000


@dataclass(frozen=True)
class ScanPlan:
    checks: dict[str, Check]
    params: dict[str, dict[str, Any]]
    probes: dict[str, tuple[Probe, dict[str, Any]]]
    profile: Profile
    waivers: list[Waiver] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)
    verdicts: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, repr=False)
    """Verdicts already reached from shared facts (engine.evaluate_host), bounded by MAX_VERDICTS."""

    def remember_verdict(self, key: tuple[Any, ...], verdict: Any) -> None:
        if len(self.verdicts) >= MAX_VERDICTS:  # a fleet of all-different hosts: start over, stay bounded
            self.verdicts.clear()
        self.verdicts[key] = verdict

    @property
    def checks_sha256(self) -> str:
        digest = hashlib.sha256()
        for cid in sorted(self.checks):
            digest.update(f"{cid}:{self.checks[cid].sha256}\n".encode())
        return digest.hexdigest()


def merge_options(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Union lists (e.g. paths several checks need), later scalars win."""
    for k, v in extra.items():
        if isinstance(v, list) and isinstance(into.get(k), list):
            into[k] = list(dict.fromkeys([*into[k], *v]))
        else:
            into[k] = v


def build_plan(all_checks: dict[str, Check], profile: Profile, probes: dict[str, Probe],
               waivers: list[Waiver] | None = None, only: list[str] | None = None,
               today: dt.date | None = None) -> ScanPlan:
    """Select checks (profile, then ``--checks`` patterns) and work out which probes to run with which options."""
    import fnmatch

    selected = profile.select(all_checks)
    if only:
        selected = {cid: c for cid, c in selected.items() if any(fnmatch.fnmatchcase(cid, p) for p in only)}
        if not selected:
            raise SourceErrorList([SourceError("--checks", None, "", f"no selected check matches {only}")])
    options: dict[str, dict[str, Any]] = {"os_release": {}}
    missing = []
    for check in selected.values():
        for fact in check.facts:
            options.setdefault(fact, {})
        for probe_name, opts in check.collect.items():
            merge_options(options.setdefault(probe_name, {}), opts)
    for probe_name, opts in profile.probe_options.items():
        if probe_name in options:
            merge_options(options[probe_name], opts)
    for name in list(options):
        for dep in getattr(probes.get(name), "derived_from", ()):
            options.setdefault(dep, {})
    for name in options:
        if name not in probes:
            missing.append(name)
    if missing:
        raise SourceErrorList([SourceError("checks", None, "fact", f"no probe installed for {', '.join(missing)}")])
    return ScanPlan(
        checks=selected,
        params={cid: profile.params_for(c) for cid, c in selected.items()},
        probes={name: (probes[name], opts) for name, opts in options.items()},
        profile=profile, waivers=waivers or [], today=today or dt.date.today(),
    )
