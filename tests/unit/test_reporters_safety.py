"""Hostile values from targets: made visible once, then escaped per format (CSV, Markdown, XML)."""

from __future__ import annotations

import csv
import io

import pytest
from reporters_helpers import HOSTILE, fixture_comparison, fixture_run

from hardencheck.reporters import get_reporter
from hardencheck.reporters.csvfile import cell
from hardencheck.reporters.markdown import code, esc
from hardencheck.reporters.text import display, requirement_key, visible


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain text", "plain text"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    ("line\nnext\ttab", "line\nnext\ttab"),
    ("bell\x07 del\x7f c1\x9b", "bell\\x07 del\\x7f c1\\x9b"),
    ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("surrogate \ud800", "surrogate \\ud800"),
    ("café ✓", "café ✓"),
])
def test_visible_spells_out_invisible_characters(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_display_of_observed_values() -> None:
    assert display(None) == ""
    assert display(True) == "true"
    assert display(6) == "6"
    assert display(["root", "<x>"]) == '["root", "<x>"]'
    assert display({"b": 1, "a": "\x1b"}) == '{"a": "\\u001b", "b": 1}'


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"])
def test_csv_cells_never_start_a_formula(value: str) -> None:
    assert cell(value) == "'" + value


def test_csv_report_neutralises_formulas_everywhere() -> None:
    rows = list(csv.reader(io.StringIO(get_reporter("csv").render(fixture_run(), fixture_comparison()))))
    assert rows[0][:6] == ["host", "groups", "check", "title", "severity", "status"]
    assert len(rows) - 1 == 20 + 5  # every host × check, and the removed host's baseline results
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert any(v == "'=cmd|' /C calc'!A0" for row in rows for v in row)


def test_markdown_code_spans_and_escapes() -> None:
    assert code("a|b") == "`a\\|b`"
    assert code("a|b", table=False) == "`a|b`"
    assert code("x ``y`` z") == "```x ``y`` z```"
    assert code("`edge`") == "`` `edge` ``"
    assert code("one\ntwo") == "`one`<br>`two`"
    assert esc("<b>*x*</b> [l](u) |") == "\\<b\\>\\*x\\*\\</b\\> \\[l\\](u) \\|"


def test_markdown_never_carries_raw_html_or_escapes() -> None:
    out = get_reporter("md").render(fixture_run(), fixture_comparison())
    assert "\x1b" not in out and "\u202e" not in out
    for line in out.splitlines():
        if "<script>" in line:  # only ever inside a code span, where Markdown shows it as text
            assert "`" in line
            for chunk in line.split("`")[::2]:
                assert "<script>" not in chunk, line


@pytest.mark.parametrize("fmt", ["md", "csv", "junit", "sarif", "html"])
def test_no_raw_control_characters_in_any_format(fmt: str) -> None:
    out = get_reporter(fmt).render(fixture_run(), fixture_comparison())
    assert isinstance(out, str)
    assert not any(c in out for c in ("\x1b", "\u202e", "\x07"))


def test_requirement_ids_sort_naturally() -> None:
    ids = ["10.2.1", "8.3.1", "2.2.6", "8.3.10", "8.3.9", "A1.1"]
    assert sorted(ids, key=requirement_key) == ["2.2.6", "8.3.1", "8.3.9", "8.3.10", "10.2.1", "A1.1"]


def test_hostile_fixture_values_are_present() -> None:
    text = str(fixture_run()) + str(fixture_comparison())
    assert all(h.replace("\x1b", "\\x1b") in text for h in HOSTILE)
