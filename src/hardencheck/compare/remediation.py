"""The remediation plan: a later run's open findings grouped by fix.

A fix is its remediation text: every host failing one check shares it, and
checks whose remediation text is identical share an item too. Items are
ordered worst severity first, then by the number of hosts they fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hardencheck.checks.model import Severity


def _requirement_order(req: str) -> list[tuple[int, Any]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\s]", req)]


def plan_items(transitions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per distinct fix for every finding that fails in the later run (waived ones are not open)."""
    groups: dict[str, dict[str, Any]] = {}
    for t in transitions:
        if t["after_status"] != "fail":
            continue
        text = (t.get("remediation") or "").strip()
        key = text or f"\x00{t['check_id']}"  # no remediation text: one item per check
        g = groups.setdefault(key, {"remediation": text, "hosts": set(), "checks": {}, "requirements": {}})
        g["hosts"].add(t["host"])
        g["checks"].setdefault(t["check_id"], (t["severity"], t["title"]))
        for framework, reqs in (t.get("compliance") or {}).items():
            g["requirements"].setdefault(framework, set()).update(reqs)
    items = []
    for g in groups.values():
        checks = sorted(g["checks"].items(), key=lambda kv: (-Severity(kv[1][0]).rank, kv[0]))
        severity = checks[0][1][0]
        items.append({
            "title": "; ".join(dict.fromkeys(title for _, (_, title) in checks)),
            "severity": severity, "remediation": g["remediation"], "hosts": sorted(g["hosts"]),
            "checks": [cid for cid, _ in checks],
            "requirements": {fw: sorted(reqs, key=_requirement_order) for fw, reqs in sorted(g["requirements"].items())},
        })
    items.sort(key=lambda i: (-Severity(i["severity"]).rank, -len(i["hosts"]), i["checks"][0]))
    for n, item in enumerate(items, 1):
        item["item"] = n
    return [{"item": i["item"], **{k: v for k, v in i.items() if k != "item"}} for i in items]
