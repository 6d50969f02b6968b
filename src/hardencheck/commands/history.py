"""``hardencheck history`` and ``hardencheck import``; adds ``--store``/``--no-store`` to scan and evaluate."""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.results.document import load_run
from hardencheck.results.redact import terminal_safe
from hardencheck.store import ENV_VAR, Store, StoreError
from hardencheck.store.migrations import MigrationError

STORE_HELP = (f"history store: a SQLite file or a SQLAlchemy URL (postgresql+psycopg://...) "
              f"[${ENV_VAR}, else ~/.local/share/hardencheck/history.db]")


def add_store_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="PATH|URL", help=STORE_HELP)


def open_store(args: argparse.Namespace) -> Store:
    """The store named by ``--store`` / $HARDENCHECK_STORE / the default; an unusable one is a config error."""
    try:
        return Store.open(getattr(args, "store", None))
    except (MigrationError, OSError) as exc:
        raise SourceErrorList([SourceError("--store", None, "", str(exc))]) from None
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's many URL/driver errors: all mean "cannot open"
        raise SourceErrorList([SourceError("--store", None, "", f"cannot open the history store: {exc}")]) from None


def run_parsers(sub: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    """The parsers of commands that finish a run (scan, evaluate), to add follow-up options to."""
    return [sub.choices[name] for name in ("scan", "evaluate") if name in sub.choices]


@cache
def _run_schema() -> dict[str, Any]:
    return json.loads(resources.files("hardencheck").joinpath("schemas/run.schema.json").read_text())


def _schema_problems(doc: Any) -> list[str]:
    from jsonschema import Draft202012Validator

    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in Draft202012Validator(_run_schema()).iter_errors(doc)]


def cmd_import(args: argparse.Namespace) -> int:
    """Validate every file first: nothing is stored unless every document is a valid run."""
    docs = []
    errors = []
    for path in args.results:
        try:
            doc = load_run(path)
        except (OSError, ValueError) as exc:
            errors.append(SourceError(str(path), None, "", f"cannot read: {exc}"))
            continue
        errors.extend(SourceError(str(path), None, "", f"not a valid run document: {p}")
                      for p in _schema_problems(doc)[:10])
        docs.append(doc)
    if errors:
        raise SourceErrorList(errors)
    with open_store(args) as store:
        for doc in docs:
            known = store.has_run(doc["run_id"])
            store.add_run(doc)
            print(f"{'already stored' if known else 'stored'} {terminal_safe(doc['run_id'], 128)}")
    return 0


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def cmd_history(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        runs = store.list_runs(host=args.host, profile=args.profile, limit=args.limit)
        if args.json:
            print(json.dumps([r.__dict__ for r in runs], indent=2))
            return 0
        if not runs:
            print(f"no runs in {store.url}" + (" matching the filters" if args.host or args.profile else ""),
                  file=sys.stderr)
            return 0
        show_ref = not (args.host or args.profile)  # latest~N counts over every run
        rows = [["RUN", "STARTED", "PROFILE", "HOSTS", "PASS", "FAIL", "ERROR", "COMPLETE"]
                + (["REF"] if show_ref else [])]
        for i, r in enumerate(runs):
            row = [terminal_safe(r.run_id, 64), terminal_safe((r.started or "")[:19], 20),
                   terminal_safe(r.profile or "", 40), str(r.hosts), str(r.passed), str(r.failed), str(r.errors),
                   "yes" if r.complete else "NO"]
            rows.append(row + (["latest" if i == 0 else f"latest~{i}"] if show_ref else []))
        print(_table(rows))
        print(f"{len(runs)} run(s) from {store.url}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    h = sub.add_parser("history", help="list stored runs, newest first",
                       description="List the runs in the history store, newest first. REF is what "
                                   "`hardencheck compare` accepts for each run (latest, latest~1, ...).")
    h.add_argument("--host", help="only runs that audited this target (id or glob, e.g. 'pos-*')")
    h.add_argument("--profile", help="only runs with this profile name")
    h.add_argument("--limit", type=int, default=50, help="at most this many runs [%(default)s]")
    h.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_store_option(h)
    h.set_defaults(func=cmd_history)

    i = sub.add_parser("import", help="store run documents (run.json or run folders) in the history",
                       description="Store run documents in the history store; a run already stored is left "
                                   "as it is. Every file is validated against the run schema first.")
    i.add_argument("results", nargs="+", type=Path, metavar="RESULT", help="a run.json or a run folder")
    add_store_option(i)
    i.set_defaults(func=cmd_import)

    for p in run_parsers(sub):
        add_store_option(p)
        p.add_argument("--no-store", action="store_true", help="do not record this run in the history store")


__all__ = ["StoreError", "add_store_option", "open_store", "register", "run_parsers"]
