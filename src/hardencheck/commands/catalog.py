"""``hardencheck checks ...`` and ``hardencheck profiles ...``: the catalogue, browsable and validatable."""

from __future__ import annotations

import argparse
import sys

from hardencheck.checks.loader import load_checks
from hardencheck.checks.yamlsource import SourceErrorList
from hardencheck.commands.config import load_all_checks
from hardencheck.facts.base import load_probes
from hardencheck.profiles import available_profiles, load_profile, profile_dirs


def _refs(compliance: dict[str, tuple[str, ...]]) -> str:
    return "; ".join(f"{k} {','.join(v)}" for k, v in sorted(compliance.items()))


def cmd_checks(args: argparse.Namespace) -> int:
    if args.checks_command == "validate":
        try:
            checks = load_checks(args.paths, set(load_probes()))
        except SourceErrorList as exc:
            for err in exc.errors:
                print(f"{err}", file=sys.stderr)
            print(f"{len(exc.errors)} error(s)", file=sys.stderr)
            return 2
        print(f"{len(checks)} check(s) valid")
        return 0
    checks = load_all_checks(args.checks_dir)
    if args.checks_command == "show":
        c = checks.get(args.check_id)
        if c is None:
            print(f"error: no check '{args.check_id}'", file=sys.stderr)
            return 2
        print(open(c.source_file, encoding="utf-8").read(), end="")
        return 0
    selected = checks
    if getattr(args, "profile", None):
        selected = load_profile(args.profile, profile_dirs(), checks).select(checks)
    if args.tag:
        selected = {k: v for k, v in selected.items() if args.tag in v.tags}
    if args.json:
        import json

        print(json.dumps([{"id": c.id, "title": c.title, "severity": c.severity.value, "tags": list(c.tags),
                           "compliance": {k: list(v) for k, v in c.compliance.items()}}
                          for c in selected.values()], indent=2))
        return 0
    width = max((len(i) for i in selected), default=10)
    for cid, c in sorted(selected.items()):
        print(f"{cid:<{width}}  {c.severity.value:<8}  {c.title}  [{_refs(c.compliance)}]")
    print(f"{len(selected)} check(s)", file=sys.stderr)
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    dirs = profile_dirs(args.profiles_dir)
    if args.profiles_command == "list":
        for name, path in sorted(available_profiles(dirs).items()):
            prof = load_profile(str(path), dirs)
            print(f"{name:<18} {prof.description.splitlines()[0] if prof.description else ''}")
        return 0
    checks = load_all_checks(args.checks_dir)
    prof = load_profile(args.name, dirs, checks)
    selected = prof.select(checks)
    print(f"profile {prof.name}  (extends: {' -> '.join(prof.chain)})")
    print(prof.description)
    print("\nparameters:")
    params: dict[str, tuple[object, list[str], str]] = {}
    for c in selected.values():
        for name, value in prof.params_for(c).items():
            _, users, doc = params.get(name, (value, [], c.parameter_docs.get(name, "")))
            params[name] = (value, users + [c.id], doc)
    for name, (value, users, doc) in sorted(params.items()):
        note = prof.parameter_notes.get(name, doc)
        print(f"  {name} = {value!r}  — {note}  (used by {', '.join(users)})")
    if prof.probe_options:
        print("\nprobe options:")
        for probe, opts in prof.probe_options.items():
            print(f"  {probe}: {opts}")
    print(f"\nchecks ({len(selected)}):")
    for cid, c in selected.items():
        print(f"  {cid:<40} {c.severity.value:<8} {_refs(c.compliance)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``checks list|show|validate`` and ``profiles list|show``."""
    from pathlib import Path

    checks = sub.add_parser("checks", help="list, show or validate checks")
    csub = checks.add_subparsers(dest="checks_command", required=True, metavar="ACTION")
    cl = csub.add_parser("list", help="list checks with severity and requirement ids")
    cl.add_argument("--profile", help="only the checks this profile selects")
    cl.add_argument("--tag", help="only checks with this tag")
    cl.add_argument("--json", action="store_true")
    cl.add_argument("--checks-dir", action="append", type=Path, default=[])
    cs = csub.add_parser("show", help="show one check")
    cs.add_argument("check_id")
    cs.add_argument("--checks-dir", action="append", type=Path, default=[])
    cv = csub.add_parser("validate", help="validate check files; every error with file:line and key")
    cv.add_argument("paths", nargs="+", type=Path)

    profiles = sub.add_parser("profiles", help="list or show profiles")
    psub = profiles.add_subparsers(dest="profiles_command", required=True, metavar="ACTION")
    pl = psub.add_parser("list")
    pl.add_argument("--profiles-dir", action="append", type=Path, default=[])
    ps = psub.add_parser("show", help="a profile's checks and effective parameters")
    ps.add_argument("name")
    ps.add_argument("--profiles-dir", action="append", type=Path, default=[])
    ps.add_argument("--checks-dir", action="append", type=Path, default=[])

    checks.set_defaults(func=cmd_checks)
    profiles.set_defaults(func=cmd_profiles)
