"""``hardencheck report``: render a stored run, or a comparison with its later run, in one format.

Also the one place that writes report files for ``scan``/``evaluate --format``: reporters are
pure and return text; this module decides where it goes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.reporters import get_reporter, reporter_names
from hardencheck.results.document import load_run
from hardencheck.results.redact import terminal_safe

EPILOG = """\
RUN_OR_COMPARISON is a run folder, its run.json, a comparison.json, or a folder holding one.
A comparison is rendered with its later run, found beside it, in a sibling run folder named by its
run id (reports/<run_id>/), or given with --run (a path, or a run id in the history store).
A comparison.json beside a run is used when it compares that run (--no-comparison to ignore it).

formats (file written by scan/evaluate --format beside run.json):
  html   report.html        self-contained: summary, charts, changes, drift, plan, filterable findings
  md     report.md          pull-request comment or ticket
  junit  results.junit.xml  CI test dashboards (a testcase per host and check)
  sarif  results.sarif      GitHub code scanning (dir: targets annotate the repository line)
  csv    results.csv        spreadsheets (formula injection neutralised)
  json   run.json           the run (or comparison) document as stored

examples:
  hardencheck report reports/20261127T101500Z-ab12cd --format html --output audit.html
  hardencheck report reports/compare-A-B/comparison.json --format md > comment.md
  hardencheck report reports/20261127T101500Z-ab12cd --format sarif --output results.sarif
"""


def _read(path: Path, what: str) -> dict[str, Any]:
    try:
        doc = load_run(path) if path.is_dir() else json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceErrorList([SourceError(str(path), None, "", f"{what} not found")]) from None
    except (OSError, ValueError) as exc:
        raise SourceErrorList([SourceError(str(path), None, "", f"cannot read {what}: {exc}")]) from None
    if not isinstance(doc, dict):
        raise SourceErrorList([SourceError(str(path), None, "", f"not a hardencheck {what}")])
    return doc


def _is_comparison(doc: dict[str, Any]) -> bool:
    return doc.get("kind") == "comparison"


def _after_id(comparison: dict[str, Any]) -> str:
    return str((comparison.get("after") or {}).get("run_id", ""))


def _beside(run_dir: Path, run: dict[str, Any]) -> dict[str, Any] | None:
    """The comparison.json in a run's folder, if it compares that run."""
    path = run_dir / "comparison.json"
    if not path.is_file():
        return None
    comparison = _read(path, "comparison")
    if _is_comparison(comparison) and _after_id(comparison) == str(run.get("run_id", "")):
        return comparison
    print(f"note: {terminal_safe(str(path))} compares another run; rendering the run alone", file=sys.stderr)
    return None


