"""Gather every selected probe's fact from one target in one round trip."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hardencheck.facts.base import DerivedProbe, FactUnavailable, Probe
from hardencheck.facts.batch import CollectorScript
from hardencheck.facts.cache import FactCache
from hardencheck.facts.model import FactRecord
from hardencheck.facts.raw import CommandSpec, FileSpec, RawAnswers, RawBundle, RawCommand, RawFile
from hardencheck.results.redact import redact_record
from hardencheck.transport.base import Transport


@dataclass(frozen=True)
class CollectLimits:
    """Per-host bounds: the whole collection's time and bytes (each probe has its own too)."""

    timeout: float = 120.0
    max_bytes: int = 64 * 1024 * 1024
    use_sudo: bool = False


@dataclass
class Collection:
    facts: dict[str, FactRecord]
    problems: list[str] = field(default_factory=list)
    privilege: str | None = None
    duration: float = 0.0


def collect(transport: Transport, probes: Mapping[str, tuple[Probe, Mapping[str, Any]]],
            limits: CollectLimits, cache: FactCache | None = None) -> Collection:
    """Run the probes' requests as one script (or file reads for a directory) and parse each answer.

    Every record comes back redacted; with a ``cache``, hosts returning identical answers share one."""
    requests = {name: probe.request(opts) for name, (probe, opts) in probes.items()}
    files = [f for r in requests.values() for f in r.files]
    commands = [c for r in requests.values() for c in r.commands]
    problems: list[str] = []
    duration = 0.0
    if transport.can_execute:
        script = CollectorScript(files, commands)
        result = transport.run_script(script.render(), timeout=limits.timeout, max_bytes=limits.max_bytes,
                                      use_sudo=limits.use_sudo)
        duration = result.duration
        bundle = script.parse(result.stdout)
        if result.timed_out:
            problems.append(f"collection timed out after {limits.timeout:g}s; facts gathered before that are kept")
        if result.truncated:
            problems.append(f"the target sent more than {limits.max_bytes} bytes; the rest was discarded")
        if bundle.meta.get("complete") != "yes" and not (result.timed_out or result.truncated):
            problems.append(f"the collector script ended early (exit status {result.exit_status})")
        problems.extend(bundle.problems)
    else:
        bundle = read_directly(transport, files, commands)
    uid = bundle.meta.get("uid", "").strip()
    privilege = None if not uid else ("root" if uid == "0" else "user")
    facts: dict[str, FactRecord] = {}
    for name, (probe, opts) in probes.items():
        if isinstance(probe, DerivedProbe):
            continue
        answers = RawAnswers(bundle, requests[name])

        def parse(name: str = name, probe: Probe = probe, opts: Mapping[str, Any] = opts,
                  answers: RawAnswers = answers) -> tuple[FactRecord, set[str]]:
            record = redact_record(_parse_one(name, probe, opts, answers))
            return record, {*answers.used_files, *("cmd:" + k for k in answers.used_commands)}

        if cache is not None and transport.can_execute and probe.pure:
            facts[name] = cache.get_or_parse(name, opts, requests[name], bundle, parse)
        else:
            facts[name] = parse()[0]
    if not transport.can_execute:
        _unmanaged_is_not_applicable(facts)
    facts.update(derive_facts(facts, probes))
    return Collection(facts=facts, problems=problems, privilege=privilege, duration=duration)


def _unmanaged_is_not_applicable(facts: dict[str, FactRecord]) -> None:
    """A config repository only speaks for the files it holds: a fact it has no file for is not
    applicable there (checks are skipped saying so), rather than an error of the audit."""
    for rec in facts.values():
        if rec.status == "error":
            rec.status = "not-applicable"
            rec.reason = f"not managed in this repository: {rec.reason}"


def derive_facts(facts: Mapping[str, FactRecord],
                 probes: Mapping[str, tuple[Probe, Mapping[str, Any]]]) -> dict[str, FactRecord]:
    """Compute every derived fact from the collected ones (also used when re-evaluating a stored run)."""
    out: dict[str, FactRecord] = {}
    for name, (probe, opts) in probes.items():
        if not isinstance(probe, DerivedProbe):
            continue
        missing = [d for d in probe.derived_from if d not in facts or facts[d].status != "ok"]
        if missing and all(d in facts and facts[d].status == "not-applicable" for d in missing):
            reasons = "; ".join(f"{d}: {facts[d].reason}" for d in missing)
            out[name] = FactRecord(name, "not-applicable", f"derived from facts not applicable here ({reasons})")
            continue
        if missing:
            reasons = "; ".join(f"{d}: {facts[d].reason if d in facts else 'not collected'}" for d in missing)
            out[name] = FactRecord(name, "error", f"derived from facts that are unavailable ({reasons})")
            continue
        try:
            fact = probe.derive(facts, opts)
        except FactUnavailable as exc:
            out[name] = FactRecord(name, "not-applicable" if exc.not_applicable else "error", exc.reason)
            continue
        except Exception as exc:  # noqa: BLE001
            out[name] = FactRecord(name, "error", f"deriving {name} failed ({type(exc).__name__})")
            continue
        out[name] = FactRecord(name, "ok", fact=fact,
                               sources={f"fact:{d}": {"kind": "fact", "status": "ok"} for d in probe.derived_from})
    return out


def _parse_one(name: str, probe: Probe, options: Mapping[str, Any], raw: RawAnswers) -> FactRecord:
    try:
        fact = probe.parse(raw, options)
    except FactUnavailable as exc:
        return FactRecord(name, "not-applicable" if exc.not_applicable else "error", exc.reason,
                          sources=raw.sources())
    except Exception as exc:  # noqa: BLE001 - a hostile input must cost one fact, never the host
        return FactRecord(name, "error", f"the {name} parser failed on this target's data ({type(exc).__name__})",
                          sources=raw.sources())
    return FactRecord(name, "ok", fact=fact, sources=raw.sources())


def read_directly(transport: Transport, files: list[FileSpec], commands: list[CommandSpec]) -> RawBundle:
    """For transports that cannot run a script: read files one by one; commands are unsupported."""
    bundle = RawBundle()
    for spec in files:
        paths = [spec.path]
        if spec.is_glob:
            d, pattern = posixpath.split(spec.path)
            names = transport.list_dir(d) or []
            paths = [posixpath.join(d, n) for n in sorted(names) if fnmatch.fnmatchcase(n, pattern)]
        for path in paths:
            content = transport.read_file(path, spec.max_bytes)
            status = "ok" if content is not None else "missing"
            if status == "missing" and spec.is_glob:
                continue
            bundle.files[path] = RawFile(path, status, content or b"",
                                         truncated=content is not None and len(content) >= spec.max_bytes,
                                         source=transport.source_name(path))
    for cmd in commands:
        bundle.commands[cmd.key] = RawCommand(cmd.key, cmd.argv, "unsupported")
    return bundle
