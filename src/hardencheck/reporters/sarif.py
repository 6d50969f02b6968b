"""SARIF 2.1.0 for code scanning: one rule per check, one result per open finding.

Findings on ``dir:`` targets (configuration repositories) point at the repository file and line
(``evidence[].repo_path``), so GitHub code scanning annotates the line in a pull request. Findings
on hosts carry a logical location (the host) and name the evidence source in the message.
``partialFingerprints`` hold the finding fingerprint (check id + target id, no line numbers or
values), so an alert keeps its identity from one run to the next.

Results are emitted for fail, waived (as an accepted suppression) and error (kind ``open``: not
verified, never pass). With a comparison, ``baselineState`` says whether a finding is new,
unchanged or gone (fixed findings appear as ``absent`` passes so a dashboard can close them).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar
from urllib.parse import quote

from hardencheck.reporters.base import ViewReporter
from hardencheck.reporters.text import visible
from hardencheck.reporters.view import PCI, Finding, ReportView, framework_name

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: GitHub's scale: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
BASELINE_STATE = {"regressed": "new", "new_failing": "new", "still_failing": "unchanged", "waived": "unchanged",
                  "error": "updated", "fixed": "absent", "removed": "absent"}
FINGERPRINT_KEY = "hardencheck/v1"
#: Past this many results the document is written without indentation.
LARGE_RESULTS = 5000


def _rule(f: Finding) -> dict[str, Any]:
    refs = [f"{framework_name(fw)} {i}" for fw, ids in f.compliance for i in ids]
    help_md = f.remediation + ("\n\nRequirements: " + ", ".join(refs) if refs else "")
    return {
        "id": f.check_id,
        "name": "".join(p.capitalize() for p in f.check_id.replace("_", "-").split("-")),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f"{f.title} ({f.severity}; {', '.join(refs) or 'no requirement mapped'})"},
        "help": {"text": f.remediation or f.title, "markdown": help_md or f.title},
        "defaultConfiguration": {"level": LEVEL.get(f.severity, "warning")},
        "properties": {
            "severity": f.severity,
            "security-severity": SECURITY_SEVERITY.get(f.severity, "0.0"),
            "precision": "very-high",
            "problem.severity": "recommendation" if f.severity in ("low", "info") else LEVEL.get(f.severity, "warning"),
            "tags": ["security", *(f"{fw}/{i}" for fw, ids in f.compliance for i in ids)],
            PCI: list(f.requirements),
            "compliance": {fw: list(ids) for fw, ids in f.compliance},
        },
    }


def _evidence_text(f: Finding) -> str:
    parts = []
    for e in f.evidence:
        first = next((ln.strip() for ln in e.excerpt.splitlines() if ln.strip()), "")
        parts.append(f"{e.location} ({first})" if first else e.location)
    return "; ".join(parts)


def _message(f: Finding, physical: bool) -> str:
    if f.status == "error":
        text = f"{f.title}: not verified on {f.host}: {f.reason}"
    elif f.change == "removed":
        text = f"{f.title}: failed on {f.host} in the baseline; no result in this run (host or check removed)"
    elif f.status == "pass":
        text = f"{f.title}: fixed on {f.host}"
    else:
        text = f"{f.title}: observed {f.observed or '(nothing)'}, expected {f.expected}"
        if not physical:
            text = f"{text} on {f.host}"
    evidence = _evidence_text(f)
    if evidence and not physical:
        text += f". Evidence: {evidence}"
    return visible(text)


def _locations(f: Finding) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    logical = {"name": f.host, "fullyQualifiedName": f.host, "kind": "resource"}
    physical = []
    for e in f.evidence:
        if f.transport == "dir" and e.repo_path:
            loc: dict[str, Any] = {"artifactLocation": {"uri": quote(e.repo_path), "uriBaseId": "%SRCROOT%"}}
            if e.line:
                loc["region"] = {"startLine": e.line, **({"snippet": {"text": e.excerpt}} if e.excerpt else {})}
            physical.append(loc)
    if not physical:
        return [{"logicalLocations": [logical]}], []
    primary = [{"physicalLocation": physical[0], "logicalLocations": [logical]}]
    related = [{"id": i, "physicalLocation": p} for i, p in enumerate(physical[1:], 1)]
    return primary, related


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    locations, related = _locations(f)
    physical = "physicalLocation" in locations[0]
    result: dict[str, Any] = {
        "ruleId": f.check_id, "ruleIndex": rule_index, "message": {"text": _message(f, physical)},
        "locations": locations, "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"host": f.host, "status": f.status, "severity": f.severity,
                       "evidence": [{"source": e.source, "line": e.line, "sha256": e.sha256 or None}
                                    for e in f.evidence]},
    }
    if f.status in ("fail", "waived"):
        result["kind"], result["level"] = "fail", LEVEL.get(f.severity, "warning")
    else:
        result["kind"] = "open" if f.status == "error" else "pass"
        result["level"] = "none"
    if related:
        result["relatedLocations"] = related
    if f.status == "waived":
        w = f.waiver or {}
        why = f"{w.get('justification', f.reason)} (until {w.get('expires', '?')}, approved by " \
              f"{w.get('approved_by') or '?'}{', ticket ' + str(w['ticket']) if w.get('ticket') else ''})"
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": visible(why)}]
    if f.change in BASELINE_STATE:
        result["baselineState"] = BASELINE_STATE[f.change]
        result["properties"]["change"] = f.change
    return result


def _reported(f: Finding) -> bool:
    if f.change == "removed":
        return f.before_status in ("fail", "waived")
    return f.status in ("fail", "waived", "error") or f.change == "fixed"


class SarifReporter(ViewReporter):
    name: ClassVar[str] = "sarif"
    filename: ClassVar[str] = "results.sarif"
    description: ClassVar[str] = "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers"

    def _render(self, view: ReportView, run: dict[str, Any], comparison: dict[str, Any] | None) -> str:
        rules: dict[str, int] = {}
        rule_list: list[dict[str, Any]] = []
        results = []
        for f in view.findings:
            if f.check_id not in rules:
                rules[f.check_id] = len(rule_list)
                rule_list.append(_rule(f))
            if _reported(f):
                results.append(_result(f, rules[f.check_id]))
        profile = str((run.get("profile") or {}).get("name", "default"))
        invocation: dict[str, Any] = {
            "executionSuccessful": view.unreachable == 0 and bool(run.get("complete", True)),
            "commandLine": visible(" ".join(map(str, run.get("command") or ["hardencheck"]))),
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": f"{h.id} could not be audited: {h.error}"}}
                for h in view.hosts if h.status == "error"],
        }
        for key, field in (("startTimeUtc", "started"), ("endTimeUtc", "finished")):
            if run.get(field):
                invocation[key] = visible(str(run[field]))
        sarif_run: dict[str, Any] = {
            "tool": {"driver": {"name": "hardencheck", "version": str((run.get("tool") or {}).get("version", "")),
                                "rules": rule_list}},
            "automationDetails": {"id": f"hardencheck/{visible(profile)}/{visible(str(run.get('run_id', '')))}"},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "root of the audited configuration repository"}}},
            "invocations": [invocation],
            "columnKind": "utf16CodeUnits",
            "results": results,
            "properties": {"run_id": visible(str(run.get("run_id", ""))), "profile": visible(profile),
                           "complete": bool(run.get("complete", True)), "counts": view.counts_document()},
        }
        if comparison is not None:
            before = comparison.get("before") or {}
            sarif_run["properties"]["baseline_run_id"] = visible(str(before.get("run_id", "")))
        doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [sarif_run]}
        large = len(results) > LARGE_RESULTS  # the indenting encoder is pure Python: slow on big fleets
        return (json.dumps(doc, ensure_ascii=False) if large else json.dumps(doc, indent=1, ensure_ascii=False)) + "\n"
