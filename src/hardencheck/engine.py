"""The per-target pipeline and the concurrency around it.

target -> transport -> one collection -> facts -> checks -> host result.
Hosts run concurrently; a slow or dead host costs its own timeout; each host
result is handed to the sink the moment it is complete, so an interrupted
run keeps every host it finished.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hardencheck.checks.evaluate import TargetContext, evaluate_check, locate
from hardencheck.checks.model import Check
from hardencheck.facts.cache import FactCache
from hardencheck.facts.collect import CollectLimits, collect
from hardencheck.facts.model import FactRecord
from hardencheck.inventory.model import Target
from hardencheck.network.session import NetworkOptions, NetworkSession, split_probes
from hardencheck.plan import ScanPlan
from hardencheck.results.model import CheckResult, Evidence, HostResult, Status, finding_fingerprint
from hardencheck.results.redact import redact, redact_record, redact_text
from hardencheck.transport.base import Transport, TransportError
from hardencheck.transport.directory import DirectoryTransport, PathMapping
from hardencheck.transport.local import LocalTransport
from hardencheck.transport.ssh import SshOptions, SshTransport
from hardencheck.waivers import find_waiver


@dataclass(frozen=True)
class ScanOptions:
    parallel: int = 8
    ssh: SshOptions = field(default_factory=SshOptions)
    limits: CollectLimits = field(default_factory=CollectLimits)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    fact_cache: FactCache | None = field(default_factory=FactCache, compare=False)


class HostSink(Protocol):
    def add_host(self, host: HostResult) -> None: ...


class ProgressHook(Protocol):
    def host_started(self, target: Target) -> None: ...
    def host_done(self, host: HostResult) -> None: ...


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def open_transport(target: Target, options: ScanOptions) -> Transport:
    if target.transport == "local":
        return LocalTransport()
    if target.transport == "dir":
        return DirectoryTransport(Path(target.path or target.address),
                                  [PathMapping(r, t) for r, t in target.mappings])
    return SshTransport(target.address, options.ssh, user=target.user, port=target.port,
                        identity_files=list(target.identity_files))


def _evidence(record: FactRecord, path: str) -> Evidence:
    loc = locate(record, path)
    if loc is None:
        source, meta = next(iter(record.sources.items()), ("", {}))
        return Evidence(record.name, path, source, None, "", meta.get("sha256"), meta.get("repo_path"))
    meta = record.sources.get(loc.source, {})
    return Evidence(record.name, path, loc.source, loc.line, redact_text(loc.excerpt), meta.get("sha256"),
                    meta.get("repo_path"))


def evaluate_host(target: dict[str, Any], facts: dict[str, FactRecord], plan: ScanPlan) -> list[CheckResult]:
    """Evaluate every planned check against one host's facts (used by scan and by offline ``evaluate``)."""
    ctx = TargetContext(asset_class=target.get("asset_class"), transport=target.get("transport", "ssh"))
    names = [target["id"], target.get("address", ""), *target.get("groups", [])]
    results = []
    for cid, check in plan.checks.items():
        key = _outcome_key(cid, check, ctx, facts)
        verdict = plan.verdicts.get(key) if key is not None else None
        if verdict is None:
            verdict = _verdict(check, facts, ctx, plan.params[cid])
            if key is not None:
                plan.remember_verdict(key, verdict)
        result = CheckResult(
            check_id=cid, title=check.title, severity=check.severity.value, status=Status(verdict.status),
            reason=verdict.reason, observed=verdict.observed, expected=verdict.expected,
            evidence=list(verdict.evidence), remediation=check.remediation,
            compliance={k: list(v) for k, v in check.compliance.items()},
            tags=list(check.tags), fingerprint=finding_fingerprint(cid, target["id"]),
        )
        waiver = find_waiver(plan.waivers, cid, names) if result.status == Status.FAIL else None
        if waiver is not None:
            result.waiver = waiver.to_dict(plan.today)
            if not waiver.expired(plan.today):
                result.status = Status.WAIVED
                result.reason = f"waived until {waiver.expires}: {waiver.justification}"
        results.append(result)
    return results


@dataclass(frozen=True)
class Verdict:
    """What a check concluded from a set of facts, before it is tied to a host (fingerprint, waiver)."""

    status: str
    reason: str
    observed: Any
    expected: str
    evidence: tuple[Evidence, ...]


def _verdict(check: Check, facts: dict[str, FactRecord], ctx: TargetContext, params: dict[str, Any]) -> Verdict:
    outcome = evaluate_check(check, facts, ctx, params)
    leaves = outcome.leaves[:25]
    evidence = [_evidence(facts[leaf.fact], leaf.path) for leaf in leaves if leaf.fact in facts]
    if outcome.status in ("pass", "fail"):  # the other side of a comparison is evidence too
        evidence += [_evidence(facts[f], p) for f, p in _references(check.expect) if f in facts]
    observed: Any = [leaf.observed for leaf in leaves] if len(leaves) > 1 else (
        leaves[0].observed if leaves else None)
    return Verdict(
        status=outcome.status,
        reason=outcome.reason or "; ".join(dict.fromkeys(leaf.message for leaf in leaves if leaf.message)),
        observed=_jsonable(observed), expected="; ".join(dict.fromkeys(leaf.expected for leaf in leaves)),
        evidence=tuple(dict.fromkeys(evidence)))


