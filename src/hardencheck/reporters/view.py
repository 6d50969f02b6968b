"""One read of a run (and optionally a comparison) that every reporter renders from.

The run and comparison documents are plain dicts (schemas/run.schema.json and
schemas/comparison.schema.json). This module turns them into small frozen records with every
string from a target already made visible (``text.visible``), counts derived from the host
results themselves (never copied from a summary that could disagree), PCI DSS requirement
verdicts and a remediation plan. Reporters only lay these out.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hardencheck.compare.remediation import plan_items
from hardencheck.compare.score import WEIGHTS, score
from hardencheck.reporters.text import display, requirement_key, visible

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}
STATUSES = ("pass", "fail", "error", "skipped", "waived")
#: Transition kinds, most urgent first (the order tables and charts use).
CHANGES = ("regressed", "new_failing", "still_failing", "error", "waived", "fixed", "new_passing",
           "removed", "skipped", "unchanged_pass")
PCI = "pci-dss-4.0"
FRAMEWORK_NAMES = {PCI: "PCI DSS v4.0", "cis-debian-12": "CIS Debian 12"}
#: Requirement verdicts, worst first: a requirement fails if any check naming it fails anywhere.
REQUIREMENT_STATES = ("failed", "not_verified", "waived", "met", "not_applicable")


@dataclass(slots=True)
class EvidenceView:
    """Where a verdict came from: enough for an auditor to re-check it by hand."""

    source: str
    line: int | None
    excerpt: str
    sha256: str
    repo_path: str

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass(slots=True)
class Finding:
    """One host × check: the later run's verdict and, with a comparison, how it changed.

    Not frozen, unlike the other records: there are 100,000 of these in a large fleet and a frozen
    dataclass's ``__init__`` costs several times more. Treat it as read-only all the same.
    """

    host: str
    host_index: int
    transport: str
    check_id: str
    title: str
    severity: str
    status: str  # a run status, or "none" for a result that exists only in the baseline
    reason: str
    observed: str
    expected: str
    evidence: tuple[EvidenceView, ...]
    compliance: tuple[tuple[str, tuple[str, ...]], ...]
    requirements: tuple[str, ...]  # the PCI DSS ids of ``compliance``
    fingerprint: str
    waiver: dict[str, Any] | None
    remediation: str = ""
    change: str | None = None
    before_status: str | None = None
    before_observed: str = ""

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, 0)


@dataclass(frozen=True, slots=True)
class HostView:
    id: str
    index: int
    groups: tuple[str, ...]
    transport: str
    address: str
    asset_class: str
    status: str  # "ok" or "error" (could not be audited)
    error: str
    problems: tuple[str, ...]
    privilege: str
    host_key: str
    host_key_trust: str
    started: str
    duration: float
    counts: dict[str, int]
    score: tuple[float | None, float | None] | None = None


@dataclass(frozen=True, slots=True)
class Requirement:
    framework: str
    id: str
    state: str
    checks: tuple[str, ...]
    failing_hosts: int


@dataclass(frozen=True, slots=True)
class PlanItem:
    item: int
    title: str
    severity: str
    remediation: str
    hosts: tuple[str, ...]
    checks: tuple[str, ...]
    requirements: tuple[str, ...]  # PCI DSS ids


@dataclass(frozen=True, slots=True)
class Drift:
    host: str
    kind: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, str, str], ...]  # key, before, after
    highlights: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class CheckChange:
    """Per check: how many hosts went through each kind of change."""

    check_id: str
    title: str
    severity: str
    counts: dict[str, int]


@dataclass
class ComparisonView:
    before: dict[str, Any]
    after: dict[str, Any]
    evaluated_with: dict[str, Any]
    hosts_added: list[str]
    hosts_removed: list[str]
    counts: dict[str, int]
    by_check: list[CheckChange]
    drift: list[Drift]
    expired_waivers: list[dict[str, Any]]
    covering_regressions: list[dict[str, Any]]
    score_before: float | None
    score_after: float | None
    checks_changed: bool


@dataclass
class ReportView:
    """Everything a reporter lays out, with counts computed once."""

    run: dict[str, Any]
    hosts: list[HostView]
    findings: list[Finding]
    status_counts: dict[str, int]
    failed_by_severity: dict[str, int]
    requirements: list[Requirement]
    requirement_counts: dict[str, int]
    plan: list[PlanItem]
    groups: list[str]
    check_ids: list[str]
    requirement_ids: list[tuple[str, str]]  # (framework, id), PCI first
    comparison: ComparisonView | None = None
    warnings: list[str] = field(default_factory=list)
    #: Severity-weighted posture of this run, 0..100 (hardencheck.compare.score; docs/scoring.md).
    score: float | None = None

    @property
    def run_hosts(self) -> list[HostView]:
        """The hosts of this run (without those that only the baseline had)."""
        return [h for h in self.hosts if h.status != "removed"]

    @property
    def audited(self) -> int:
        return sum(1 for h in self.hosts if h.status == "ok")

    @property
    def unreachable(self) -> int:
        return sum(1 for h in self.hosts if h.status not in ("ok", "removed"))

    @property
    def pass_rate(self) -> float | None:
        """Passing share of the checks that reached a verdict that counts (skipped excluded; waived is not pass)."""
        c = self.status_counts
        denominator = c["pass"] + c["fail"] + c["error"] + c["waived"]
        return round(100.0 * c["pass"] / denominator, 1) if denominator else None

    def counts_document(self) -> dict[str, Any]:
        """The counts the reports show, as data (the HTML embeds this for machine checks)."""
        out: dict[str, Any] = {
            "run_id": visible(str(self.run.get("run_id", ""))),
            "hosts": len(self.run_hosts), "audited": self.audited, "unreachable": self.unreachable,
            "results": dict(self.status_counts), "failed_by_severity": dict(self.failed_by_severity),
            "rows": len(self.findings), "requirements": dict(self.requirement_counts),
            "pass_rate": self.pass_rate, "score_run": self.score, "plan_items": len(self.plan),
        }
        if self.comparison is not None:
            out["changes"] = dict(self.comparison.counts)
            out["score"] = {"before": self.comparison.score_before, "after": self.comparison.score_after}
        return out


class _Reader:
    """Turns result dicts into records, doing per check what is the same on every host.

    A fleet of 1,000 hosts × 100 checks has 100,000 results whose titles, severities,
    remediations and compliance maps repeat per check: those are read (made visible, sorted)
    once per check id; per result only the host-specific values are.
    """

    def __init__(self) -> None:
        self.text: dict[str, str] = {}
        #: check id -> (id, title, severity, compliance pairs, PCI ids, remediation)
        self.checks: dict[Any, tuple[str, str, str, tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...], str]] = {}

    def vis(self, raw: Any) -> str:
        key = raw if isinstance(raw, str) else str(raw or "")
        out = self.text.get(key)
        if out is None:
            out = self.text[key] = visible(key)
        return out

    def check(self, r: dict[str, Any]) -> tuple[str, str, str, tuple[tuple[str, tuple[str, ...]], ...],
                                                   tuple[str, ...], str]:
        cid = r.get("check_id")
        out = self.checks.get(cid)
        if out is None:
            raw = r.get("compliance") or {}
            pairs = tuple((visible(str(fw)), tuple(sorted((visible(str(i)) for i in ids or ()), key=requirement_key)))
                          for fw, ids in sorted(raw.items(), key=lambda kv: (kv[0] != PCI, str(kv[0]))))
            severity = r.get("severity")
            out = self.checks[cid] = (
                visible(str(cid or "")), visible(str(r.get("title") or "")),
                severity if severity in SEVERITY_RANK else "info",
                pairs, next((ids for fw, ids in pairs if fw == PCI), ()), visible(str(r.get("remediation") or "")))
        return out

    def evidence(self, items: Iterable[dict[str, Any]]) -> tuple[EvidenceView, ...]:
        vis, text = self.vis, self.text
        out = []
        for e in items:
            line, excerpt, source = e.get("line"), e.get("excerpt") or "", e.get("source", "")
            repo = e.get("repo_path")
            out.append(EvidenceView(text.get(source) or vis(source), line if type(line) is int else None,
                                    excerpt if type(excerpt) is str and excerpt.isascii() and excerpt.isprintable()
                                    else visible(str(excerpt)),
                                    str(e.get("sha256") or ""), vis(repo) if repo else ""))
        return tuple(out)

    def finding(self, host: HostView, r: dict[str, Any], t: dict[str, Any] | None) -> Finding:
        cid, title, severity, compliance, requirements, remediation = self.checks.get(r.get("check_id")) or self.check(r)
        status, reason, observed, expected, evidence = (r.get("status"), r.get("reason"), r.get("observed"),
                                                        r.get("expected"), r.get("evidence"))
        text = self.text
        if t is None:
            change = before_status = None
            before_observed = ""
        else:
            change, before_status = t.get("change"), t.get("before_status")
            change = change if change in CHANGES else None
            before_status = before_status if before_status in STATUSES else None
            before_observed = display(t.get("before_observed"))
        return Finding(
            host.id, host.index, host.transport, cid, title, severity, status if status in STATUSES else "error",
            (text.get(reason) or self.vis(reason)) if reason else "",
            observed if type(observed) is str and observed.isascii() and observed.isprintable() else display(observed),
            (text.get(expected) or self.vis(expected)) if expected else "", self.evidence(evidence) if evidence else (),
            compliance, requirements, r.get("fingerprint") or "", r.get("waiver"), remediation,
            change, before_status, before_observed)

    def removed(self, host: HostView, t: dict[str, Any]) -> Finding:
        """A baseline result with no counterpart in the later run (host or check gone)."""
        cid, title, severity, compliance, requirements, remediation = self.check(t)
        change = t.get("change")
        return Finding(
            host.id, host.index, host.transport, cid, title, severity, _status(t.get("after_status")) or "none",
            visible(str(t.get("after_reason") or "")), display(t.get("after_observed")), "",
            self.evidence(t.get("evidence") or ()), compliance, requirements, str(t.get("fingerprint", "")),
            t.get("waiver"), remediation, change if change in CHANGES else "removed",
            _status(t.get("before_status")), display(t.get("before_observed")))


def _status(value: Any) -> str | None:
    return value if value in STATUSES else None


def _host(h: dict[str, Any], index: int, score: dict[str, Any] | None) -> HostView:
    target, conn = h.get("target") or {}, h.get("connection") or {}
    counts = Counter(r.get("status") for r in h.get("results") or ())
    key = " ".join(visible(str(x)) for x in (conn.get("host_key_type"), conn.get("host_key_fingerprint")) if x)
    return HostView(
        id=visible(str(target.get("id", "?"))), index=index,
        groups=tuple(visible(str(g)) for g in target.get("groups") or ()),
        transport=visible(str(target.get("transport", ""))),
        address=visible(str(target.get("address") or target.get("path") or "")),
        asset_class=visible(str(target.get("asset_class") or "")),
        status=str(h.get("status", "error")), error=visible(str(h.get("error") or "")),
        problems=tuple(visible(str(p)) for p in h.get("problems") or ()),
        privilege=visible(str(conn.get("privilege") or "")), host_key=key,
        host_key_trust=visible(str(conn.get("host_key_trust") or "")),
        started=visible(str(h.get("started") or "")), duration=float(h.get("duration") or 0.0),
        counts={s: counts.get(s, 0) for s in STATUSES},
        score=_score_pair(score))


def _score_pair(score: dict[str, Any] | None) -> tuple[float | None, float | None] | None:
    return (score.get("before"), score.get("after")) if isinstance(score, dict) else None


def _requirements(by_check_status: Counter[tuple[str, str]], checks: dict[str, tuple[str, ...]],
                  failing_hosts: dict[str, set[str]]) -> list[Requirement]:
    """Verdict per PCI DSS requirement, from per-check status counts (one pass over the findings)."""
    statuses: dict[str, set[str]] = defaultdict(set)
    req_checks: dict[str, set[str]] = defaultdict(set)
    for (cid, status) in by_check_status:
        if status == "none":
            continue
        for req in checks.get(cid, ()):
            statuses[req].add(status)
            req_checks[req].add(cid)
    out = []
    for req in sorted(statuses, key=requirement_key):
        seen = statuses[req]
        state = ("failed" if "fail" in seen else "not_verified" if "error" in seen else
                 "waived" if "waived" in seen else "met" if "pass" in seen else "not_applicable")
        hosts = set().union(*(failing_hosts.get(c, set()) for c in req_checks[req]))
        out.append(Requirement(PCI, req, state, tuple(sorted(req_checks[req])), len(hosts)))
    return out


def derive_plan(findings: list[Finding]) -> list[PlanItem]:
    """The plan ``compare`` would make for this run: one item per distinct fix, worst first, then most hosts."""
    open_findings = ({"host": f.host, "check_id": f.check_id, "after_status": "fail", "remediation": f.remediation,
                      "severity": f.severity, "title": f.title, "compliance": dict(f.compliance)}
                     for f in findings if f.status == "fail")
    return _plan_from_comparison(plan_items(open_findings))


def _plan_from_comparison(plan: list[dict[str, Any]]) -> list[PlanItem]:
    return [PlanItem(item=int(p.get("item", i)), title=visible(str(p.get("title", ""))),
                     severity=str(p.get("severity", "info")), remediation=visible(str(p.get("remediation", ""))),
                     hosts=tuple(visible(str(h)) for h in p.get("hosts") or ()),
                     checks=tuple(visible(str(c)) for c in p.get("checks") or ()),
                     requirements=tuple(sorted((visible(str(r)) for r in (p.get("requirements") or {}).get(PCI, ())),
                                               key=requirement_key)))
            for i, p in enumerate(plan, 1)]


def _drift_items(items: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(display(i) for i in items or ())


def _drift(drift: dict[str, Any]) -> list[Drift]:
    out = []
    for host in sorted(drift):
        for kind in sorted(drift[host] or {}):
            d = drift[host][kind] or {}
            changed = tuple((display(c.get("key")), display(c.get("before")), display(c.get("after")))
                            if isinstance(c, dict) else (display(c), "", "") for c in d.get("changed") or ())
            out.append(Drift(host=visible(host), kind=visible(kind), added=_drift_items(d.get("added")),
                             removed=_drift_items(d.get("removed")), changed=changed,
                             highlights=_drift_items(d.get("highlights")), note=visible(str(d.get("note") or ""))))
    return out


def _by_check(findings: list[Finding]) -> list[CheckChange]:
    """Hosts per kind of change, per check (one C-level count over the findings)."""
    counts = Counter((f.check_id, f.change) for f in findings if f.change)
    first: dict[str, Finding] = {}
    for f in findings:
        if f.change and f.check_id not in first:
            first[f.check_id] = f
    per = {cid: CheckChange(cid, f.title, f.severity, {c: 0 for c in CHANGES}) for cid, f in first.items()}
    for (cid, change), n in counts.items():
        per[cid].counts[change] = n
    return sorted(per.values(), key=lambda c: (-SEVERITY_RANK.get(c.severity, 0), c.check_id))


def _run_ref(ref: dict[str, Any] | None) -> dict[str, str]:
    ref = ref or {}
    return {k: display(ref.get(k)) for k in ("run_id", "started", "profile", "checks_sha256", "complete")}


def _waiver_flag(w: dict[str, Any]) -> dict[str, Any]:
    return {"check": display(w.get("check")), "hosts": [display(h) for h in w.get("hosts") or ()],
            "expires": display(w.get("expires")), "justification": display(w.get("justification")),
            "ticket": display(w.get("ticket")), "approved_by": display(w.get("approved_by")),
            "affected": [(display(a.get("host")), display(a.get("check_id"))) for a in w.get("affected") or ()
                         if isinstance(a, dict)]}


def _comparison_view(comparison: dict[str, Any], findings: list[Finding]) -> ComparisonView:
    transitions = comparison.get("transitions") or []
    counts = Counter(str(t.get("change")) for t in transitions)
    score = comparison.get("score") or {}
    fleet = score.get("fleet") or {}
    before, after = comparison.get("before") or {}, comparison.get("after") or {}
    waivers = comparison.get("waivers") or {}
    return ComparisonView(
        before=_run_ref(before), after=_run_ref(after),
        evaluated_with={k: display((comparison.get("evaluated_with") or {}).get(k))
                        for k in ("profile", "checks_sha256", "checks")},
        hosts_added=[visible(str(h)) for h in comparison.get("hosts_added") or ()],
        hosts_removed=[visible(str(h)) for h in comparison.get("hosts_removed") or ()],
        counts={c: counts.get(c, 0) for c in CHANGES}, by_check=_by_check(findings),
        drift=_drift(comparison.get("drift") or {}),
        expired_waivers=[_waiver_flag(w) for w in waivers.get("expired_between") or () if isinstance(w, dict)],
        covering_regressions=[_waiver_flag(w) for w in waivers.get("covering_regressions") or ()
                              if isinstance(w, dict)],
        score_before=fleet.get("before"), score_after=fleet.get("after"),
        checks_changed=bool(before.get("checks_sha256") and after.get("checks_sha256")
                            and before.get("checks_sha256") != after.get("checks_sha256")))


def _score(by_check_status: Counter[tuple[str, str]], info: dict[str, Any]) -> float | None:
    """``compare.score`` over per-check counts, without expanding them into 100,000 pairs."""
    failed = applicable = 0.0
    for (cid, status), n in by_check_status.items():
        if status in ("pass", "fail", "error"):
            w = WEIGHTS.get(info[cid][2], 0) * n
            applicable += w
            if status != "pass":
                failed += w
    return score(failed, applicable)


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building 100,000 records that hold no cycles.

    Each full collection walks every object of the run document; left on, collections triggered
    by the allocations cost about as much as the reading itself on a large fleet.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_view(run: dict[str, Any], comparison: dict[str, Any] | None = None) -> ReportView:
    """Read a run (the later run, when a comparison is given) into a ``ReportView``."""
    with no_gc():
        return _build_view(run, comparison)


def _read_findings(run: dict[str, Any], comparison: dict[str, Any] | None
                   ) -> tuple[list[HostView], list[Finding], _Reader]:
    pending: dict[tuple[Any, Any], dict[str, Any]] = {}
    if comparison is not None:
        pending = {(t.get("host"), t.get("check_id")): t for t in comparison.get("transitions") or ()}
    host_scores = ((comparison or {}).get("score") or {}).get("hosts") or {}
    raw_hosts = sorted(run.get("hosts") or (), key=lambda h: str((h.get("target") or {}).get("id", "")))
    hosts: list[HostView] = []
    findings: list[Finding] = []
    reader = _Reader()
    finding, pop = reader.finding, pending.pop
    for index, h in enumerate(raw_hosts):
        raw_id = (h.get("target") or {}).get("id", "?")
        host = _host(h, index, host_scores.get(raw_id))
        hosts.append(host)
        findings.extend([finding(host, r, pop((raw_id, r.get("check_id")), None)) for r in h.get("results") or ()])
    by_id = {h.id: h for h in hosts}
    for key, t in sorted(pending.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        known = by_id.get(visible(str(key[0])))
        if known is not None:
            host = known
        else:
            host = HostView(id=visible(str(key[0])), index=len(hosts), groups=(), transport="", address="",
                            asset_class="", status="removed", error="", problems=(), privilege="", host_key="",
                            host_key_trust="", started="", duration=0.0, counts={s: 0 for s in STATUSES},
                            score=_score_pair(host_scores.get(key[0])))
            hosts.append(host)
            by_id[host.id] = host
        findings.append(reader.removed(host, t))
    return hosts, findings, reader


def _build_view(run: dict[str, Any], comparison: dict[str, Any] | None) -> ReportView:
    hosts, findings, reader = _read_findings(run, comparison)
    by_check_status = Counter((f.check_id, f.status) for f in findings)
    info = {c[0]: c for c in reader.checks.values()}  # visible id -> (id, title, severity, pairs, PCI ids, fix)
    status_counts: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for (cid, status), n in by_check_status.items():
        status_counts[status] += n
        if status == "fail":
            failed[info[cid][2]] += n
    failing_hosts: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        if f.status == "fail":
            failing_hosts[f.check_id].add(f.host)
    requirements = _requirements(by_check_status, {cid: c[4] for cid, c in info.items()}, failing_hosts)
    req_counts = Counter(r.state for r in requirements)
    plan = (_plan_from_comparison(comparison.get("plan") or []) if comparison is not None
            else derive_plan(findings))
    req_ids = sorted({(fw, i) for c in info.values() for fw, ids in c[3] for i in ids},
                     key=lambda k: (k[0] != PCI, k[0], requirement_key(k[1])))
    return ReportView(
        run=run, hosts=hosts, findings=findings,
        status_counts={s: status_counts.get(s, 0) for s in STATUSES},
        failed_by_severity={s: failed.get(s, 0) for s in SEVERITIES},
        requirements=requirements,
        requirement_counts={s: req_counts.get(s, 0) for s in REQUIREMENT_STATES},
        plan=plan, groups=sorted({g for h in hosts for g in h.groups}), check_ids=sorted(info),
        requirement_ids=req_ids,
        comparison=_comparison_view(comparison, findings) if comparison is not None else None,
        warnings=[visible(str(w)) for w in run.get("warnings") or ()],
        score=_score(by_check_status, info),
    )


def framework_name(framework: str) -> str:
    return FRAMEWORK_NAMES.get(framework, framework)
