"""One read of a run (and optionally a comparison) that every reporter renders from.

The run and comparison documents are plain dicts (schemas/run.schema.json and
schemas/comparison.schema.json). This module turns them into small frozen records with every
string from a target already made visible (``text.visible``), counts derived from the host
results themselves (never copied from a summary that could disagree), PCI DSS requirement
verdicts and a remediation plan. Reporters only lay these out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """Where a verdict came from: enough for an auditor to re-check it by hand."""

    fact: str
    path: str
    source: str
    line: int | None
    excerpt: str
    sha256: str
    repo_path: str

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


@dataclass(frozen=True, slots=True)
class Finding:
    """One host × check: the later run's verdict and, with a comparison, how it changed."""

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
    fingerprint: str
    waiver: dict[str, Any] | None
    remediation: str = ""
    change: str | None = None
    before_status: str | None = None
    before_observed: str = ""

    @property
    def requirements(self) -> tuple[str, ...]:
        """This finding's PCI DSS requirement ids."""
        return next((ids for fw, ids in self.compliance if fw == PCI), ())

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
    open_by_severity: dict[str, dict[str, int]]  # severity -> status -> n
    requirements: list[Requirement]
    requirement_counts: dict[str, int]
    plan: list[PlanItem]
    groups: list[str]
    check_ids: list[str]
    requirement_ids: list[tuple[str, str]]  # (framework, id), PCI first
    comparison: ComparisonView | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def audited(self) -> int:
        return sum(1 for h in self.hosts if h.status == "ok")

    @property
    def unreachable(self) -> int:
        return len(self.hosts) - self.audited

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
            "hosts": len(self.hosts), "audited": self.audited, "unreachable": self.unreachable,
            "results": dict(self.status_counts), "failed_by_severity": dict(self.failed_by_severity),
            "rows": len(self.findings), "requirements": dict(self.requirement_counts),
            "pass_rate": self.pass_rate, "plan_items": len(self.plan),
        }
        if self.comparison is not None:
            out["changes"] = dict(self.comparison.counts)
            out["score"] = {"before": self.comparison.score_before, "after": self.comparison.score_after}
        return out


def _evidence(items: Iterable[dict[str, Any]]) -> tuple[EvidenceView, ...]:
    return tuple(EvidenceView(fact=visible(str(e.get("fact", ""))), path=visible(str(e.get("path", ""))),
                              source=visible(str(e.get("source", ""))),
                              line=e["line"] if isinstance(e.get("line"), int) else None,
                              excerpt=visible(str(e.get("excerpt") or "")), sha256=str(e.get("sha256") or ""),
                              repo_path=visible(str(e.get("repo_path") or "")))
                 for e in items or ())


def _compliance(raw: dict[str, Any] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not raw:
        return ()
    return tuple((visible(fw), tuple(sorted((visible(str(i)) for i in ids), key=requirement_key)))
                 for fw, ids in sorted(raw.items(), key=lambda kv: (kv[0] != PCI, kv[0])))


def _cached(cache: dict[str, str], raw: Any) -> str:
    """``visible`` once per distinct text: titles and remediations repeat on every host."""
    key = str(raw or "")
    out = cache.get(key)
    if out is None:
        out = cache[key] = visible(key)
    return out


def _finding(host: HostView, r: dict[str, Any], t: dict[str, Any] | None, cache: dict[str, str]) -> Finding:
    return Finding(
        host=host.id, host_index=host.index, transport=host.transport,
        check_id=_cached(cache, r.get("check_id")), title=_cached(cache, r.get("title")),
        severity=str(r.get("severity", "info")), status=str(r.get("status", "error")),
        reason=visible(str(r.get("reason") or "")), observed=display(r.get("observed")),
        expected=visible(str(r.get("expected") or "")), evidence=_evidence(r.get("evidence") or ()),
        compliance=_compliance(r.get("compliance")), fingerprint=str(r.get("fingerprint", "")),
        waiver=r.get("waiver"), remediation=_cached(cache, r.get("remediation")),
        change=t.get("change") if t else None,
        before_status=t.get("before_status") if t else None,
        before_observed=display(t.get("before_observed")) if t else "",
    )


def _removed_finding(host: HostView, t: dict[str, Any], cache: dict[str, str]) -> Finding:
    """A baseline result with no counterpart in the later run (host or check gone)."""
    return Finding(
        host=host.id, host_index=host.index, transport=host.transport, check_id=visible(str(t["check_id"])),
        title=visible(str(t.get("title", ""))), severity=str(t.get("severity", "info")),
        status=str(t.get("after_status") or "none"), reason=visible(str(t.get("after_reason") or "")),
        observed=display(t.get("after_observed")), expected="", evidence=_evidence(t.get("evidence") or ()),
        compliance=_compliance(t.get("compliance")), fingerprint=str(t.get("fingerprint", "")),
        waiver=t.get("waiver"), remediation=_cached(cache, t.get("remediation")),
        change=str(t.get("change")), before_status=t.get("before_status"),
        before_observed=display(t.get("before_observed")))


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
        score=(score.get("before"), score.get("after")) if score else None)


