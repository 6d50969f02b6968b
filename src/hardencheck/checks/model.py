"""The check model: a validated, immutable view of one check file."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for ``--fail-on`` and ordering."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Exemption:
    """Asset classes a requirement does not apply to (e.g. PCI DSS 8.3.6 for POS accounts), and why."""

    asset_classes: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Check:
    """One check as loaded from YAML. ``expect`` stays a plain tree; the evaluator walks it."""

    id: str
    title: str
    severity: Severity
    expect: dict[str, Any]
    remediation: str
    description: str = ""
    tags: tuple[str, ...] = ()
    compliance: dict[str, tuple[str, ...]] = field(default_factory=dict)
    os_families: tuple[str, ...] = ()
    asset_classes: tuple[str, ...] = ()
    transports: tuple[str, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)  # name -> default
    parameter_docs: dict[str, str] = field(default_factory=dict)
    collect: dict[str, dict[str, Any]] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    source_file: str = ""
    sha256: str = ""

    @functools.cached_property
    def facts(self) -> tuple[str, ...]:
        """Every probe this check reads (the collector gathers exactly these)."""
        found: list[str] = []
        _facts_in(self.expect, None, found)
        if self.os_families:
            found.append("os_release")
        return tuple(dict.fromkeys(found))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source_file: str = "") -> Check:
        applies = raw.get("applies_to") or {}
        params = raw.get("parameters") or {}
        return cls(
            id=raw["id"], title=raw["title"], severity=Severity(raw["severity"]), expect=raw["expect"],
            remediation=raw["remediation"].strip(), description=(raw.get("description") or "").strip(),
            tags=tuple(raw.get("tags") or ()),
            compliance={k: tuple(v) for k, v in (raw.get("compliance") or {}).items()},
            os_families=tuple(applies.get("os_family") or ()), asset_classes=tuple(applies.get("asset_class") or ()),
            transports=tuple(applies.get("transport") or ()),
            exemptions=tuple(Exemption(tuple(e["asset_class"]), e["reason"].strip())
                             for e in raw.get("exempt") or ()),
            parameters={k: v["default"] for k, v in params.items()},
            parameter_docs={k: v["description"] for k, v in params.items()},
            collect=raw.get("collect") or {}, references=tuple(raw.get("references") or ()),
            source_file=source_file,
            sha256=hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest(),
        )


def _facts_in(node: Any, inherited: str | None, out: list[str]) -> None:
    if not isinstance(node, dict):
        return
    fact = node.get("fact", inherited)
    if "op" in node and fact:
        out.append(fact)
    if isinstance(node.get("value_from"), dict) and "fact" in node["value_from"]:
        out.append(node["value_from"]["fact"])
    for key in ("all", "any"):
        for child in node.get(key, []):
            _facts_in(child, fact, out)
    if "path" in node and any(q in node for q in ("each", "some", "none")) and fact:
        out.append(fact)
    for key in ("not", "each", "some", "none", "where"):
        if key in node:
            _facts_in(node[key], fact, out)
