"""The CLI end to end on real scans of a configuration repository: store, history, compare, CI gates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_compare_rundocs import assert_valid_comparison

from hardencheck.cli import main
from hardencheck.compare import gate

REPO = Path(__file__).resolve().parents[2]
#: A fixed selection, so these tests do not move when checks are added to the catalogue.
CHECKS = "ssh-permit-root-login,ssh-max-auth-tries,ld-so-preload-absent"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A private store and a copy of the example repository that tests can break."""
    monkeypatch.setenv("HARDENCHECK_STORE", str(tmp_path / "history.db"))
    repo = tmp_path / "src" / "config-repo"  # same folder name: same target id as the original
    shutil.copytree(REPO / "docs/examples/config-repo", repo)
    return {"repo": repo, "out": tmp_path / "reports", "tmp": tmp_path}


def scan(env: dict[str, Path], *extra: str) -> int:
    return main(["scan", f"dir:{env['repo']}", "--checks", CHECKS, "--output", str(env["out"]), "-q", *extra])


def plant_preload(repo: Path) -> None:
    """The intruder's classic: /etc/ld.so.preload appears (ld-so-preload-absent: pass -> fail)."""
    (repo / "roles/common/files/ld.so.preload").write_text("/lib/x86_64-linux-gnu/libsnoop.so\n")
    with open(repo / "hardencheck-map.yaml", "a") as f:
        f.write("  roles/common/files/ld.so.preload: /etc/ld.so.preload\n")


def run_folders(out: Path) -> list[Path]:
    """Oldest first, by start time (run ids share a second when scans are quick)."""
    return sorted(out.iterdir(), key=lambda f: json.loads((f / "run.json").read_text())["started"])


def newest_comparison(root: Path) -> dict[str, Any]:
    path = max(root.rglob("comparison.json"), key=lambda p: p.stat().st_mtime_ns)
    return assert_valid_comparison(json.loads(path.read_text()))


