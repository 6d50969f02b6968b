"""Issue 5 end to end: two stored runs of the same store terminal (weak at the breach, hardened now),
`hardencheck compare`, the HTML report in a real browser, its numbers checked against the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from clirun import run_cli, run_doc, ssh_args

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _inventory(path: Path, address: str) -> Path:
    path.write_text(yaml.safe_dump({"all": {"hosts": {"pos-042-01": {"address": address, "user": "root",
                                                                      "asset_class": "server"}}}}))
    return path


def test_compare_weak_baseline_with_hardened_now_in_html(fleet: Any, tmp_path: Path) -> None:
    from integration.test_html_browser import CHROMIUM, Visit  # the shared page-visit recorder

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    store = tmp_path / "history.db"
    common = ["--profile", "pci-server", "--network", "off", "--store", str(store), "--timeout", "60",
              *ssh_args(fleet)]
    before = run_cli("scan", "--inventory", str(_inventory(tmp_path / "at-breach.yaml", fleet.host("weak-1").address)),
                     "--output", str(tmp_path / "runs"), *common, timeout=600)
    after = run_cli("scan", "--inventory", str(_inventory(tmp_path / "now.yaml", fleet.host("hardened-1").address)),
                    "--output", str(tmp_path / "runs"), *common, timeout=600)
    assert run_doc(before)["hosts"][0]["status"] == run_doc(after)["hosts"][0]["status"] == "ok"

    out = tmp_path / "compare"
    gate = run_cli("compare", "latest~1", "latest", "--store", str(store), "--output", str(out),
                   "--fail-on-regression")
    assert gate.returncode == 0, gate.stderr[-2000:]  # everything got better: nothing regressed
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["counts"].get("fixed", 0) >= 20
    assert comparison["counts"].get("regressed", 0) == 0
    assert comparison["score"]["fleet"]["after"] > comparison["score"]["fleet"]["before"]

    html = out / "report.html"
    rendered = run_cli("report", str(out / "comparison.json"), "--format", "html", "--output", str(html),
                       "--store", str(store))
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                    "--no-first-run",
                                                                    "--disable-background-networking"])
        visit = Visit(browser, html)
        try:
            assert visit.requests == [visit.url] and visit.errors == [] and visit.dialogs == []
            data = visit.data()
            shown = visit.page.eval_on_selector_all("[data-count]",
                                                    "els => els.map(e => [e.dataset.count, e.textContent])")
            assert shown
            for key, text in shown:
                value: Any = data
                for part in key.split("."):
                    value = value[part]
                assert text.strip() == str(value), key
            for change, n in comparison["counts"].items():  # the page's numbers are the JSON's numbers
                if n:
                    assert data["changes"][change] == n, change
            visit.page.select_option("#f-change", "fixed")
            assert visit.rows() == comparison["counts"]["fixed"]
        finally:
            visit.close()
            browser.close()
