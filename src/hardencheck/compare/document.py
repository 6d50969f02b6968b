"""The comparison document (schemas/comparison.schema.json): transitions, drift, waivers, scores, plan."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

from hardencheck.checks.model import Severity
from hardencheck.compare.drift import host_drift
from hardencheck.compare.remediation import plan_items
from hardencheck.compare.score import WEIGHTS, score, weights
from hardencheck.compare.transitions import CHANGES, WORSE, Side, build_side, transitions
from hardencheck.compare.waiver_flags import covering_regressions, expired_between
from hardencheck.plan import ScanPlan

SCHEMA_VERSION = "1.0"


@cache
def comparison_schema() -> dict[str, Any]:
    return json.loads(resources.files("hardencheck").joinpath("schemas/comparison.schema.json").read_text())


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """Every way ``doc`` breaks the comparison schema, as ``path: message`` lines (empty when valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(comparison_schema())
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def _run_ref(doc: dict[str, Any]) -> dict[str, Any]:
    return {"run_id": str(doc.get("run_id", "")), "started": doc.get("started"),
            "profile": (doc.get("profile") or {}).get("name"),
            "checks_sha256": (doc.get("checks") or {}).get("sha256"), "complete": bool(doc.get("complete", True))}


def _scores(before: Side, after: Side, transitions_: list[dict[str, Any]]) -> dict[str, Any]:
    """Per host and fleet, from the same checks on both sides (stale baseline checks are left out)."""
    pairs: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
    for t in transitions_:
        host = pairs.setdefault(t["host"], {"before": [], "after": []})
        if t["fingerprint"] not in before.stale:
            host["before"].append((t["severity"], t["before_status"]))
        host["after"].append((t["severity"], t["after_status"]))
    fleet = {"before": [0.0, 0.0], "after": [0.0, 0.0]}
    hosts: dict[str, dict[str, float | None]] = {}
    for hid, sides in sorted(pairs.items()):
        hosts[hid] = {}
        for side in ("before", "after"):
            present = hid in (before.results if side == "before" else after.results)
            f, a = weights(sides[side]) if present else (0.0, 0.0)
            fleet[side][0] += f
            fleet[side][1] += a
            hosts[hid][side] = score(f, a) if present else None
    return {"weights": dict(WEIGHTS), "fleet": {s: score(*fleet[s]) for s in ("before", "after")}, "hosts": hosts}


def _drift(before_doc: dict[str, Any], after_doc: dict[str, Any]) -> dict[str, Any]:
    b = {h["target"]["id"]: h for h in before_doc.get("hosts") or []}
    out = {}
    for h in after_doc.get("hosts") or []:
        hid = h["target"]["id"]
        if hid in b:
            drift = host_drift(b[hid], h)
            if drift:
                out[hid] = drift
    return dict(sorted(out.items()))


def compare_runs(before_doc: dict[str, Any], after_doc: dict[str, Any], plan: ScanPlan) -> dict[str, Any]:
    """Compare two run documents with ``plan``'s checks (normally the later run's own).

    Both runs are re-evaluated from their stored facts with ``plan``, each with its own waivers as of its
    own date; ``plan.waivers``, when given, replace the later run's waivers (the baseline keeps its own).
    """
    before = build_side(before_doc, plan)
    after = build_side(after_doc, plan, waivers=plan.waivers or None)
    trans = transitions(before, after)
    counts = Counter(t["change"] for t in trans)
    targets = {**before.targets, **after.targets}
    return {
        "schema_version": SCHEMA_VERSION, "kind": "comparison",
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "before": _run_ref(before_doc), "after": _run_ref(after_doc),
        "evaluated_with": {"profile": plan.profile.name, "checks_sha256": plan.checks_sha256,
                           "checks": len(plan.checks)},
        "hosts_added": sorted(set(after.results) - set(before.results)),
        "hosts_removed": sorted(set(before.results) - set(after.results)),
        "transitions": trans,
        "counts": {c: counts.get(c, 0) for c in CHANGES},
        "drift": _drift(before_doc, after_doc),
        "waivers": {"expired_between": expired_between(before_doc, after_doc, targets, trans),
                    "covering_regressions": covering_regressions(trans)},
        "score": _scores(before, after, trans),
        "plan": plan_items(trans),
    }


def gate(comparison: dict[str, Any], *, regression: bool, fail_on: str) -> bool:
    """True when the comparison should fail a CI job.

    ``regression``: only what got worse than the baseline (regressed, new_failing) counts, so a baseline
    that was already failing and did not change passes. ``fail_on``: a severity floor (``none``: no floor
    without ``regression``, every severity with it).
    """
    if not regression and fail_on == "none":
        return False
    floor = Severity(fail_on).rank if fail_on != "none" else Severity.INFO.rank
    wanted = WORSE if regression else {"fail"}
    for t in comparison["transitions"]:
        hit = t["change"] in wanted if regression else t["after_status"] in wanted
        if hit and Severity(t["severity"]).rank >= floor:
            return True
    return False


def summary_lines(comparison: dict[str, Any]) -> list[str]:
    """A few lines for the terminal."""
    b, a, c = comparison["before"], comparison["after"], comparison["counts"]
    fleet = comparison["score"]["fleet"]
    fmt = lambda v: "n/a" if v is None else f"{v:.1f}"
    lines = [f"compare {b['run_id']} -> {a['run_id']}",
             "  " + ", ".join(f"{c[k]} {k.replace('_', ' ')}" for k in CHANGES if c[k]) if any(c.values())
             else "  no results on either side",
             f"  posture score {fmt(fleet['before'])} -> {fmt(fleet['after'])}"]
    if comparison["hosts_added"] or comparison["hosts_removed"]:
        lines.append(f"  hosts: +{len(comparison['hosts_added'])} -{len(comparison['hosts_removed'])}")
    highlights = [f"{hid}: {h}" for hid, kinds in comparison["drift"].items() for d in kinds.values()
                  for h in d["highlights"]]
    for h in highlights[:10]:
        lines.append(f"  ! {h}")
    if len(highlights) > 10:
        lines.append(f"  ! ... and {len(highlights) - 10} more drift highlights in comparison.json")
    w = comparison["waivers"]
    if w["expired_between"] or w["covering_regressions"]:
        lines.append(f"  waivers: {len(w['expired_between'])} expired since the baseline, "
                     f"{len(w['covering_regressions'])} covering a regression")
    if comparison["plan"]:
        lines.append(f"  remediation plan: {len(comparison['plan'])} item(s)")
    return lines
