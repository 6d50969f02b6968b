"""``hardencheck report``, ``--format`` on scan/evaluate, and the reporter registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reporters_helpers import fixture_comparison, fixture_run

from hardencheck.cli import main
from hardencheck.commands.report import parse_formats, write_reports
from hardencheck.reporters import BUILTIN, Reporter, get_reporter, load_reporters, reporter_names

FILES = {"html": "report.html", "md": "report.md", "junit": "results.junit.xml", "sarif": "results.sarif",
         "csv": "results.csv"}


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """reports/<run_id>/run.json and reports/compare-B-A/comparison.json, as the CLI lays them out."""
    run = fixture_run()
    _write(tmp_path / run["run_id"] / "run.json", run)
    comparison = fixture_comparison()
    _write(tmp_path / f"compare-{comparison['before']['run_id']}-{run['run_id']}" / "comparison.json", comparison)
    return tmp_path


def test_registry_has_every_builtin_format() -> None:
    assert set(BUILTIN) <= set(reporter_names())
    for name, reporter in load_reporters().items():
        assert isinstance(reporter, Reporter)
        assert reporter.name == name
    assert {n: get_reporter(n).filename for n in FILES} == FILES
    with pytest.raises(KeyError, match="no reporter named"):
        get_reporter("pdf")


def test_parse_formats() -> None:
    assert parse_formats("html, sarif") == ["html", "sarif"]
    with pytest.raises(Exception, match="unknown format pdf"):
        parse_formats("html,pdf")


def test_report_a_run_folder_to_a_file(reports: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "audit.html"
    assert main(["report", str(reports / fixture_run()["run_id"]), "--format", "html", "--output", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert 'id="hc-data"' in out.read_text() and 'id="changes"' not in out.read_text()


def test_report_to_stdout(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(reports / fixture_run()["run_id"] / "run.json"), "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("## hardencheck audit: pci-pos")


def test_report_a_comparison_finds_its_later_run(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = next(reports.glob("compare-*"))
    for source in (folder, folder / "comparison.json"):
        assert main(["report", str(source), "--format", "md"]) == 0
        out = capsys.readouterr().out
        assert "**Score** 61.5 → **44.2**" in out and "### Changes since run" in out


def test_comparison_beside_the_run_is_used_when_it_compares_that_run(
        reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = reports / fixture_run()["run_id"]
    _write(run_dir / "comparison.json", fixture_comparison())
    assert main(["report", str(run_dir), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(",change,before_status,before_observed")
    assert main(["report", str(run_dir), "--format", "csv", "--no-comparison"]) == 0
    assert "change" not in capsys.readouterr().out.splitlines()[0]
    other = fixture_comparison()
    other["after"]["run_id"] = "some-other-run"
    _write(run_dir / "comparison.json", other)
    assert main(["report", str(run_dir), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "change" not in captured.out.splitlines()[0] and "compares another run" in captured.err


def test_missing_later_run_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "lonely" / "comparison.json", fixture_comparison())
    assert main(["report", str(path), "--format", "md"]) == 2
    assert "give it with --run" in capsys.readouterr().err
    run_path = _write(tmp_path / "elsewhere" / "run.json", fixture_run())
    assert main(["report", str(path), "--format", "md", "--run", str(run_path)]) == 0


def test_explicit_comparison_must_match_the_run(reports: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    other = fixture_comparison()
    other["after"]["run_id"] = "another"
    bad = _write(tmp_path / "bad.json", other)
    assert main(["report", str(reports / fixture_run()["run_id"]), "--comparison", str(bad)]) == 2
    assert "not a comparison whose later run is" in capsys.readouterr().err


def test_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(_write(tmp_path / "x.json", {"hello": 1}))]) == 2
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "not found" in capsys.readouterr().err


def test_write_reports_beside_run_json(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_json = reports / fixture_run()["run_id"] / "run.json"
    written = write_reports(run_json, ["json", "html", "md", "junit", "sarif", "csv", "md"])
    assert sorted(p.name for p in written) == sorted(FILES.values())
    assert all(p.parent == run_json.parent and p.stat().st_size > 0 for p in written)
    assert not list(run_json.parent.glob("*.tmp"))
    assert write_reports(run_json, ["json"]) == []


def test_scan_writes_the_requested_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDENCHECK_STORE", str(tmp_path / "history.db"))
    repo = Path(__file__).resolve().parents[2] / "docs" / "examples" / "config-repo"
    code = main(["scan", f"dir:{repo}", "--map", "roles/pos/files/sshd_config=/etc/ssh/sshd_config",
                 "--output", str(tmp_path / "reports"), "-q", "--format", "html,md", "--format", "sarif",
                 "--format", "junit,csv"])
    assert code in (0, 1, 3)
    run_dir = next((tmp_path / "reports").iterdir())
    assert {p.name for p in run_dir.iterdir()} >= {"run.json", *FILES.values()}