def test_unchanged_failing_baseline_passes_the_regression_gate(env: dict[str, Path],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert scan(env) == 1                    # the example repository has failing checks
    assert scan(env, "--fail-on", "none", "--baseline", "latest", "--fail-on-regression") == 0
    c = newest_comparison(env["out"])
    assert c["counts"]["still_failing"] >= 1 and c["counts"]["regressed"] == c["counts"]["new_failing"] == 0
    out = env["tmp"] / "cmp"
    assert main(["compare", "latest~1", "latest", "--output", str(out), "--fail-on-regression"]) == 0
    assert main(["compare", "latest~1", "latest", "--output", str(out), "--fail-on", "low"]) == 1
    assert (out / "comparison.json").is_file()
    assert capsys.readouterr().out.strip().endswith(str(out / "comparison.json"))


def test_regression_fails_the_gate(env: dict[str, Path]) -> None:
    assert scan(env) == 1
    plant_preload(env["repo"])
    assert scan(env, "--fail-on", "none", "--baseline", "latest", "--fail-on-regression") == 1
    t = {x["check_id"]: x for x in newest_comparison(env["out"])["transitions"]}
    assert (t["ld-so-preload-absent"]["before_status"], t["ld-so-preload-absent"]["change"]) == ("pass", "regressed")
    out = env["tmp"] / "cmp"
    assert main(["compare", "latest~1", "latest", "--output", str(out), "--fail-on-regression"]) == 1
    # the regression is critical: a floor above it still trips, a gate on nothing does not
    assert main(["compare", "latest~1", "latest", "--output", str(out), "--fail-on-regression",
                 "--fail-on", "critical"]) == 1
    assert main(["compare", "latest~1", "latest", "--output", str(out)]) == 0
    c = newest_comparison(out)
    assert c["plan"][0]["checks"] == ["ld-so-preload-absent"]  # critical first
    assert c["plan"][0]["requirements"]["pci-dss-4.0"] == ["5.2", "11.5.2"]


def test_compare_run_folders_without_a_store(env: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    assert scan(env, "--no-store") == 1
    plant_preload(env["repo"])
    assert scan(env, "--no-store") == 1
    assert not (env["tmp"] / "history.db").exists()
    before, after = run_folders(env["out"])
    out = env["tmp"] / "cmp"
    assert main(["compare", str(before), str(after / "run.json"), "--output", str(out),
                 "--fail-on-regression"]) == 1
    assert not (env["tmp"] / "history.db").exists()  # two files: no database needed


def test_history_and_import(env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert scan(env, "--no-store") == 1
    assert scan(env) == 1
    capsys.readouterr()
    folders = run_folders(env["out"])
    assert main(["import", str(folders[0]), str(folders[1] / "run.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"stored {folders[0].name}", f"already stored {folders[1].name}"]
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "STARTED", "PROFILE", "HOSTS", "PASS", "FAIL", "ERROR", "COMPLETE", "REF"]
    assert [ln.split()[0] for ln in lines[1:]] == [folders[1].name, folders[0].name]
    assert lines[1].split()[-1] == "latest" and lines[2].split()[-1] == "latest~1"
    assert main(["history", "--host", "dir:config-repo", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["history", "--host", "nothing-*", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_import_refuses_a_document_that_is_not_a_run(env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    bad = env["tmp"] / "bad.json"
    bad.write_text(json.dumps({"run_id": "x", "hosts": [{"target": {}}]}))
    assert main(["import", str(bad)]) == 2
    assert "not a valid run document" in capsys.readouterr().err


def test_config_errors_exit_2_before_anything_is_scanned(env: dict[str, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "latest~1", "latest"]) == 2          # empty store
    assert "holds 0" in capsys.readouterr().err
    assert scan(env, "--baseline", "20990101T000000Z-000000") == 2   # a run id that is not there
    assert scan(env, "--fail-on-regression") == 2                # needs --baseline
    assert scan(env, "--sign-key", str(env["tmp"] / "missing.key")) == 2
    assert not env["out"].exists()


def test_first_night_without_a_baseline_still_runs(env: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert scan(env, "--fail-on", "none", "--baseline", "latest", "--fail-on-regression") == 0
    assert "no baseline" in capsys.readouterr().err
    assert not list(env["out"].rglob("comparison.json"))
    assert main(["history", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_a_baseline_that_cannot_be_compared_is_never_read_as_no_regression(
        env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    broken = env["tmp"] / "broken" / "run.json"
    broken.parent.mkdir()
    broken.write_text(json.dumps({"run_id": "x", "hosts": [{"status": "ok"}]}))  # a host without a target
    assert scan(env, "--fail-on", "none", "--baseline", str(broken), "--fail-on-regression") == 3
    assert "comparison with the baseline failed" in capsys.readouterr().err


def test_gate_severity_floor() -> None:
    def comparison(*changes: tuple[str, str, str]) -> dict[str, Any]:
        return {"transitions": [{"change": c, "severity": s, "after_status": a} for c, s, a in changes]}

    medium_regression = comparison(("regressed", "medium", "fail"), ("still_failing", "critical", "fail"))
    assert gate(medium_regression, regression=True, fail_on="none")
    assert gate(medium_regression, regression=True, fail_on="medium")
    assert not gate(medium_regression, regression=True, fail_on="high")
    assert gate(medium_regression, regression=False, fail_on="critical")  # still failing counts without it
    assert not gate(medium_regression, regression=False, fail_on="none")
    assert gate(comparison(("new_failing", "low", "fail")), regression=True, fail_on="low")
    assert not gate(comparison(("still_failing", "critical", "fail"), ("waived", "critical", "waived")),
                    regression=True, fail_on="none")


def test_compare_help_documents_the_gates(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = capsys.readouterr().out
    assert "--fail-on-regression" in text and "already failing and did not change passes" in text
