"""``hardencheck scan`` and ``hardencheck evaluate``."""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path
from typing import Any

from hardencheck.checks.model import Severity
from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.commands.config import load_plan
from hardencheck.commands.postrun import AfterRun
from hardencheck.commands.report import write_reports
from hardencheck.engine import ScanOptions, evaluate_host, now_iso, run_scan
from hardencheck.facts.collect import CollectLimits, derive_facts
from hardencheck.inventory import Target, load_inventory, network_targets, parse_target_spec
from hardencheck.network.options import network_options
from hardencheck.network.session import network_warnings
from hardencheck.plan import ScanPlan
from hardencheck.progress import make_progress
from hardencheck.results.document import RunWriter, host_facts, load_run, new_run_id, run_header
from hardencheck.results.model import HostResult
from hardencheck.results.redact import terminal_safe
from hardencheck.transport.ssh import SshOptions

EXIT_OK, EXIT_FINDINGS, EXIT_UNAUDITED, EXIT_INTERRUPTED = 0, 1, 3, 130


def _targets(args: argparse.Namespace) -> list[Target]:
    mappings = []
    for m in args.map:
        repo, sep, target = m.partition("=")
        if not sep or not target.startswith("/"):
            raise SourceErrorList([SourceError("--map", None, m, "expected REPO_PATH=/absolute/target/path")])
        mappings.append((repo, target))
    max_hosts = getattr(args, "net_max_hosts", 256)
    targets = [t for s in args.targets for t in (
        network_targets(s, args.asset_class, max_hosts) if s.startswith("net:")
        else [parse_target_spec(s, args.asset_class, tuple(mappings))])]
    if args.user:
        targets = [Target(**{**t.__dict__, "user": t.user or args.user}) for t in targets]
    for inv in args.inventory:
        hosts = load_inventory(inv, max_hosts)
        if args.limit:
            hosts = [h for h in hosts if any(fnmatch.fnmatchcase(n, p) for p in args.limit
                                             for n in (h.name, *h.groups))]
        targets.extend(hosts)
    if not targets:
        raise SourceErrorList([SourceError("scan", None, "", "no targets: give TARGET arguments or --inventory")])
    seen: set[str] = set()
    dupes = [t.name for t in targets if t.name in seen or seen.add(t.name)]  # type: ignore[func-returns-value]
    if dupes:
        raise SourceErrorList([SourceError("targets", None, "", f"duplicate target names: {sorted(set(dupes))}")])
    return targets


def exit_code(hosts: list[dict[str, Any]], fail_on: str, interrupted: bool) -> int:
    """Documented in `hardencheck --help`; unaudited outranks findings, since it means we do not know."""
    if interrupted:
        return EXIT_INTERRUPTED
    if any(h["status"] != "ok" or any(r["status"] == "error" for r in h["results"]) for h in hosts):
        return EXIT_UNAUDITED
    if fail_on != "none":
        floor = Severity(fail_on).rank
        if any(r["status"] == "fail" and Severity(r["severity"]).rank >= floor for h in hosts for r in h["results"]):
            return EXIT_FINDINGS
    return EXIT_OK


def _report(path: Path, doc_hosts: list[dict[str, Any]], complete: bool) -> None:
    from hardencheck.results.document import summarise

    s = summarise(doc_hosts)
    r = s["results"]
    print(f"{'run' if complete else 'INCOMPLETE run'}: {s['hosts']} host(s), {s['unreachable']} not audited; "
          f"{r['pass']} pass, {r['fail']} fail, {r['error']} error, {r['skipped']} skipped, {r['waived']} waived",
          file=sys.stderr)
    print(str(path))


def _expired_waiver_warnings(plan: ScanPlan) -> list[str]:
    return [f"waiver for {w.check} on {', '.join(w.hosts)} expired on {w.expires} ({w.source}) and no longer applies"
            for w in plan.waivers if w.expired(plan.today)]


def cmd_scan(args: argparse.Namespace, command: list[str]) -> int:
    plan = load_plan(args)
    after = AfterRun.prepare(args, plan)
    targets = _targets(args)
    options = ScanOptions(
        parallel=args.parallel,
        ssh=SshOptions(known_hosts=tuple(args.known_hosts), trust_on_first_use=args.trust_on_first_use,
                       connect_timeout=args.connect_timeout, ssh_config=args.ssh_config,
                       identity_files=tuple(args.identity), allow_agent=not args.no_agent),
        limits=CollectLimits(timeout=args.timeout, use_sudo=args.sudo),
        network=network_options(args),
    )
    warnings = _expired_waiver_warnings(plan) + network_warnings(plan.probes, options.network)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    writer = RunWriter(args.output, new_run_id(), run_header(plan, command, now_iso()))
    progress = make_progress(len(targets), args.quiet)
    try:
        outcome = run_scan(targets, plan, options, writer, progress)
    finally:
        if progress is not None:
            progress.close()
    path = writer.finish(complete=not outcome.interrupted, interrupted=outcome.interrupted,
                         unfinished=outcome.unfinished, warnings=warnings)
    _report(path, writer.hosts, not outcome.interrupted)
    code = after.finish(path, exit_code(writer.hosts, args.fail_on, outcome.interrupted))
    write_reports(path, args.format)  # after compare: a comparison.json beside run.json is included
    after.seal(path)  # last: the signed manifest covers the reports too
    return code


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Collect once, evaluate many times: today's checks over a stored run's facts, no host contacted."""
    plan = load_plan(args)
    after = AfterRun.prepare(args, plan)
    source = load_run(args.run)
    header = run_header(plan, ["hardencheck", "evaluate", str(args.run)], now_iso())
    header["evaluated_from"] = {"run_id": source.get("run_id"), "started": source.get("started")}
    writer = RunWriter(args.output, new_run_id(), header)
    for h in source.get("hosts", []):
        host = HostResult(target=h["target"], status=h["status"], error=h.get("error", ""),
                          connection=h.get("connection", {}), started=h.get("started", ""),
                          finished=h.get("finished", ""), duration=h.get("duration", 0.0),
                          facts=host_facts(h), problems=h.get("problems", []))
        if host.status == "ok":
            host.facts.update(derive_facts(host.facts, plan.probes))  # e.g. today's advisory feed
            host.results = evaluate_host(host.target, host.facts, plan)
        else:
            from hardencheck.engine import error_results

            host.results = error_results(plan, host.target["id"], host.error)
        writer.add_host(host)
    warnings = _expired_waiver_warnings(plan)
    if not source.get("complete", True):
        warnings.append(f"source run {source.get('run_id')} was incomplete")
    path = writer.finish(complete=bool(source.get("complete", True)), interrupted=False, unfinished=[],
                         warnings=warnings)
    _report(path, writer.hosts, True)
    code = after.finish(path, exit_code(writer.hosts, args.fail_on, False))
    write_reports(path, args.format)
    after.seal(path)
    return code


__all__ = ["cmd_scan", "cmd_evaluate", "terminal_safe"]