def _outcome_key(cid: str, check: Check, ctx: TargetContext, facts: dict[str, FactRecord]) -> tuple[Any, ...] | None:
    """Checks are pure functions of the target context and the facts they read: when every one of
    those facts is a shared record (same identity = parsed from identical bytes) or is missing
    (then only its status and reason count), the verdict is the same as for any host with the
    same key. None when some fact was gathered but is this host's alone (no identity)."""
    parts: list[Any] = [cid, ctx]
    for name in check.facts:
        rec = facts.get(name)
        if rec is None:
            parts.append(None)
        elif rec.identity is not None:
            parts.append(rec.identity)
        elif rec.status != "ok":  # a missing fact: the verdict reads only its status and reason
            parts.append((rec.status, rec.reason))
        else:
            return None
    return tuple(parts)


def _references(node: Any) -> list[tuple[str, str]]:
    """``(fact, path)`` of every ``value_from`` in a check's expectation (host-vs-network comparisons)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        ref = node.get("value_from")
        if isinstance(ref, dict) and "fact" in ref:
            path = ref.get("path", "")
            found.append((ref["fact"], "/".join(map(str, path)) if isinstance(path, list) else str(path).replace(".", "/")))
        for value in node.values():
            found += [r for r in _references(value) if r not in found]
    elif isinstance(node, list):
        for item in node:
            found += [r for r in _references(item) if r not in found]
    return found


def _jsonable(value: Any) -> Any:
    from hardencheck.checks.operators import MISSING

    if value is MISSING:
        return None
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def error_results(plan: ScanPlan, target_id: str, reason: str) -> list[CheckResult]:
    """A host that could not be audited: every check is ``error`` with the reason, never missing or pass."""
    return [CheckResult(check_id=cid, title=c.title, severity=c.severity.value, status=Status.ERROR,
                        reason=f"host could not be audited: {reason}", remediation=c.remediation,
                        compliance={k: list(v) for k, v in c.compliance.items()}, tags=list(c.tags),
                        fingerprint=finding_fingerprint(cid, target_id))
            for cid, c in plan.checks.items()]


def audit_target(target: Target, plan: ScanPlan, options: ScanOptions,
                 register: Callable[[Transport | None], None] = lambda t: None,
                 network: NetworkSession | None = None) -> HostResult:
    """Audit one target end to end; never raises for anything the target does.

    Network facts come from ``network`` (the run's session, already scanning in the
    background) or, for a lone call, from a session of this target's own.
    """
    own = None
    if network is None and split_probes(plan.probes)[1]:
        network = own = NetworkSession(plan.probes, options.network).start([target])
    try:
        return finish_host(collect_host(target, plan, options, register), target, plan, network)
    finally:
        if own is not None:
            own.close()


@dataclass
class CollectedHost:
    """A host whose own facts are gathered (or failed), waiting for its network facts and evaluation."""

    host: HostResult
    t0: float


def collect_host(target: Target, plan: ScanPlan, options: ScanOptions,
                 register: Callable[[Transport | None], None] = lambda t: None) -> CollectedHost:
    """The host side: one SSH (or local, or directory) collection; the transport is closed on return."""
    t0 = time.monotonic()
    host = HostResult(target=target.to_dict(), status="ok", started=now_iso())
    host_probes = split_probes(plan.probes)[0]
    transport: Transport | None = None
    try:
        skip = _host_side_skipped(target, options)
        if skip:
            host.facts = {name: FactRecord(name, "not-applicable", skip) for name in host_probes}
            host.connection = {"transport": "network", "address": target.address}
        else:
            transport = open_transport(target, options)
            register(transport)
            transport.open()
            collection = collect(transport, host_probes, options.limits, options.fact_cache)
            host.facts = collection.facts
            host.problems = collection.problems
            transport.info.privilege = collection.privilege
            if collection.privilege == "root" and options.limits.use_sudo and transport.info.user not in ("", "root"):
                transport.info.privilege = "sudo"
    except TransportError as exc:
        host.status, host.error = "error", str(exc)
    except Exception as exc:  # noqa: BLE001 - one host's surprise must not stop the fleet
        host.status, host.error = "error", f"internal error while auditing: {type(exc).__name__}: {exc}"
    finally:
        if transport is not None:
            host.connection = transport.info.to_dict()
            transport.close()
        register(None)
    return CollectedHost(host, t0)


def finish_host(collected: CollectedHost, target: Target, plan: ScanPlan,
                network: NetworkSession | None) -> HostResult:
    """Merge the network facts (waiting for them if needed), evaluate every check, redact."""
    host = collected.host
    if network is not None:
        host.facts.update(network.records_for(target))
    host.results = _host_results(host, split_probes(plan.probes)[0], plan, target.name)
    host.finished, host.duration = now_iso(), time.monotonic() - collected.t0
    _redact_host(host)
    return host


def _host_side_skipped(target: Target, options: ScanOptions) -> str:
    """Why host facts are not gathered on this target ('' when they are)."""
    if target.transport == "network":
        return "network-only target: there is no host access (SSH) to gather this fact"
    if options.network.mode == "only":
        return "host collection was skipped (--network only)"
    return ""


def _host_results(host: HostResult, host_probes: dict[str, Any], plan: ScanPlan, target_id: str) -> list[CheckResult]:
    """Evaluate the host's checks.

    A host whose SSH side failed was not audited: every check is ``error``, except findings the
    network view proved on its own (``fail``/``waived``), which are kept, since a telnet port
    open on a terminal whose sshd is down is still a finding. Nothing about it reads as a pass.
    """
    if host.status == "error":
        if not any(rec.status == "ok" for rec in host.facts.values()):
            return error_results(plan, target_id, host.error)
        for name in host_probes:
            host.facts.setdefault(name, FactRecord(name, "error", f"host could not be audited: {host.error}"))
    try:
        results = evaluate_host(host.target, host.facts, plan)
    except Exception as exc:  # noqa: BLE001
        host.status, host.error = "error", f"internal error while evaluating: {type(exc).__name__}: {exc}"
        return error_results(plan, target_id, host.error)
    if host.status == "error":
        for r in results:
            if r.status not in (Status.FAIL, Status.WAIVED, Status.ERROR):
                r.status, r.reason = Status.ERROR, f"host could not be audited: {host.error}"
    return results


def _redact_host(host: HostResult) -> None:
    """Secrets never leave this function unredacted: facts and findings are scrubbed before any sink sees them."""
    for rec in host.facts.values():
        redact_record(rec)  # shared records were redacted once, when parsed (facts/cache.py)
    for r in host.results:
        r.observed = redact(r.observed)
        r.reason = redact_text(r.reason)
    host.error = redact_text(host.error)
    host.problems = redact(host.problems)


@dataclass
class ScanOutcome:
    finished: list[HostResult]
    unfinished: list[str]
    interrupted: bool


class _InFlight:
    """Transports of hosts being audited, so an interrupt can cut them off instead of waiting out timeouts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_thread: dict[int, Transport] = {}

    def register(self, transport: Transport | None) -> None:
        with self._lock:
            if transport is None:
                self._by_thread.pop(threading.get_ident(), None)
            else:
                self._by_thread[threading.get_ident()] = transport

    def close_all(self) -> None:
        with self._lock:
            transports = list(self._by_thread.values())
        for t in transports:
            try:
                t.close()
            except Exception:  # noqa: BLE001
                pass


