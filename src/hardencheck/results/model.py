"""Typed result model of a run, serialised as one versioned JSON document (schemas/run.schema.json)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hardencheck.facts.model import FactRecord

SCHEMA_VERSION = "1.0"


class Status(str, Enum):
    """What a check concluded on a host. ERROR is never PASS: an unanswered question is not compliance."""

    PASS = "pass"  # the expectation held, with evidence
    FAIL = "fail"  # the expectation did not hold
    ERROR = "error"  # the facts could not be gathered or the host could not be audited
    SKIPPED = "skipped"  # not applicable to this host (asset class, OS, transport), with the reason
    WAIVED = "waived"  # failed, but covered by an unexpired waiver, with its justification


@dataclass(frozen=True)
class Evidence:
    """What an auditor needs to re-check a verdict without trusting hardencheck."""

    fact: str
    path: str
    source: str  # target file path or command label
    line: int | None = None
    excerpt: str = ""
    sha256: str | None = None  # of the raw bytes of ``source`` as collected
    repo_path: str | None = None  # for dir targets: the repository file

    def to_dict(self) -> dict[str, Any]:
        d = {"fact": self.fact, "path": self.path, "source": self.source, "line": self.line,
             "excerpt": self.excerpt, "sha256": self.sha256}
        if self.repo_path:
            d["repo_path"] = self.repo_path
        return d


@dataclass
class CheckResult:
    check_id: str
    title: str
    severity: str
    status: Status
    reason: str = ""
    observed: Any = None
    expected: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    remediation: str = ""
    compliance: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    waiver: dict[str, Any] | None = None
    fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id, "title": self.title, "severity": self.severity, "status": self.status.value,
            "reason": self.reason, "observed": self.observed, "expected": self.expected,
            "evidence": [e.to_dict() for e in self.evidence], "remediation": self.remediation,
            "compliance": self.compliance, "tags": self.tags, "waiver": self.waiver, "fingerprint": self.fingerprint,
        }


def finding_fingerprint(check_id: str, target_id: str) -> str:
    """Stable identity of a finding across runs: only fields that do not move (no line numbers, no values)."""
    return hashlib.sha256(f"{check_id}\x00{target_id}".encode()).hexdigest()[:32]


@dataclass
class HostResult:
    target: dict[str, Any]
    status: str  # "ok" (audited) or "error" (could not be audited)
    error: str = ""
    connection: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    finished: str = ""
    duration: float = 0.0
    facts: dict[str, FactRecord] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for r in self.results:
            out[r.status.value] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target, "status": self.status, "error": self.error, "connection": self.connection,
            "started": self.started, "finished": self.finished, "duration": round(self.duration, 3),
            "problems": self.problems, "counts": self.counts(),
            "facts": {k: v.to_dict() for k, v in sorted(self.facts.items())},
            "results": [r.to_dict() for r in self.results],
        }
