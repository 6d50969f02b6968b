"""One row per host × check, for spreadsheets and ticket imports.

Spreadsheets execute cells that start with ``= + - @`` (and tab or carriage return), so any such
cell gets a leading apostrophe: a hostile file on a target must not become a formula on the
auditor's laptop (CSV injection, CWE-1236).
"""

from __future__ import annotations

import csv
import io
from typing import Any, ClassVar

from hardencheck.reporters.base import ViewReporter
from hardencheck.reporters.view import Finding, ReportView, framework_name

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = ["host", "groups", "check", "title", "severity", "status", "observed", "expected", "evidence",
           "excerpt", "requirements", "compliance", "reason", "fingerprint"]
COMPARISON_COLUMNS = ["change", "before_status", "before_observed"]


def cell(value: str) -> str:
    """A cell value that no spreadsheet will evaluate."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _row(f: Finding, groups: str, comparison: bool) -> list[str]:
    row = [f.host, groups, f.check_id, f.title, f.severity, f.status, f.observed, f.expected,
           "; ".join(e.location for e in f.evidence), " | ".join(e.excerpt for e in f.evidence if e.excerpt),
           " ".join(f.requirements),
           "; ".join(f"{framework_name(fw)} {', '.join(ids)}" for fw, ids in f.compliance),
           f.reason, f.fingerprint]
    if comparison:
        row += [f.change or "", f.before_status or "", f.before_observed]
    return [cell(v) for v in row]


class CsvReporter(ViewReporter):
    name: ClassVar[str] = "csv"
    filename: ClassVar[str] = "results.csv"
    description: ClassVar[str] = "one row per host and check, safe against spreadsheet formula injection"

    def _render(self, view: ReportView, run: dict[str, Any], comparison: dict[str, Any] | None) -> str:
        groups = {h.id: " ".join(h.groups) for h in view.hosts}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS + (COMPARISON_COLUMNS if comparison is not None else []))
        for f in view.findings:
            writer.writerow(_row(f, groups.get(f.host, ""), comparison is not None))
        return out.getvalue()
