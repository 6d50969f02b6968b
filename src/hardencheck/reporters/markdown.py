"""Markdown for a pull-request comment or a ticket: summary, failed checks by severity, top fixes.

Everything that came from a target is shown in code spans (never parsed as Markdown, HTML, links
or mentions), with pipes escaped for tables; titles are backslash-escaped; remediation goes in
fenced blocks. The output stays under GitHub's comment limit by trimming whole sections.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from hardencheck.reporters.base import ViewReporter
from hardencheck.reporters.text import shorten, visible
from hardencheck.reporters.view import (
    CHANGES,
    PCI,
    SEVERITIES,
    Finding,
    PlanItem,
    ReportView,
    framework_name,
)

#: GitHub refuses comments over 65,536 characters; leave room for a bot's own header.
MAX_CHARS = 60_000
HOSTS_PER_CHECK = 5
CHECKS_PER_SEVERITY = 50
PLAN_ITEMS = 10
_ESCAPE = re.compile(r"([\\`*_\[\]#!|<>&~^$])")
_TICKS = re.compile(r"`+")


def esc(text: str) -> str:
    """Plain text with every character Markdown or HTML could act on backslash-escaped."""
    return _ESCAPE.sub(r"\\\1", visible(text)).replace("\n", "<br>")


def code(text: str, limit: int = 160, table: bool = True) -> str:
    """A value from a target, shown literally in a code span; ``table``: escape pipes for a table cell."""
    text = shorten(visible(text), limit)
    if not text:
        return ""
    spans = []
    for line in text.splitlines() or [""]:
        if not line:
            continue
        fence = "`" * (max((len(m) for m in _TICKS.findall(line)), default=0) + 1)
        pad = " " if line.startswith(("`", " ")) or line.endswith(("`", " ")) else ""
        spans.append(f"{fence}{pad}{line.replace('|', chr(92) + '|') if table else line}{pad}{fence}")
    return "<br>".join(spans)


def fenced(text: str) -> str:
    fence = "`" * max(3, max((len(m) for m in _TICKS.findall(text)), default=0) + 1)
    return f"{fence}text\n{visible(text).rstrip()}\n{fence}"


def _label(name: str) -> str:
    return name.replace("_", " ")


def _table(header: list[str], rows: list[list[str]], align: str = "---") -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _hosts(hosts: list[str], table: bool = True) -> str:
    shown = ", ".join(code(h, 60, table) for h in hosts[:HOSTS_PER_CHECK])
    return shown + (f" +{len(hosts) - HOSTS_PER_CHECK} more" if len(hosts) > HOSTS_PER_CHECK else "")


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def _header(v: ReportView) -> str:
    run = v.run
    profile = str((run.get("profile") or {}).get("name", "?"))
    lines = [f"## hardencheck audit: {esc(profile)}, run {code(str(run.get('run_id', '?')), table=False)}", ""]
    if not run.get("complete", True):
        unfinished = run.get("unfinished_targets") or []
        lines += [(f"> **Incomplete run**: interrupted; {len(unfinished)} target(s) not finished. "
                  "Only finished hosts are counted."), ""]
    c = v.comparison
    if c is not None:
        delta = ""
        if c.score_before is not None and c.score_after is not None:
            delta = f" ({c.score_after - c.score_before:+.1f})"
        lines.append(f"**Score** {_score(c.score_before)} → **{_score(c.score_after)}**{delta} "
                     f"since run {code(c.before.get('run_id', '?'), table=False)}")
    else:
        rate = v.pass_rate
        lines.append(f"**Posture score** {_score(v.score)} (severity-weighted, 0-100); "
                     f"{'n/a' if rate is None else f'{rate:g}%'} of the checks with a verdict pass")
    lines.append("")
    s = v.status_counts
    lines.append(_table(["Hosts", "Audited", "Not audited", "Pass", "Fail", "Error", "Skipped", "Waived"],
                        [[str(len(v.run_hosts)), str(v.audited), str(v.unreachable), *(str(s[k]) for k in
                          ("pass", "fail", "error", "skipped", "waived"))]], "---:"))
    lines.append("")
    lines.append(_table(["Failed: critical", "high", "medium", "low", "info"],
                        [[str(v.failed_by_severity[k]) for k in SEVERITIES]], "---:"))
    rc = v.requirement_counts
    failed = [r.id for r in v.requirements if r.state == "failed"]
    lines += ["", (f"**{framework_name(PCI)}**: {rc['met']} requirement(s) met, {rc['failed']} failed"
                  f"{' (' + ', '.join(esc(i) for i in failed) + ')' if failed else ''}, "
                  f"{rc['not_verified']} not verified, {rc['waived']} waived.")]
    return "\n".join(lines)


def _changes(v: ReportView) -> str:
    c = v.comparison
    if c is None:
        return ""
    shown = [k for k in CHANGES if k != "unchanged_pass"]
    lines = [f"### Changes since run {code(c.before.get('run_id', '?'), table=False)}", "",
             _table([_label(k) for k in shown], [[str(c.counts[k]) for k in shown]], "---:")]
    if c.hosts_added or c.hosts_removed:
        lines += ["", (f"Hosts added: {_hosts(c.hosts_added, False) or 'none'}; "
                     f"removed: {_hosts(c.hosts_removed, False) or 'none'}.")]
    if c.checks_changed:
        lines += ["", "> The check set changed between the runs; the baseline was re-evaluated with the later checks."]
    worse = [f for f in v.findings if f.change in ("regressed", "new_failing")]
    if worse:
        worse.sort(key=lambda f: (-f.severity_rank, f.check_id, f.host))
        rows = [[code(f.host, 60), code(f.check_id, 60), f.severity,
                 f"{f.before_status or 'none'} → {f.status}", code(f.observed, 80)] for f in worse[:20]]
        lines += ["", f"**Regressions and new failures** ({len(worse)}):", "",
                  _table(["Host", "Check", "Severity", "Status", "Observed"], rows)]
        if len(worse) > 20:
            lines.append(f"\n…and {len(worse) - 20} more.")
    if c.covering_regressions:
        lines += ["", (f"> **{len(c.covering_regressions)} waiver(s) hide a regression**: a check that passed "
                      "in the baseline fails now under a waiver.")]
    return "\n".join(lines)


def _failed(v: ReportView) -> str:
    by_check: dict[str, list[Finding]] = {}
    for f in v.findings:
        if f.status == "fail":
            by_check.setdefault(f.check_id, []).append(f)
    if not by_check:
        return "### Failed checks\n\nNone."
    lines = ["### Failed checks"]
    for sev in SEVERITIES:
        checks = sorted((fs for fs in by_check.values() if fs[0].severity == sev), key=lambda fs: (-len(fs), fs[0].check_id))
        if not checks:
            continue
        rows = [[code(fs[0].check_id, 60), esc(fs[0].title), _hosts(sorted({f.host for f in fs})),
                 ", ".join(esc(r) for r in fs[0].requirements)] for fs in checks[:CHECKS_PER_SEVERITY]]
        lines += ["", f"#### {sev.capitalize()} ({sum(len(fs) for fs in checks)} finding(s), {len(checks)} check(s))",
                  "", _table(["Check", "Title", "Hosts", framework_name(PCI)], rows)]
        if len(checks) > CHECKS_PER_SEVERITY:
            lines.append(f"\n…and {len(checks) - CHECKS_PER_SEVERITY} more {sev} check(s).")
    return "\n".join(lines)


def _errors(v: ReportView) -> str:
    down = [h for h in v.hosts if h.status == "error"]
    errored = [f for f in v.findings if f.status == "error" and f.host not in {h.id for h in down}]
    if not down and not errored:
        return ""
    lines = ["### Not verified", "", "Errors are never read as compliant."]
    if down:
        lines += ["", _table(["Host not audited", "Reason"], [[code(h.id, 60), code(h.error, 200)] for h in down[:20]])]
    if errored:
        lines += ["", _table(["Host", "Check", "Reason"],
                             [[code(f.host, 60), code(f.check_id, 60), code(f.reason, 200)] for f in errored[:20]])]
    if len(down) > 20 or len(errored) > 20:
        lines.append("\n…more in the full report.")
    return "\n".join(lines)


def _plan_item(p: PlanItem) -> str:
    reqs = f", {framework_name(PCI)} {', '.join(esc(r) for r in p.requirements)}" if p.requirements else ""
    return (f"{p.item}. **[{p.severity}] {esc(p.title)}**: {len(p.hosts)} host(s){reqs}. "
            f"Checks: {', '.join(code(c, 60, False) for c in p.checks)}\n\n"
            f"   <details><summary>How to fix</summary>\n\n"
            + "\n".join("   " + ln if ln else "" for ln in fenced(p.remediation or "(no remediation given)").splitlines())
            + "\n\n   </details>")


def _plan(v: ReportView) -> str:
    if not v.plan:
        return ""
    head = f"### Remediation plan (top {min(PLAN_ITEMS, len(v.plan))} of {len(v.plan)})"
    return head + "\n\n" + "\n\n".join(_plan_item(p) for p in v.plan[:PLAN_ITEMS])


def _footer(v: ReportView) -> str:
    run = v.run
    tool = run.get("tool") or {}
    checks = run.get("checks") or {}
    parts = [f"hardencheck {esc(str(tool.get('version', '')))}",
             f"{checks.get('count', len(v.check_ids))} checks (sha256 {esc(str(checks.get('sha256', ''))[:12])})",
             f"started {esc(str(run.get('started', '')))}"]
    return "<sub>" + " · ".join(parts) + "</sub>"


class MarkdownReporter(ViewReporter):
    name: ClassVar[str] = "md"
    filename: ClassVar[str] = "report.md"
    description: ClassVar[str] = "Markdown summary for a pull-request comment or a ticket"

    def _render(self, view: ReportView, run: dict[str, Any], comparison: dict[str, Any] | None) -> str:
        sections = [s for s in (_header(view), _changes(view), _failed(view), _errors(view), _plan(view)) if s]
        footer = _footer(view)
        out: list[str] = []
        size = len(footer)
        for s in sections:
            if size + len(s) + 2 > MAX_CHARS:
                out.append("> Trimmed to fit a comment: see the HTML report for the rest.")
                break
            out.append(s)
            size += len(s) + 2
        return "\n\n".join([*out, footer]) + "\n"
