"""Everything a scan or evaluation needs, loaded and validated before any host is contacted."""

from __future__ import annotations

import argparse
from pathlib import Path

from hardencheck.checks.loader import builtin_dir, load_checks
from hardencheck.checks.model import Check
from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.facts.base import load_probes
from hardencheck.plan import ScanPlan, build_plan
from hardencheck.profiles import load_profile, profile_dirs
from hardencheck.waivers import load_waivers


def load_all_checks(extra_dirs: list[Path]) -> dict[str, Check]:
    return load_checks([builtin_dir("checks"), *extra_dirs], set(load_probes()))


def load_plan(args: argparse.Namespace) -> ScanPlan:
    """Checks, profile, waivers and probes -> a plan; raises SourceErrorList listing every problem."""
    probes = load_probes()
    checks = load_checks([builtin_dir("checks"), *args.checks_dir], set(probes))
    profile = load_profile(args.profile, profile_dirs(args.profiles_dir), checks)
    waivers = load_waivers(args.waivers) if args.waivers else []
    only = [p.strip() for arg in args.checks for p in arg.split(",") if p.strip()]
    plan = build_plan(checks, profile, probes, waivers, only)
    feed = getattr(args, "advisories", None)
    if feed is not None:
        if not feed.exists():
            raise SourceErrorList([SourceError("--advisories", None, str(feed), "no such file or directory")])
        if "advisories" in plan.probes:
            plan.probes["advisories"][1]["feed"] = str(feed.resolve())
    return plan
