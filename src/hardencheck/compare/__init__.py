"""Before/after: check transitions (the baseline re-evaluated with today's checks), fact drift, scores, plan."""

from hardencheck.compare.document import compare_runs, gate, schema_errors, summary_lines
from hardencheck.compare.transitions import CHANGES, WORSE, classify

__all__ = ["CHANGES", "WORSE", "classify", "compare_runs", "gate", "schema_errors", "summary_lines"]
