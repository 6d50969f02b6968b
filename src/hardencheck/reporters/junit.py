"""JUnit XML for CI dashboards: one testsuite per host, one testcase per host × check.

Follows the Apache Ant schema (shared/schemas/junit.xsd) that Jenkins and GitLab read:
``fail`` -> <failure>, ``error`` -> <error>, ``skipped`` and ``waived`` -> <skipped message=...>.
Target text is made visible first, so control characters (invalid in XML 1.0) never reach the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, ClassVar

from hardencheck.reporters.base import ViewReporter
from hardencheck.reporters.text import visible
from hardencheck.reporters.view import (
    STATUSES,
    Finding,
    HostView,
    ReportView,
    framework_name,
)

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _timestamp(*candidates: Any) -> str:
    """The XSD wants ``YYYY-MM-DDTHH:MM:SS`` without a zone; runs record UTC."""
    for c in candidates:
        m = _TIMESTAMP.match(str(c or ""))
        if m:
            return m.group(0)
    return "1970-01-01T00:00:00"


def _token(text: str) -> str:
    """xs:token with minLength 1: no leading/trailing/double spaces, never empty."""
    return " ".join(text.split()) or "-"


def _details(f: Finding) -> str:
    lines = [f"{f.check_id}: {f.title}", f"severity: {f.severity}"]
    if f.expected or f.observed:
        lines += [f"expected: {f.expected}", f"observed: {f.observed}"]
    if f.reason:
        lines.append(f"reason: {f.reason}")
    if f.change:
        lines.append(f"change: {f.change} (before: {f.before_status or 'no result'}"
                     f"{', observed ' + f.before_observed if f.before_observed else ''})")
    for e in f.evidence:
        lines.append(f"evidence: {e.location}" + (f" (sha256 {e.sha256})" if e.sha256 else ""))
        if e.repo_path:
            lines.append(f"  repository file: {e.repo_path}")
        if e.excerpt:
            lines += ["  | " + ln for ln in e.excerpt.splitlines()]
    for fw, ids in f.compliance:
        lines.append(f"{framework_name(fw)}: {', '.join(ids)}")
    lines.append(f"fingerprint: {f.fingerprint}")
    return "\n".join(lines) + "\n"


def _message(f: Finding) -> str:
    prefix = f"[{f.change}] " if f.change and f.change not in ("still_failing", "unchanged_pass") else ""
    if f.status == "fail":
        return f"{prefix}{f.title}: observed {f.observed or '(nothing)'}, expected {f.expected}"
    return f"{prefix}{f.reason or f.title}"


def _testcase(suite: ET.Element, f: Finding) -> None:
    case = ET.SubElement(suite, "testcase", name=_token(f.check_id), classname=_token(f.host), time="0")
    if f.status == "fail":
        el = ET.SubElement(case, "failure", message=_message(f), type=f.severity)
        el.text = _details(f) + (f"\nremediation:\n{f.remediation}\n" if f.remediation else "")
    elif f.status == "error":
        el = ET.SubElement(case, "error", message=_message(f), type="not-audited")
        el.text = _details(f)
    elif f.status in ("skipped", "waived", "none"):
        label = {"waived": "waived", "none": "no result in this run"}.get(f.status, "")
        el = ET.SubElement(case, "skipped", message=(f"{label}: " if label else "") + (f.reason or f.title))
        el.text = _details(f)


def _suite(root: ET.Element, index: int, host: HostView, findings: list[Finding], run: dict[str, Any]) -> None:
    counts = {s: sum(1 for f in findings if f.status == s) for s in (*STATUSES, "none")}
    suite = ET.SubElement(root, "testsuite", {
        "name": _token(host.id), "package": "hardencheck", "id": str(index),
        "timestamp": _timestamp(host.started, run.get("started")), "hostname": _token(host.address or host.id),
        "tests": str(len(findings)), "failures": str(counts["fail"]), "errors": str(counts["error"]),
        "skipped": str(counts["skipped"] + counts["waived"] + counts["none"]), "time": f"{host.duration:.3f}"})
    props = ET.SubElement(suite, "properties")
    profile = (run.get("profile") or {}).get("name", "")
    for name, value in (("run_id", str(run.get("run_id", ""))), ("profile", str(profile)),
                        ("transport", host.transport), ("address", host.address), ("groups", " ".join(host.groups)),
                        ("asset_class", host.asset_class), ("privilege", host.privilege),
                        ("host_key", host.host_key), ("host_key_trust", host.host_key_trust)):
        if value:
            ET.SubElement(props, "property", name=name, value=visible(value))
    for f in findings:
        _testcase(suite, f)
    out = ET.SubElement(suite, "system-out")
    out.text = (f"host {host.id}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + "\n"
                + "".join(f"problem: {p}\n" for p in host.problems))
    err = ET.SubElement(suite, "system-err")
    err.text = f"could not be audited: {host.error}\n" if host.error else ""


class JunitReporter(ViewReporter):
    name: ClassVar[str] = "junit"
    filename: ClassVar[str] = "results.junit.xml"
    description: ClassVar[str] = "JUnit XML: a testsuite per host, a testcase per check (CI dashboards)"

    def _render(self, view: ReportView, run: dict[str, Any], comparison: dict[str, Any] | None) -> str:
        by_host: dict[str, list[Finding]] = {h.id: [] for h in view.hosts}
        for f in view.findings:
            by_host[f.host].append(f)
        root = ET.Element("testsuites")
        for index, host in enumerate(view.hosts):
            _suite(root, index, host, by_host[host.id], run)
        ET.indent(root, space=" ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
