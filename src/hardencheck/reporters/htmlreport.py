"""One self-contained HTML file for auditors: summary, changes, drift, plan, hosts, every finding.

Rendered with Jinja2 and autoescaping on; nothing in the page is fetched (CSS, script and the
SVG charts are inline, the charts drawn here from numbers). A Content-Security-Policy that allows
only the page's own style and script, by hash, backs up the escaping: even a value that slipped
through could not run script or load anything. The counts the page shows are also embedded as
JSON (``<script type="application/json" id="hc-data">``) so a machine can check them.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from functools import lru_cache
from importlib.resources import files
from typing import Any, ClassVar

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from hardencheck.reporters.text import display, shorten, visible
from hardencheck.reporters.view import (
    CHANGES,
    PCI,
    REQUIREMENT_STATES,
    SEVERITIES,
    STATUSES,
    Finding,
    ReportView,
    build_view,
    framework_name,
    no_gc,
)

#: Observed values longer than this are cut in the table; the full value is in the row's details.
CELL_LIMIT = 160
#: Rows the script draws at a time ("Show more" draws the next page).
PAGE = 500
STATUS_LABELS = {"pass": "Pass", "fail": "Fail", "error": "Error", "skipped": "Skipped", "waived": "Waived",
                 "none": "No result"}
STATE_LABELS = {"failed": "Failed", "not_verified": "Not verified", "waived": "Waived", "met": "Met",
                "not_applicable": "Not applicable"}
CHANGE_LABELS = {"regressed": "Regressed", "new_failing": "New failing", "still_failing": "Still failing",
                 "error": "Error", "waived": "Waived", "fixed": "Fixed", "new_passing": "New passing",
                 "removed": "Removed", "skipped": "Skipped", "unchanged_pass": "Unchanged pass"}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("hardencheck.reporters", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["short"] = shorten
    env.filters["vis"] = display
    # compact and in document order: the row data is large; tojson still escapes < > & ' for HTML
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "separators": (",", ":")}
    return env


@lru_cache(maxsize=1)
def _assets() -> dict[str, Markup]:
    """The page's own CSS and script, trusted and inlined verbatim, with their CSP hashes."""
    folder = files("hardencheck.reporters") / "templates"
    css = (folder / "report.css").read_text(encoding="utf-8")
    js = (folder / "report.js").read_text(encoding="utf-8")

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    csp = (f"default-src 'none'; style-src {digest(css)}; script-src {digest(js)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return {"css": Markup(css), "js": Markup(js), "csp": Markup(csp)}


def stacked(parts: list[tuple[str, str, int]], width: float = 1000.0) -> list[dict[str, Any]]:
    """Segments of a 100% stacked bar: key, label, value, x, w (in viewBox units); empty parts dropped."""
    total = sum(v for _, _, v in parts)
    out, x = [], 0.0
    for key, label, value in parts:
        if value <= 0 or total <= 0:
            continue
        w = width * value / total
        out.append({"key": key, "label": label, "value": value, "x": round(x, 2), "w": round(w, 2),
                    "pct": round(100.0 * value / total, 1)})
        x += w
    return out


def bars(parts: list[tuple[str, str, int]], height: float = 116.0) -> list[dict[str, Any]]:
    """Vertical bars scaled to the largest value."""
    top = max((v for _, _, v in parts), default=0) or 1
    return [{"key": k, "label": label, "value": v, "h": round(height * v / top, 2)} for k, label, v in parts]


def _charts(v: ReportView) -> dict[str, Any]:
    charts: dict[str, Any] = {
        "status": stacked([(s, STATUS_LABELS[s], v.status_counts[s]) for s in STATUSES]),
        "severity": bars([(s, s.capitalize(), v.failed_by_severity[s]) for s in SEVERITIES]),
        "requirements": stacked([(s, STATE_LABELS[s], v.requirement_counts[s]) for s in REQUIREMENT_STATES]),
    }
    if v.comparison is not None:
        c = v.comparison
        shown = [k for k in CHANGES if c.counts[k]]
        top = max((c.counts[k] for k in shown), default=0) or 1
        charts["changes"] = [{"key": k, "label": CHANGE_LABELS[k], "value": c.counts[k],
                              "w": round(340.0 * c.counts[k] / top, 2)} for k in shown]
    return charts


def _verdict(v: ReportView) -> str:
    """One sentence an executive can read first."""
    failing_hosts = len({f.host for f in v.findings if f.status == "fail"})
    worst = [f"{v.failed_by_severity[s]} {s}" for s in SEVERITIES if v.failed_by_severity[s]]
    if worst:
        text = f"{', '.join(worst[:3])} failing finding(s) on {failing_hosts} of {len(v.run_hosts)} host(s)"
    else:
        text = f"No failing check on {v.audited} audited host(s)"
    if v.unreachable:
        text += f"; {v.unreachable} host(s) could not be audited and are not compliant by default"
    elif v.status_counts["error"]:
        text += f"; {v.status_counts['error']} check(s) could not be verified"
    return text + "."


def _indexes(v: ReportView) -> dict[str, Any]:
    """Positions of groups, checks and requirements: the filters' option values."""
    return {"groups": {g: i for i, g in enumerate(v.groups)}, "checks": {c: i for i, c in enumerate(v.check_ids)},
            "reqs": {r: i for i, r in enumerate(v.requirement_ids)}}


def _waiver_text(w: dict[str, Any]) -> str:
    parts = [display(w.get("justification")), f"expires {display(w.get('expires'))}",
             f"approved by {display(w.get('approved_by')) or '?'}"]
    if w.get("ticket"):
        parts.append(f"ticket {display(w.get('ticket'))}")
    if w.get("expired"):
        parts.append("EXPIRED")
    return " · ".join(parts)


def _rows(v: ReportView, idx: dict[str, Any]) -> dict[str, Any]:
    """The findings table as data, drawn by report.js with text nodes only (never parsed as HTML).

    Per-check and per-host values are listed once and referenced by position, so 100,000 rows
    stay a few tens of megabytes and render in seconds; the page shows them a page at a time.
    Row: [host, check, status, change, observed, expected, reason, evidence, fingerprint, extra];
    evidence: [[location, excerpt, sha256, repository file], ...]; extra: 0 or
    {"w": waiver text, "b": baseline status, "bo": baseline observed}.
    """
    plan_for = {c: p.item for p in v.plan for c in p.checks}
    reqs = idx["reqs"]
    checks = []
    seen: dict[str, Finding] = {}
    for f in v.findings:
        seen.setdefault(f.check_id, f)
    for cid in v.check_ids:
        f = seen[cid]
        checks.append([cid, f.title, f.severity, [reqs[(fw, i)] for fw, ids in f.compliance for i in ids],
                       plan_for.get(cid, 0), ", ".join(f.requirements)])
    groups = idx["groups"]
    hosts = [[h.id, [groups[g] for g in h.groups]] for h in v.hosts]
    check_index = idx["checks"]
    rows: list[list[Any]] = []
    append = rows.append
    for f in v.findings:
        extra: Any = 0
        if f.waiver or f.before_status or f.before_observed:
            extra = {"w": _waiver_text(f.waiver) if isinstance(f.waiver, dict) else "", "b": f.before_status or "",
                     "bo": f.before_observed}
        append([f.host_index, check_index[f.check_id], f.status, f.change or "", f.observed, f.expected, f.reason,
                [[e.location, e.excerpt, e.sha256, e.repo_path] for e in f.evidence], f.fingerprint, extra])
    return {"hosts": hosts, "checks": checks, "rows": rows,
            "labels": {"status": STATUS_LABELS, "change": CHANGE_LABELS}, "page": PAGE, "cell": CELL_LIMIT}


def _meta(run: dict[str, Any]) -> dict[str, Any]:
    """The run's header, every value made visible (a run file is input too)."""
    profile, checks = run.get("profile") or {}, run.get("checks") or {}

    def waiver(w: dict[str, Any]) -> dict[str, Any]:
        return {"check": display(w.get("check")), "hosts": [display(h) for h in w.get("hosts") or ()],
                "justification": display(w.get("justification")), "expires": display(w.get("expires")),
                "approved_by": display(w.get("approved_by")), "ticket": display(w.get("ticket")),
                "expired": bool(w.get("expired"))}

    return {
        "run_id": display(run.get("run_id")), "started": display(run.get("started")),
        "finished": display(run.get("finished")), "operator": display(run.get("operator")),
        "version": display((run.get("tool") or {}).get("version")), "profile": display(profile.get("name") or "audit"),
        "chain": [visible(str(x)) for x in profile.get("chain") or ()],
        "checks_count": display(checks.get("count")), "checks_sha256": display(checks.get("sha256")),
        "complete": bool(run.get("complete", True)),
        "unfinished": [display(t) for t in run.get("unfinished_targets") or ()],
        "waivers": [waiver(w) for w in run.get("waivers") or () if isinstance(w, dict)],
        "evaluated_from": display((run.get("evaluated_from") or {}).get("run_id")),
    }


class HtmlReporter:
    name: ClassVar[str] = "html"
    filename: ClassVar[str] = "report.html"
    description: ClassVar[str] = "self-contained HTML report with charts, filters and evidence (prints to PDF)"

    def render(self, run: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
        with no_gc():
            return self._render(run, comparison)

    def _render(self, run: dict[str, Any], comparison: dict[str, Any] | None) -> str:
        view = build_view(run, comparison)
        idx = _indexes(view)
        counts = view.counts_document()
        by_severity = Counter(f.severity for f in view.findings)
        counts["rows_by_severity"] = {s: by_severity.get(s, 0) for s in SEVERITIES}
        template = _environment().get_template("report.html.j2")
        return template.render(
            v=view, meta=_meta(run), c=view.comparison, counts=counts, charts=_charts(view), verdict=_verdict(view),
            idx=idx, rows=_rows(view, idx), assets=_assets(), severities=SEVERITIES, statuses=STATUSES,
            changes=CHANGES, status_labels=STATUS_LABELS, state_labels=STATE_LABELS, change_labels=CHANGE_LABELS,
            pci=PCI, framework_name=framework_name, cell_limit=CELL_LIMIT, page=PAGE,
            requirement_states=REQUIREMENT_STATES,
        )