def _requirements(findings: list[Finding]) -> list[Requirement]:
    statuses: dict[tuple[str, str], set[str]] = defaultdict(set)
    checks: dict[tuple[str, str], set[str]] = defaultdict(set)
    failing: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in findings:
        if f.status == "none":
            continue
        for req in f.requirements:
            key = (PCI, req)
            statuses[key].add(f.status)
            checks[key].add(f.check_id)
            if f.status == "fail":
                failing[key].add(f.host)
    out = []
    for key in sorted(statuses, key=lambda k: requirement_key(k[1])):
        seen = statuses[key]
        state = ("failed" if "fail" in seen else "not_verified" if "error" in seen else
                 "waived" if "waived" in seen else "met" if "pass" in seen else "not_applicable")
        out.append(Requirement(key[0], key[1], state, tuple(sorted(checks[key])), len(failing[key])))
    return out


def derive_plan(findings: list[Finding]) -> list[PlanItem]:
    """One item per failing check, worst severity first, then most hosts (as `compare` orders its plan)."""
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status == "fail":
            by_check[f.check_id].append(f)
    ordered = sorted(by_check.values(), key=lambda fs: (-fs[0].severity_rank, -len(fs), fs[0].check_id))
    return [PlanItem(item=i, title=fs[0].title, severity=fs[0].severity, remediation=fs[0].remediation,
                     hosts=tuple(sorted({f.host for f in fs})), checks=(fs[0].check_id,),
                     requirements=fs[0].requirements)
            for i, fs in enumerate(ordered, 1)]


def _plan_from_comparison(plan: list[dict[str, Any]]) -> list[PlanItem]:
    return [PlanItem(item=int(p.get("item", i)), title=visible(str(p.get("title", ""))),
                     severity=str(p.get("severity", "info")), remediation=visible(str(p.get("remediation", ""))),
                     hosts=tuple(visible(str(h)) for h in p.get("hosts") or ()),
                     checks=tuple(visible(str(c)) for c in p.get("checks") or ()),
                     requirements=tuple(sorted((visible(str(r)) for r in (p.get("requirements") or {}).get(PCI, ())),
                                               key=requirement_key)))
            for i, p in enumerate(plan, 1)]


def _drift_items(items: Iterable[Any]) -> tuple[str, ...]:
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


def _by_check(transitions: list[dict[str, Any]]) -> list[CheckChange]:
    per: dict[str, CheckChange] = {}
    for t in transitions:
        cid = visible(str(t.get("check_id", "")))
        cc = per.get(cid)
        if cc is None:
            cc = per[cid] = CheckChange(cid, visible(str(t.get("title", ""))), str(t.get("severity", "info")),
                                        {c: 0 for c in CHANGES})
        change = str(t.get("change"))
        cc.counts[change] = cc.counts.get(change, 0) + 1
    return sorted(per.values(), key=lambda c: (-SEVERITY_RANK.get(c.severity, 0), c.check_id))


