"""Golden files: the Markdown, CSV, JUnit and SARIF reporters, on a run and on a comparison."""

from __future__ import annotations

import pytest
from reporters_helpers import check_golden, fixture_comparison, fixture_run

from hardencheck.reporters import get_reporter

CASES = [("md", "report.md"), ("csv", "results.csv"), ("junit", "results.junit.xml"), ("sarif", "results.sarif")]


@pytest.mark.parametrize(("fmt", "filename"), CASES)
def test_run_matches_golden(fmt: str, filename: str) -> None:
    check_golden(f"run.{filename}", get_reporter(fmt).render(fixture_run()))


@pytest.mark.parametrize(("fmt", "filename"), CASES)
def test_comparison_matches_golden(fmt: str, filename: str) -> None:
    check_golden(f"comparison.{filename}", get_reporter(fmt).render(fixture_run(), fixture_comparison()))


@pytest.mark.parametrize("fmt", ["md", "csv", "junit", "sarif", "html", "json"])
def test_rendering_is_deterministic_and_leaves_the_input_alone(fmt: str) -> None:
    run, comparison = fixture_run(), fixture_comparison()
    reporter = get_reporter(fmt)
    first = reporter.render(run, comparison)
    assert reporter.render(run, comparison) == first
    assert run == fixture_run() and comparison == fixture_comparison()
