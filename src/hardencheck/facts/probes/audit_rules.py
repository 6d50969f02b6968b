"""``audit_rules``: the audit rules auditd loads at boot, and what they record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.audit_rules import parse_audit_rules
from hardencheck.facts.probes._scope import nothing_configured
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

RULES_D = "/etc/audit/rules.d/*.rules"
COMPILED = "/etc/audit/audit.rules"


class AuditRulesProbe(Probe):
    name = "audit_rules"
    description = "Audit rules from /etc/audit/rules.d/*.rules (as augenrules merges them) or audit.rules."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=(FileSpec(RULES_D, max_bytes=1024 * 1024), FileSpec(COMPILED, max_bytes=1024 * 1024)))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        for path in [*raw.glob(RULES_D), COMPILED]:
            f = raw.file(path)
            if f is not None and f.status == "unreadable":
                raise FactUnavailable(f"{path} is unreadable (run as root or with --sudo)")
        parts = [(p, raw.text(p) or "") for p in raw.glob(RULES_D)]
        origin = "rules.d (augenrules)"
        if not parts:
            text = raw.text(COMPILED)
            parts = [(COMPILED, text)] if text is not None else []
            origin = COMPILED
        if not parts:
            nothing_configured(raw, "audit rules (/etc/audit/rules.d/*.rules, /etc/audit/audit.rules)")
        fact = parse_audit_rules(parts)
        fact.data["origin"] = origin if parts else "none"
        if not parts:
            fact.warnings.append("no audit rules file: auditd (if installed) loads no rules")
        return fact