def _find_after_run(comparison: dict[str, Any], folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    run_id = _after_id(comparison)
    ref = getattr(args, "run", None)
    if ref is not None and not Path(ref).exists():
        from hardencheck.commands.history import open_store
        from hardencheck.store import StoreError

        store = open_store(args)
        try:
            return store.resolve(str(ref))
        except StoreError as exc:
            raise SourceErrorList([SourceError("--run", None, "", str(exc))]) from None
        finally:
            store.close()
    candidates = [Path(ref)] if ref is not None else [folder, folder.parent / run_id, folder / run_id]
    for candidate in candidates:
        if (candidate / "run.json").is_file() or (candidate / "hosts.jsonl").is_file() or candidate.is_file():
            run = _read(candidate, "run")
            if str(run.get("run_id", "")) == run_id or ref is not None:
                return run
    if getattr(args, "store", None) or os.environ.get("HARDENCHECK_STORE"):
        from hardencheck.commands.history import open_store
        from hardencheck.store import StoreError

        store = open_store(args)
        try:
            return store.resolve(run_id)
        except StoreError:
            pass
        finally:
            store.close()
    raise SourceErrorList([SourceError(str(folder), None, "", f"the comparison's later run {run_id!r} was not "
                                       "found beside it or in its reports folder; give it with --run")])


def load_inputs(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The run to render and, if any, the comparison it is the later side of."""
    source: Path = args.source
    if source.is_dir() and not (source / "run.json").is_file() and not (source / "hosts.jsonl").is_file() \
            and (source / "comparison.json").is_file():
        source = source / "comparison.json"
    doc = _read(source, "run or comparison")
    folder = source if source.is_dir() else source.parent
    if _is_comparison(doc):
        if args.comparison is not None:
            raise SourceErrorList([SourceError("--comparison", None, "", "the source is already a comparison")])
        return _find_after_run(doc, folder, args), doc
    if "hosts" not in doc:
        raise SourceErrorList([SourceError(str(source), None, "", "not a hardencheck run (no hosts)")])
    run = doc
    if args.run is not None:
        raise SourceErrorList([SourceError("--run", None, "", "only with a comparison as the source")])
    if args.comparison is not None:
        comparison = _read(args.comparison, "comparison")
        if not _is_comparison(comparison) or _after_id(comparison) != str(run.get("run_id", "")):
            raise SourceErrorList([SourceError(str(args.comparison), None, "",
                                               f"not a comparison whose later run is {run.get('run_id')!r}")])
        return run, comparison
    return run, None if args.no_comparison else _beside(folder, run)


def _write(path: Path, output: str | bytes) -> None:
    """Atomically: a half-written report is worse than none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(output, bytes):
        tmp.write_bytes(output)
    else:
        tmp.write_text(output, encoding="utf-8")
    os.replace(tmp, path)


def cmd_report(args: argparse.Namespace) -> int:
    run, comparison = load_inputs(args)
    output = get_reporter(args.format).render(run, comparison)
    if args.output is None or str(args.output) == "-":
        if isinstance(output, bytes):
            sys.stdout.buffer.write(output)
        else:
            sys.stdout.write(output)
        sys.stdout.flush()
        return 0
    _write(args.output, output)
    print(str(args.output))
    return 0


def write_reports(run_json: Path, formats: Iterable[str]) -> list[Path]:
    """Write each requested format beside ``run_json`` (with the comparison.json there, if it compares this run).

    Called by ``scan`` and ``evaluate`` after the run (and any comparison) is written. A reporter
    that fails is reported and skipped: the run itself is already safe on disk.
    """
    wanted = [f for f in dict.fromkeys(formats) if f != "json"]  # run.json is always written
    if not wanted:
        return []
    run = load_run(run_json)
    folder = run_json.parent
    comparison = _beside(folder, run)
    written = []
    for name in wanted:
        reporter = get_reporter(name)
        try:
            _write(folder / reporter.filename, reporter.render(run, comparison))
        except Exception as exc:  # noqa: BLE001 - one broken format must not lose the others
            print(f"error: {name} report not written: {terminal_safe(str(exc))}", file=sys.stderr)
            continue
        written.append(folder / reporter.filename)
        print(f"{name} report: {folder / reporter.filename}", file=sys.stderr)
    return written


def parse_formats(text: str) -> list[str]:
    """``--format html,sarif`` (comma-separated, repeatable): every name must be a known reporter."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in reporter_names()]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown)} (choose from {', '.join(reporter_names())})")
    return names


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``report RUN_OR_COMPARISON --format FORMAT [--output FILE]``."""
    from hardencheck.commands.history import add_store_option

    p = sub.add_parser("report", help="render a run or a comparison as html, md, junit, sarif, csv or json",
                       description="Render a stored run, or a comparison with its later run, in one format.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=Path, metavar="RUN_OR_COMPARISON")
    p.add_argument("--format", "-f", choices=reporter_names(), default="html", help="[%(default)s]")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--run", metavar="RUN", help="the comparison's later run (a path, or a run id in the store)")
    p.add_argument("--comparison", type=Path, metavar="FILE", help="render the run with this comparison.json")
    p.add_argument("--no-comparison", action="store_true", help="ignore a comparison.json beside the run")
    add_store_option(p)
    p.set_defaults(func=cmd_report)


__all__ = ["cmd_report", "load_inputs", "parse_formats", "register", "write_reports"]