def _comparison_view(comparison: dict[str, Any]) -> ComparisonView:
    transitions = comparison.get("transitions") or []
    counts = Counter(str(t.get("change")) for t in transitions)
    score = comparison.get("score") or {}
    fleet = score.get("fleet") or {}
    before, after = comparison.get("before") or {}, comparison.get("after") or {}
    waivers = comparison.get("waivers") or {}
    return ComparisonView(
        before={k: visible(str(v)) if v is not None else "" for k, v in before.items()},
        after={k: visible(str(v)) if v is not None else "" for k, v in after.items()},
        evaluated_with={k: visible(str(v)) for k, v in (comparison.get("evaluated_with") or {}).items()},
        hosts_added=[visible(str(h)) for h in comparison.get("hosts_added") or ()],
        hosts_removed=[visible(str(h)) for h in comparison.get("hosts_removed") or ()],
        counts={c: counts.get(c, 0) for c in CHANGES}, by_check=_by_check(transitions),
        drift=_drift(comparison.get("drift") or {}),
        expired_waivers=list(waivers.get("expired_between") or ()),
        covering_regressions=list(waivers.get("covering_regressions") or ()),
        score_before=fleet.get("before"), score_after=fleet.get("after"),
        checks_changed=bool(before.get("checks_sha256") and after.get("checks_sha256")
                            and before.get("checks_sha256") != after.get("checks_sha256")))


def build_view(run: dict[str, Any], comparison: dict[str, Any] | None = None) -> ReportView:
    """Read a run (the later run, when a comparison is given) into a ``ReportView``."""
    transitions: dict[tuple[str, str], dict[str, Any]] = {}
    if comparison is not None:
        transitions = {(str(t.get("host")), str(t.get("check_id"))): t for t in comparison.get("transitions") or ()}
    host_scores = ((comparison or {}).get("score") or {}).get("hosts") or {}
    raw_hosts = sorted(run.get("hosts") or (), key=lambda h: str((h.get("target") or {}).get("id", "")))
    hosts: list[HostView] = []
    findings: list[Finding] = []
    cache: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for index, h in enumerate(raw_hosts):
        raw_id = str((h.get("target") or {}).get("id", "?"))
        host = _host(h, index, host_scores.get(raw_id))
        hosts.append(host)
        for r in h.get("results") or ():
            key = (raw_id, str(r.get("check_id", "")))
            seen.add(key)
            findings.append(_finding(host, r, transitions.get(key), cache))
    if comparison is not None:
        by_id = {h.id: h for h in hosts}
        for key, t in sorted(transitions.items()):
            if key in seen:
                continue
            host = by_id.get(visible(key[0]))
            if host is None:
                host = HostView(id=visible(key[0]), index=len(hosts), groups=(), transport="", address="",
                                asset_class="", status="removed", error="", problems=(), privilege="", host_key="",
                                host_key_trust="", started="", duration=0.0, counts={s: 0 for s in STATUSES},
                                score=None)
                hosts.append(host)
                by_id[host.id] = host
            findings.append(_removed_finding(host, t, cache))

    status_counts = Counter(f.status for f in findings if f.status != "none")
    failed = Counter(f.severity for f in findings if f.status == "fail")
    open_by: dict[str, dict[str, int]] = {s: {st: 0 for st in STATUSES} for s in SEVERITIES}
    for f in findings:
        if f.status in STATUSES and f.severity in open_by:
            open_by[f.severity][f.status] += 1
    requirements = _requirements(findings)
    req_counts = Counter(r.state for r in requirements)
    plan = (_plan_from_comparison(comparison.get("plan") or []) if comparison is not None
            else derive_plan(findings))
    groups = sorted({g for h in hosts for g in h.groups})
    req_ids = sorted({(fw, i) for f in findings for fw, ids in f.compliance for i in ids},
                     key=lambda k: (k[0] != PCI, k[0], requirement_key(k[1])))
    return ReportView(
        run=run, hosts=hosts, findings=findings,
        status_counts={s: status_counts.get(s, 0) for s in STATUSES},
        failed_by_severity={s: failed.get(s, 0) for s in SEVERITIES},
        open_by_severity=open_by, requirements=requirements,
        requirement_counts={s: req_counts.get(s, 0) for s in REQUIREMENT_STATES},
        plan=plan, groups=groups, check_ids=sorted({f.check_id for f in findings}), requirement_ids=req_ids,
        comparison=_comparison_view(comparison) if comparison is not None else None,
        warnings=[visible(str(w)) for w in run.get("warnings") or ()],
    )


def framework_name(framework: str) -> str:
    return FRAMEWORK_NAMES.get(framework, framework)
