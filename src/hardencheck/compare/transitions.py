"""Check transitions between two runs, both judged by the same checks.

Both runs are re-evaluated from their stored facts with one plan (the later
run's checks and parameters, each run's own waivers as of its own date), so
a check added since the baseline is compared fairly instead of showing up as
"new". Results are keyed by fingerprint: matching is a dict lookup.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hardencheck.engine import error_results, evaluate_host
from hardencheck.facts.base import DerivedProbe
from hardencheck.facts.collect import derive_facts
from hardencheck.facts.model import FactRecord
from hardencheck.plan import ScanPlan
from hardencheck.results.document import host_facts
from hardencheck.results.model import finding_fingerprint
from hardencheck.results.redact import redact, redact_text
from hardencheck.waivers import Waiver

CHANGES = ("fixed", "regressed", "still_failing", "new_failing", "new_passing", "removed", "error",
           "unchanged_pass", "waived", "skipped")
#: What got worse than the baseline: the `--fail-on-regression` gate.
WORSE = frozenset({"regressed", "new_failing"})


def classify(before: str | None, after: str | None) -> str:
    """The change from one status to another (``None``: no result on that side). Order matters: first rule wins."""
    if after is None:
        return "removed"
    if "error" in (before, after):
        return "error"
    if "waived" in (before, after):
        return "waived"
    if after == "skipped":
        return "skipped"
    if before in (None, "skipped"):
        return "new_failing" if after == "fail" else "new_passing"
    if before == "pass":
        return "unchanged_pass" if after == "pass" else "regressed"
    return "fixed" if after == "pass" else "still_failing"


@dataclass
class Side:
    """One run's results as judged by the comparison's plan, keyed host id -> fingerprint -> result."""

    results: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: host id -> ids of checks reading a fact this run never collected
    lacking: dict[str, set[str]] = field(default_factory=dict)
    #: fingerprints of results kept from the document for checks the plan no longer has
    stale: set[str] = field(default_factory=set)


def run_date(doc: dict[str, Any], default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(doc.get("started", ""))[:10])
    except ValueError:
        return default


def waivers_of(doc: dict[str, Any]) -> list[Waiver]:
    """The waivers a run applied, rebuilt from its document."""
    out = []
    for w in doc.get("waivers") or []:
        try:
            expires = dt.date.fromisoformat(str(w["expires"]))
        except (KeyError, ValueError):
            continue
        hosts = w.get("hosts") or []
        out.append(Waiver(str(w.get("check", "")), tuple(hosts if isinstance(hosts, list) else [hosts]),
                          str(w.get("justification", "")), expires, str(w.get("approved_by", "")),
                          str(w.get("ticket", "")), str(w.get("source", ""))))
    return out


def _facts(host: dict[str, Any], plan: ScanPlan) -> dict[str, FactRecord]:
    """The stored facts, derived ones recomputed as `hardencheck evaluate` does (e.g. with today's advisories).

    A derivation that cannot run now (no feed given) keeps the run's own derived fact, so comparing
    without the reference data compares what each run knew instead of turning findings into "skipped".
    """
    facts = host_facts(host)
    for name, record in derive_facts(facts, plan.probes).items():
        if record.status == "ok" or name not in facts:
            facts[name] = record
    return facts


def _answerable(stored: set[str], plan: ScanPlan) -> set[str]:
    """Facts a run could answer: those it collected, and derived ones whose inputs it collected."""
    derived = {name: probe.derived_from for name, (probe, _) in plan.probes.items() if isinstance(probe, DerivedProbe)}
    have = stored - set(derived)
    for _ in range(len(derived)):  # derived from derived: settle in at most len(derived) rounds
        more = {name for name, inputs in derived.items() if name not in have and set(inputs) <= have}
        if not more:
            break
        have |= more
    return have


def _reevaluate(host: dict[str, Any], facts: dict[str, FactRecord], plan: ScanPlan) -> list[dict[str, Any]]:
    target = host["target"]
    if host.get("status") != "ok":
        return [r.to_dict() for r in error_results(plan, target["id"], host.get("error", ""))]
    out = []
    for r in evaluate_host(target, facts, plan):
        r.observed, r.reason = redact(r.observed), redact_text(r.reason)
        out.append(r.to_dict())
    return out


def _unfinished(doc: dict[str, Any], plan: ScanPlan) -> dict[str, list[dict[str, Any]]]:
    """Targets an interrupted run never finished: every check is ``error``, never missing or pass."""
    why = "not audited: the run was interrupted before this host finished"
    return {name: [r.to_dict() for r in error_results(plan, name, why)]
            for name in doc.get("unfinished_targets") or []}


def build_side(doc: dict[str, Any], plan: ScanPlan, waivers: list[Waiver] | None = None) -> Side:
    """Judge one run from its stored facts with ``plan``'s checks, and its own waivers as of its own date.

    Both runs of a comparison go through here, so neither side keeps verdicts from other checks, parameters,
    reference data or hardencheck versions than the other.
    """
    side = Side()
    plan = dataclasses.replace(plan, waivers=waivers_of(doc) if waivers is None else waivers,
                               today=run_date(doc, plan.today))
    for host in doc.get("hosts") or []:
        hid = host["target"]["id"]
        side.targets[hid] = host["target"]
        ok = host.get("status") == "ok"
        judged = _reevaluate(host, _facts(host, plan) if ok else {}, plan)
        by_fp = {r["fingerprint"]: r for r in judged}
        for r in host.get("results") or []:
            if r["check_id"] not in plan.checks and r["fingerprint"] not in by_fp:
                by_fp[r["fingerprint"]] = r
                side.stale.add(r["fingerprint"])
        side.results[hid] = by_fp
        if ok:
            have = _answerable(set(host.get("facts") or {}), plan)
            side.lacking[hid] = {cid for cid, c in plan.checks.items() if not set(c.facts) <= have}
    for name, results in _unfinished(doc, plan).items():
        if name not in side.results:
            side.targets[name] = {"id": name}
            side.results[name] = {r["fingerprint"]: r for r in results}
    return side


def _transition(host: str, before: dict[str, Any] | None, after: dict[str, Any] | None, lacks: bool
                ) -> dict[str, Any]:
    main = after if after is not None else before
    assert main is not None
    b_status = before.get("status") if before else None
    if lacks and b_status == "error":
        b_status = None  # the baseline could not have answered: no result, not a failure of the host
    a_status = after.get("status") if after else None
    return {
        "host": host, "check_id": main["check_id"], "title": main.get("title", ""),
        "severity": main.get("severity", "info"), "before_status": b_status, "after_status": a_status,
        "change": classify(b_status, a_status),
        "before_observed": before.get("observed") if before else None,
        "after_observed": after.get("observed") if after else None,
        "before_reason": before.get("reason", "") if before else "",
        "after_reason": after.get("reason", "") if after else "",
        "evidence": list(main.get("evidence") or []), "remediation": main.get("remediation", ""),
        "compliance": dict(main.get("compliance") or {}),
        "fingerprint": main.get("fingerprint") or finding_fingerprint(main["check_id"], host),
        "baseline_lacks_fact": lacks, "waiver": after.get("waiver") if after else None,
    }


def transitions(before: Side, after: Side) -> list[dict[str, Any]]:
    """One transition per host and check on either side, sorted by host then check id."""
    out = []
    for host in sorted(set(before.results) | set(after.results)):
        b, a = before.results.get(host, {}), after.results.get(host, {})
        lacking = before.lacking.get(host, set()) if host in before.results else set()
        for fp in set(b) | set(a):
            result = a.get(fp) or b[fp]
            lacks = result["check_id"] in lacking and fp not in before.stale
            out.append(_transition(host, b.get(fp), a.get(fp), lacks))
    out.sort(key=lambda t: (t["host"], t["check_id"]))
    return out
