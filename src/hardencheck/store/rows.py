"""A run document to table rows and back, exactly: ``document(rows(doc)) == doc``.

Columns carry what queries filter on; everything else stays in the
document's own JSON, so redacted values are stored as redacted and keys
this version does not know survive the round trip.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Result keys kept in columns; ``extra`` keeps the rest.
RESULT_COLUMNS = ("check_id", "status", "severity", "reason", "observed", "expected", "evidence", "waiver",
                  "fingerprint")
#: Result keys every host of a run repeats for one check: stored once in ``run_checks``.
SHARED = ("title", "remediation", "compliance", "tags")
_MISSING = "__missing__"
STATUSES = ("pass", "fail", "error", "skipped", "waived")


@dataclass
class RunRows:
    """The rows of one run, ready for bulk inserts."""

    run: dict[str, Any]
    checks: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _run_row(doc: dict[str, Any], status_counts: Counter[str]) -> dict[str, Any]:
    profile, checks, tool = (_section(doc, k) for k in ("profile", "checks", "tool"))
    row = {
        "run_id": doc["run_id"], "schema_version": str(doc.get("schema_version", "")),
        "started": doc.get("started"), "finished": doc.get("finished"), "complete": bool(doc.get("complete")),
        "profile_name": profile.get("name"), "checks_sha256": checks.get("sha256"),
        "tool_version": tool.get("version"), "operator": doc.get("operator"),
        "header": {k: v for k, v in doc.items() if k != "hosts"}, "imported": _now(),
        "n_hosts": len(doc.get("hosts") or []),
    }
    row.update({f"n_{s}": status_counts.get(s, 0) for s in STATUSES})
    return row


def _shared_meta(result: dict[str, Any]) -> dict[str, Any] | None:
    if not all(k in result for k in SHARED):
        return None
    return {k: result[k] for k in SHARED}


def _result_row(run_id: str, host_index: int, position: int, target_id: str, result: dict[str, Any],
                check_meta: dict[str, dict[str, Any]], severities: dict[str, str]) -> dict[str, Any]:
    meta = _shared_meta(result)
    cid = str(result.get("check_id", ""))
    if meta is not None and cid not in check_meta:
        check_meta[cid] = meta
        severities[cid] = str(result.get("severity", ""))
    shared = meta is not None and check_meta.get(cid) == meta
    extra = {k: v for k, v in result.items() if k not in RESULT_COLUMNS and not (shared and k in SHARED)}
    missing = [k for k in RESULT_COLUMNS if k not in result]
    if missing:
        extra[_MISSING] = missing
    return {
        "run_id": run_id, "host_index": host_index, "position": position, "target_id": target_id,
        "check_id": cid, "status": str(result.get("status", "")), "severity": str(result.get("severity", "")),
        "reason": result.get("reason"), "observed": result.get("observed"), "expected": result.get("expected"),
        "evidence": result.get("evidence"), "waiver": result.get("waiver"),
        "fingerprint": str(result.get("fingerprint", "")), "shared": shared, "extra": extra or None,
    }


def _host_doc(host: dict[str, Any]) -> dict[str, Any]:
    doc = {k: v for k, v in host.items() if k not in ("facts", "results")}
    missing = [k for k in ("facts", "results") if k not in host]
    if missing:
        doc[_MISSING] = missing
    return doc


def run_rows(doc: dict[str, Any]) -> RunRows:
    """Split a run document into rows."""
    run_id = doc["run_id"]
    out = RunRows(run={})
    check_meta: dict[str, dict[str, Any]] = {}
    severities: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for i, host in enumerate(doc.get("hosts") or []):
        target = host.get("target") or {}
        target_id = str(target.get("id", ""))
        out.hosts.append({
            "run_id": run_id, "host_index": i, "target_id": target_id, "transport": target.get("transport"),
            "address": target.get("address"), "asset_class": target.get("asset_class"),
            "status": str(host.get("status", "")), "error": host.get("error"), "started": host.get("started"),
            "finished": host.get("finished"), "duration": host.get("duration"),
            "doc": _host_doc(host),
        })
        for name, record in (host.get("facts") or {}).items():
            out.facts.append({"run_id": run_id, "host_index": i, "name": name,
                              "status": str((record or {}).get("status", "")), "record": record})
        for pos, result in enumerate(host.get("results") or []):
            out.results.append(_result_row(run_id, i, pos, target_id, result, check_meta, severities))
            counts[str(result.get("status"))] += 1
    out.run = _run_row(doc, counts)
    out.checks = [{"run_id": run_id, "check_id": cid, "severity": severities[cid], **meta}
                  for cid, meta in check_meta.items()]
    return out


def result_from_row(row: Any, check_meta: dict[str, dict[str, Any]]) -> dict[str, Any]:
    extra = dict(row.extra or {})
    missing = set(extra.pop(_MISSING, ()))
    out = {k: getattr(row, k) for k in RESULT_COLUMNS if k not in missing}
    if row.shared:
        out.update(check_meta[row.check_id])
    out.update(extra)
    return out


def host_from_rows(host_row: Any, fact_rows: list[Any], result_dicts: list[dict[str, Any]]) -> dict[str, Any]:
    host = dict(host_row.doc)
    missing = set(host.pop(_MISSING, ()))
    if "facts" not in missing:
        host["facts"] = {f.name: f.record for f in fact_rows}
    if "results" not in missing:
        host["results"] = result_dicts
    return host
