"""The HTML report in a real headless browser (Debian's chromium through Playwright).

Opens the report from a file:// URL and checks what an auditor would: it loads nothing else, runs
without console errors (a CSP violation would be one), shows the counts its data says, filters
and searches correctly, and shows hostile values as text (no dialog ever opens). Leaves a
screenshot in test-artifacts/report.png.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from reporters_helpers import REPO, fixture_comparison, fixture_run

from hardencheck.reporters import get_reporter

pytestmark = pytest.mark.browser  # needs chromium, not the SSH fleet

CHROMIUM = os.environ.get("HARDENCHECK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium); Playwright's own browsers are not used")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Visit:
    """One page load with every request, console error, page error and dialog recorded."""

    def __init__(self, browser: Any, path: Path):
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url, wait_until="load")

    def _route(self, route: Any) -> None:
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def data(self) -> dict[str, Any]:
        return json.loads(self.page.locator("#hc-data").text_content())

    def rows(self) -> int:
        return int(self.page.locator("#findings-table tbody tr").count())

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def visit(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(get_reporter("html").render(fixture_run(), fixture_comparison()), encoding="utf-8")
    v = Visit(browser, path)
    yield v
    v.close()


def _lookup(doc: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc[part]
    return doc


def _reset(v: Visit) -> None:
    v.page.click("#f-reset")


def test_loads_only_itself_without_errors(visit: Visit) -> None:
    assert visit.requests == [visit.url]
    assert visit.errors == []
    assert visit.dialogs == []


def test_shown_counts_match_the_data(visit: Visit) -> None:
    data = visit.data()
    shown = visit.page.eval_on_selector_all("[data-count]", "els => els.map(e => [e.dataset.count, e.textContent])")
    assert len(shown) >= 20
    for key, text in shown:
        assert text.strip() == str(_lookup(data, key)), key
    assert visit.rows() == data["rows"] == 25
    assert visit.page.text_content("#f-matched") == "25"


@pytest.mark.parametrize(("control", "value", "count_key"), [
    ("#f-severity", "critical", "rows_by_severity.critical"),
    ("#f-status", "fail", "results.fail"),
    ("#f-status", "error", "results.error"),
    ("#f-change", "regressed", "changes.regressed"),
])
def test_filters_narrow_the_table(visit: Visit, control: str, value: str, count_key: str) -> None:
    _reset(visit)
    visit.page.select_option(control, value)
    expected = _lookup(visit.data(), count_key)
    assert 0 < expected < 25
    assert visit.rows() == expected
    assert visit.page.text_content("#f-matched") == str(expected)


def test_host_group_and_requirement_filters(visit: Visit) -> None:
    _reset(visit)
    visit.page.select_option("#f-host", label="pos-001")
    assert visit.rows() == 5
    assert set(visit.page.locator("#findings-table tbody td.host").all_text_contents()) == {"pos-001"}
    _reset(visit)
    visit.page.select_option("#f-group", label="datacenter")
    assert visit.rows() == 5
    _reset(visit)
    visit.page.select_option("#f-req", label="PCI DSS v4.0 11.5.2")
    assert visit.rows() == 5  # ld-so-preload-absent on the five hosts (one only in the baseline)


def test_clicking_a_summary_count_filters(visit: Visit) -> None:
    _reset(visit)
    visit.page.click(".st-card-waived")
    assert visit.page.input_value("#f-status") == "waived"
    assert visit.rows() == visit.data()["results"]["waived"] == 1


def test_text_search(visit: Visit) -> None:
    _reset(visit)
    expect = pytest.importorskip("playwright.sync_api").expect
    visit.page.fill("#f-q", "calc")
    expect(visit.page.locator("#f-matched")).to_have_text("1")  # the search is debounced
    assert visit.rows() == 1
    visit.page.fill("#f-q", "sshd_config")
    expect(visit.page.locator("#f-matched")).to_have_text("4")
    assert visit.rows() == 4
    _reset(visit)
    assert visit.rows() == 25


def test_hostile_values_show_as_text(visit: Visit) -> None:
    _reset(visit)
    page = visit.page
    assert page.locator("td.obs code", has_text='"<script>alert(1)</script>"').first.is_visible()
    assert page.locator("#drift li", has_text="new UID 0 account: <script>alert(1)</script>").is_visible()
    assert page.locator("td.host", has_text="pos-002\\x1b[31mred").first.is_visible()
    assert page.locator("td.obs code", has_text="=cmd|' /C calc'!A0").is_visible()
    assert page.locator("td.obs code", has_text="[x](http://evil.example)").is_visible()
    assert page.locator("a[href^='http']").count() == 0
    page.select_option("#f-check", label="ld-so-preload-absent")
    page.select_option("#f-status", "fail")
    page.click("#findings-table tbody tr >> summary")
    assert page.locator("#findings-table pre", has_text="/usr/lib/\\x1b[31mlibhook.so\\u202egnp.exe").is_visible()
    reason = page.locator("div.reason", has_text="</script><script>alert(3)</script>")
    _reset(visit)
    assert reason.count() == 1 and reason.is_visible()
    assert visit.dialogs == [] and visit.errors == []


def test_print_hides_the_controls(visit: Visit) -> None:
    _reset(visit)
    visit.page.emulate_media(media="print")
    try:
        assert not visit.page.locator("#findings .toolbar").is_visible()
        assert not visit.page.locator("nav.toc").is_visible()
    finally:
        visit.page.emulate_media(media="screen")


def test_screenshot(visit: Visit, browser: Any, tmp_path: Path) -> None:
    _reset(visit)
    ARTIFACTS.mkdir(exist_ok=True)
    visit.page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    alone = tmp_path / "run.html"
    alone.write_text(get_reporter("html").render(fixture_run()), encoding="utf-8")
    single = Visit(browser, alone)
    try:
        assert single.requests == [single.url] and single.errors == [] and single.dialogs == []
        assert single.rows() == 20
        single.page.screenshot(path=str(ARTIFACTS / "report-run.png"), full_page=True)
    finally:
        single.close()
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
