"""``hardencheck compare BEFORE AFTER``; adds ``--baseline`` and ``--fail-on-regression`` to scan and evaluate."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.commands.config import load_plan
from hardencheck.commands.history import add_store_option, open_store, run_parsers
from hardencheck.compare import compare_runs, gate, summary_lines
from hardencheck.plan import ScanPlan
from hardencheck.results.document import load_run
from hardencheck.results.redact import terminal_safe
from hardencheck.store import Store, StoreError

SEVERITIES = ["critical", "high", "medium", "low", "info"]
EXIT_OK, EXIT_GATE = 0, 1

EPILOG = """\
BEFORE and AFTER are run ids (or unambiguous prefixes) from the history store, `latest`, `latest~N`
(N runs before the latest), or a run.json / run folder on disk.

The baseline is re-evaluated from its stored facts with the AFTER run's checks and parameters (or
--profile/--checks), so a check added since the baseline is compared fairly; derived facts (e.g.
advisories) are recomputed with today's data. Where the baseline never collected a fact a check
reads, the transition has no baseline status and says baseline_lacks_fact.

CI gates (exit codes):
  0  no gate tripped (always, without --fail-on-regression or --fail-on)
  1  --fail-on-regression: something got worse than the baseline (a check that passed now fails,
     or a new finding fails); a baseline that was already failing and did not change passes.
     With --fail-on SEV too, only regressions of severity SEV or worse count.
     --fail-on SEV alone: any check of severity SEV or worse fails in AFTER.
  2  usage or configuration error (unknown run, bad profile, unreadable file)

examples:
  hardencheck compare latest~1 latest
  hardencheck compare reports/20261126T020000Z-ab12cd latest --fail-on-regression --fail-on high
"""


def add_gate_options(p: argparse.ArgumentParser, with_fail_on: bool) -> None:
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 only when something got worse than the baseline (regressed or new failing)")
    if with_fail_on:
        p.add_argument("--fail-on", choices=[*SEVERITIES, "none"], default="none",
                       help="severity floor: with --fail-on-regression, for regressions; alone, for any "
                            "failing check in AFTER [%(default)s]")


class _LazyStore:
    """Opens the store only if a reference is not a file, so comparing two files needs no database."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.store: Store | None = None

    def resolve(self, ref: str, what: str) -> dict[str, Any]:
        if Path(ref).exists():
            return load_run(Path(ref))
        if self.store is None:
            self.store = open_store(self.args)
        try:
            return self.store.resolve(ref)
        except StoreError as exc:
            raise SourceErrorList([SourceError(what, None, "", str(exc))]) from None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def plan_for(args: argparse.Namespace, after: dict[str, Any]) -> ScanPlan:
    """The CLI's selection if given, else the AFTER run's own profile restricted to its own checks."""
    ns = argparse.Namespace(profile=args.profile or (after.get("profile") or {}).get("name"),
                            checks=args.checks or sorted((after.get("checks") or {}).get("ids") or {}),
                            checks_dir=args.checks_dir, profiles_dir=args.profiles_dir, waivers=args.waivers,
                            advisories=args.advisories)
    if not ns.profile:
        raise SourceErrorList([SourceError("--profile", None, "", "the AFTER run names no profile; give --profile")])
    plan = load_plan(ns)
    missing = sorted(set((after.get("checks") or {}).get("ids") or {}) - set(plan.checks)) if not args.checks else []
    if missing:
        print(f"warning: checks of the AFTER run no longer in the catalogue (left out): {', '.join(missing)}",
              file=sys.stderr)
    return plan


def write_comparison(folder: Path, comparison: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "comparison.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(comparison, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path


def print_summary(comparison: dict[str, Any], path: Path, *, path_on_stdout: bool = True) -> None:
    """Summary lines on stderr; the comparison's path on stdout when it is the command's output."""
    for line in summary_lines(comparison):
        print(terminal_safe(line, 400), file=sys.stderr)
    if path_on_stdout:
        print(str(path))
    else:
        print(f"comparison: {path}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace) -> int:
    from hardencheck.commands.sign import sign_or_fail, signing_key

    key = signing_key(args)
    refs = _LazyStore(args)
    try:
        before = refs.resolve(args.before, "BEFORE")
        after = refs.resolve(args.after, "AFTER")
    finally:
        refs.close()
    comparison = compare_runs(before, after, plan_for(args, after))
    folder = args.output or Path("reports") / f"compare-{comparison['before']['run_id']}-{comparison['after']['run_id']}"
    path = write_comparison(folder, comparison)
    if key is not None:
        sign_or_fail(folder, key, "comparison.json")
    print_summary(comparison, path)
    return EXIT_GATE if gate(comparison, regression=args.fail_on_regression, fail_on=args.fail_on) else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    from hardencheck.commands.sign import add_sign_option

    p = sub.add_parser("compare", help="compare two runs: transitions, fact drift, scores, remediation plan",
                       description="Compare a baseline run with a later one and write comparison.json.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before", metavar="BEFORE")
    p.add_argument("after", metavar="AFTER")
    add_store_option(p)
    p.add_argument("--output", type=Path, help="folder for comparison.json [reports/compare-BEFORE-AFTER]")
    add_gate_options(p, with_fail_on=True)
    p.add_argument("--profile", help="judge both runs with this profile [the AFTER run's]")
    p.add_argument("--checks", action="append", default=[], metavar="PATTERN",
                   help="only checks whose id matches PATTERN [the AFTER run's checks]")
    p.add_argument("--checks-dir", action="append", type=Path, default=[], metavar="DIR")
    p.add_argument("--profiles-dir", action="append", type=Path, default=[], metavar="DIR")
    p.add_argument("--waivers", type=Path, help="waivers for the AFTER side [the AFTER run's own]")
    p.add_argument("--advisories", type=Path, metavar="PATH",
                   help="advisory feed to recompute the advisories fact of both runs with (as `evaluate` takes)")
    add_sign_option(p)
    p.set_defaults(func=cmd_compare)

    for rp in run_parsers(sub):
        rp.add_argument("--baseline", metavar="RUN",
                        help="after the run, compare it with RUN (run id, latest, latest~N, or a run folder) "
                             "and write comparison.json into the run folder")
        add_gate_options(rp, with_fail_on=False)


__all__ = ["Store", "cmd_compare", "plan_for", "print_summary", "register", "write_comparison"]
