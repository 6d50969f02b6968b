"""Severity-weighted posture score, 0..100 (the formula is documented in docs/scoring.md).

score = 100 * (1 - failed_weight / applicable_weight), where applicable
results are pass, fail and error (an unanswered check is not compliance, so
error counts as failed), and skipped and waived results are left out of both
sums. Nothing applicable (or only info checks) gives no score (None), not 100.
"""

from __future__ import annotations

from collections.abc import Iterable

WEIGHTS: dict[str, float] = {"critical": 10, "high": 5, "medium": 2, "low": 1, "info": 0}
_FAILED = frozenset({"fail", "error"})
_APPLICABLE = frozenset({"pass", "fail", "error"})


def weights(results: Iterable[tuple[str, str | None]]) -> tuple[float, float]:
    """(failed_weight, applicable_weight) of ``(severity, status)`` pairs."""
    failed = applicable = 0.0
    for severity, status in results:
        if status not in _APPLICABLE:
            continue
        w = WEIGHTS.get(severity, 0)
        applicable += w
        if status in _FAILED:
            failed += w
    return failed, applicable


def score(failed: float, applicable: float) -> float | None:
    if applicable <= 0:
        return None
    return round(100.0 * (1.0 - failed / applicable), 1)


def score_of(results: Iterable[tuple[str, str | None]]) -> float | None:
    return score(*weights(results))
