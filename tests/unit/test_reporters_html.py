"""The HTML report without a browser: self-contained, escaped, and its shown counts equal its data."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from reporters_helpers import fixture_comparison, fixture_run

from hardencheck.reporters import get_reporter
from hardencheck.results.document import summarise


class _Page(HTMLParser):
    """Collects what the tests look at: data-count texts, script blocks, URL attributes, the CSP."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.counts: dict[str, str] = {}
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.urls: list[str] = []
        self.csp = ""
        self._count: str | None = None
        self._script: dict[str, str | None] | None = None
        self._style = False
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href", "action", "formaction", "srcset", "poster", "data"):
            if a.get(name):
                self.urls.append(str(a[name]))
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = str(a.get("content"))
        if "data-count" in a:
            self._count, self._buf = str(a["data-count"]), []
        if tag == "script":
            self._script, self._buf = a, []
        if tag == "style":
            self._style, self._buf = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None
        elif tag == "style" and self._style:
            self.styles.append("".join(self._buf))
            self._style = False
        elif self._count is not None and tag in ("span", "strong", "b"):
            self.counts[self._count] = "".join(self._buf).strip()
            self._count = None

    def handle_data(self, data: str) -> None:
        self._buf.append(data)


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _lookup(doc: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc[part]
    return doc


@pytest.fixture(scope="module", params=["run", "comparison"])
def html(request: pytest.FixtureRequest) -> str:
    comparison = fixture_comparison() if request.param == "comparison" else None
    return get_reporter("html").render(fixture_run(), comparison)


def test_self_contained_no_url_to_fetch(html: str) -> None:
    page = _page(html)
    assert all(u.startswith("#") for u in page.urls), page.urls
    assert not re.search(r"<link\b|@import|url\(|<iframe|<img\b", html, re.IGNORECASE)
    assert "default-src 'none'" in page.csp


def test_csp_allows_exactly_the_inline_script_and_style(html: str) -> None:
    page = _page(html)
    code = [body for attrs, body in page.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 1 and len(page.styles) == 1

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert f"script-src {digest(code[0])};" in page.csp
    assert f"style-src {digest(page.styles[0])};" in page.csp
    assert "unsafe-inline" not in page.csp


def test_shown_counts_equal_the_embedded_json(html: str) -> None:
    page = _page(html)
    data_blocks = {attrs.get("id"): body for attrs, body in page.scripts if attrs.get("type") == "application/json"}
    counts = json.loads(data_blocks["hc-data"])
    assert len(page.counts) >= 15
    for key, shown in page.counts.items():
        assert shown == str(_lookup(counts, key)), key
    summary = summarise(fixture_run()["hosts"])
    assert counts["results"] == summary["results"]
    assert counts["failed_by_severity"] == summary["failed_by_severity"]
    assert counts["hosts"] == summary["hosts"] and counts["unreachable"] == summary["unreachable"]


def test_data_blocks_cannot_close_their_script_element(html: str) -> None:
    for block in re.findall(r'<script type="application/json" id="hc-\w+">(.*?)</script>', html, re.DOTALL):
        assert "</" not in block and "<!--" not in block and "<script" not in block.lower()
        json.loads(block)


def test_hostile_values_are_escaped_everywhere(html: str) -> None:
    assert "<script>alert" not in html
    assert "</script><script>" not in html
    assert "\x1b" not in html
    assert "pos-002\\x1b[31mred" in html  # the host table, rendered server-side
    rows = json.loads(re.search(r'id="hc-rows">(.*?)</script>', html, re.DOTALL).group(1))  # the findings, as data
    values = [v for row in rows["rows"] for v in row[4:7]]
    assert '["root", "<script>alert(1)</script>"]' in values
    assert "=cmd|' /C calc'!A0" in values
    assert any("\\x1b[31m" in h[0] for h in rows["hosts"])


def test_every_finding_is_in_the_table_data(html: str) -> None:
    rows = json.loads(re.search(r'id="hc-rows">(.*?)</script>', html, re.DOTALL).group(1))
    expected = sum(len(h["results"]) for h in fixture_run()["hosts"])
    assert len(rows["rows"]) in (expected, expected + 5)  # + the removed host's baseline results


def test_comparison_sections_only_with_a_comparison() -> None:
    alone = get_reporter("html").render(fixture_run())
    both = get_reporter("html").render(fixture_run(), fixture_comparison())
    assert 'id="changes"' not in alone and 'id="drift"' not in alone
    assert 'id="changes"' in both and 'id="drift"' in both
    assert "waiver(s) hide a regression" in both
    assert "new UID 0 account: &lt;script&gt;" in both
    assert "61.5" in both and "44.2" in both


def test_incomplete_run_is_flagged() -> None:
    run = fixture_run()
    run.update(complete=False, interrupted=True, unfinished_targets=["pos-777"])
    assert "Incomplete run." in get_reporter("html").render(run)