def run_scan(targets: Iterable[Target], plan: ScanPlan, options: ScanOptions, sink: HostSink,
             progress: ProgressHook | None = None) -> ScanOutcome:
    """Audit targets concurrently; SIGINT/SIGTERM stop the run, keeping every finished host."""
    targets = list(targets)
    inflight = _InFlight()
    finished: list[HostResult] = []
    interrupted = False
    previous = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if previous is not None:
        signal.signal(signal.SIGTERM, on_term)
    network = NetworkSession(plan.probes, options.network).start(targets) if split_probes(plan.probes)[1] else None
    pool = ThreadPoolExecutor(max_workers=max(1, options.parallel), thread_name_prefix="audit")
    pending: dict[Future[CollectedHost], Target] = {}
    # SSH workers never wait for nmap: a collected host waits here until its network scan is in
    awaiting: list[tuple[CollectedHost, Target]] = []

    def finish_ready(block: bool) -> None:
        nonlocal awaiting
        still = []
        for collected, target in awaiting:
            if block or network is None or network.ready(target):
                host = finish_host(collected, target, plan, network)
                sink.add_host(host)
                finished.append(host)
                if progress is not None:
                    progress.host_done(host)
            else:
                still.append((collected, target))
        awaiting = still

    try:
        for t in targets:
            pending[pool.submit(_collect_with_progress, t, plan, options, inflight, progress)] = t
        while pending or awaiting:
            if pending:
                done, _ = wait(list(pending), timeout=0.2 if awaiting else 0.5, return_when=FIRST_COMPLETED)
            else:
                done = set()
                assert network is not None
                network.wait_ready(awaiting[0][1], timeout=0.5)
            for fut in done:
                awaiting.append((fut.result(), pending.pop(fut)))
            finish_ready(block=False)
    except KeyboardInterrupt:
        interrupted = True
        for fut in pending:
            fut.cancel()
        inflight.close_all()
        if network is not None:
            network.cancel()
        finish_ready(block=True)  # their SSH facts are kept; network facts say "interrupted"
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        if network is not None:
            network.close(wait=not interrupted)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    unfinished = [t.name for t in pending.values()]
    return ScanOutcome(finished, unfinished, interrupted)


def _collect_with_progress(target: Target, plan: ScanPlan, options: ScanOptions, inflight: _InFlight,
                           progress: ProgressHook | None) -> CollectedHost:
    if progress is not None:
        progress.host_started(target)
    return collect_host(target, plan, options, inflight.register)
