"""The history store on a real SQLite file: round trip, idempotence, listing, references, indexes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from test_compare_rundocs import host_facts, make_plan, make_run, pkg

from hardencheck.cli import main
from hardencheck.results.model import finding_fingerprint
from hardencheck.store import Store, StoreError, store_url

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """run.json of a real `hardencheck scan` of the example configuration repository."""
    out = tmp_path_factory.mktemp("scan")
    code = main(["scan", f"dir:{REPO / 'docs/examples/config-repo'}", "--output", str(out), "-q", "--no-store"])
    assert code in (0, 1, 3)  # the whole catalogue: findings, and errors where a fact needs a live host
    (path,) = out.glob("*/run.json")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "history.db")
    yield s
    s.close()


def _run(tmp_path: Path, started: str, hosts: dict[str, Any] | None = None, profile: str = "unit-baseline"
         ) -> dict[str, Any]:
    plan = make_plan(["uid0", "root-login", "openssl"], profile=profile)
    return make_run(tmp_path / started[:10], plan, hosts or {"srv": host_facts(packages=[pkg("openssl", "3.0.1")])},
                    started)


def test_real_scan_round_trips_exactly(store: Store, scanned: Path) -> None:
    original = json.loads(scanned.read_text())
    run_id = store.add_run(original)
    assert run_id == original["run_id"]
    assert store.export_run(run_id) == original


def test_engine_run_with_unreachable_host_and_redactions_round_trips(store: Store, tmp_path: Path) -> None:
    doc = _run(tmp_path, "2026-01-10T02:00:00.000Z", {"srv": host_facts(), "down": "connection refused"})
    srv = next(h for h in doc["hosts"] if h["target"]["id"] == "srv")
    srv["facts"]["sshd"]["locations"][""]["excerpt"] = "password <redacted>"
    assert store.export_run(store.add_run(doc)) == doc


def test_documents_with_unknown_and_missing_keys_round_trip(store: Store, tmp_path: Path) -> None:
    """A newer tool's keys survive, an older document's gaps stay gaps (nothing is invented on export)."""
    doc = _run(tmp_path, "2026-01-10T02:00:00.000Z", {"a": host_facts(), "b": host_facts()})
    doc["future_top"] = {"x": [1, 2]}
    doc["hosts"][0]["future_host"] = True
    doc["hosts"][0]["results"][0]["future_result"] = "kept"
    del doc["hosts"][1]["results"][0]["tags"]          # not shared with run_checks any more
    del doc["hosts"][1]["results"][1]["waiver"]        # a column key, absent
    doc["hosts"][1]["results"][2]["title"] = "renamed on this host"
    del doc["hosts"][1]["problems"]
    assert store.export_run(store.add_run(doc)) == doc


def test_add_run_is_idempotent(store: Store, tmp_path: Path) -> None:
    doc = _run(tmp_path, "2026-01-10T02:00:00.000Z")
    altered = copy.deepcopy(doc)
    altered["operator"] = "someone-else"
    assert store.add_run(doc) == store.add_run(altered) == doc["run_id"]
    assert store.count_runs() == 1
    assert store.export_run(doc["run_id"]) == doc  # the first stored version is kept


def test_a_file_store_persists_across_opens(tmp_path: Path) -> None:
    doc = _run(tmp_path, "2026-01-10T02:00:00.000Z")
    with Store.open(tmp_path / "h.db") as s:
        s.add_run(doc)
    with Store.open(f"sqlite:///{tmp_path / 'h.db'}") as s:  # a SQLAlchemy URL names the same file
        assert s.export_run(doc["run_id"]) == doc


def test_store_location_from_environment_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDENCHECK_STORE", str(tmp_path / "env" / "h.db"))
    assert store_url() == f"sqlite:///{tmp_path / 'env' / 'h.db'}"
    assert store_url(tmp_path / "cli.db") == f"sqlite:///{tmp_path / 'cli.db'}"  # --store wins
    monkeypatch.delenv("HARDENCHECK_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert store_url() == f"sqlite:///{tmp_path / 'xdg' / 'hardencheck' / 'history.db'}"
    assert store_url("postgresql+psycopg://u@db/h") == "postgresql+psycopg://u@db/h"


def test_list_runs_newest_first_with_counts_and_filters(store: Store, tmp_path: Path) -> None:
    a = _run(tmp_path, "2026-01-10T02:00:00.000Z", {"pos-1": host_facts(), "pos-2": host_facts()})
    b = _run(tmp_path, "2026-01-11T02:00:00.000Z", {"srv-9": host_facts(sshd={"permitrootlogin": "yes"})},
             profile="pci-server")
    for doc in (a, b):
        store.add_run(doc)
    runs = store.list_runs()
    assert [r.run_id for r in runs] == [b["run_id"], a["run_id"]]
    assert (runs[0].hosts, runs[0].passed, runs[0].failed, runs[0].errors, runs[0].complete) == (1, 1, 1, 1, True)
    assert (runs[1].hosts, runs[1].passed, runs[1].errors) == (2, 4, 2)  # openssl: no packages fact -> error
    assert [r.run_id for r in store.list_runs(host="pos-*")] == [a["run_id"]]
    assert [r.run_id for r in store.list_runs(host="srv-9")] == [b["run_id"]]
    assert [r.run_id for r in store.list_runs(profile="pci-server")] == [b["run_id"]]
    assert store.list_runs(host="pos_1") == []  # '_' is not a wildcard
    assert len(store.list_runs(limit=1)) == 1


def test_latest_and_latest_tilde_n(store: Store, tmp_path: Path) -> None:
    docs = [_run(tmp_path, f"2026-01-1{d}T02:00:00.000Z") for d in (2, 0, 1)]  # stored out of order
    for doc in docs:
        store.add_run(doc)
    newest_first = [docs[0], docs[2], docs[1]]
    assert store.resolve_id("latest") == newest_first[0]["run_id"]
    assert store.resolve_id("latest~1") == newest_first[1]["run_id"]
    assert store.resolve_id("latest~2") == newest_first[2]["run_id"]
    assert store.resolve("latest~1") == newest_first[1]
    with pytest.raises(StoreError, match="holds 3"):
        store.resolve_id("latest~3")


def test_resolve_run_ids_prefixes_and_paths(store: Store, tmp_path: Path) -> None:
    a = _run(tmp_path, "2026-01-10T02:00:00.000Z")
    b = _run(tmp_path, "2026-01-10T03:00:00.000Z")
    store.add_run(a)
    store.add_run(b)
    assert store.resolve_id(a["run_id"]) == a["run_id"]
    assert store.resolve_id(a["run_id"][:-2]) == a["run_id"]
    with pytest.raises(StoreError, match="several runs"):
        store.resolve_id("20260110T")
    with pytest.raises(StoreError, match="no run"):
        store.resolve_id("19990101")
    folder = tmp_path / "2026-01-10" / a["run_id"]
    assert store.resolve(str(folder)) == a            # a run folder
    assert store.resolve(str(folder / "run.json")) == a
    unstored = _run(tmp_path / "other", "2026-02-01T00:00:00.000Z")
    assert store.resolve(str(tmp_path / "other" / "2026-02-01" / unstored["run_id"])) == unstored


def test_export_of_a_missing_run_is_an_error(store: Store) -> None:
    assert store.get_run("nope") is None
    with pytest.raises(StoreError):
        store.export_run("nope")


@pytest.mark.parametrize(("query", "index"), [
    ("SELECT * FROM results WHERE check_id = 'x' AND status = 'fail'", "ix_results_check_status"),
    ("SELECT * FROM results WHERE target_id = 'pos-1'", "ix_results_target"),
    ("SELECT * FROM hosts WHERE target_id = 'pos-1'", "ix_hosts_target"),
    ("SELECT * FROM results WHERE run_id = 'r'", "sqlite_autoindex_results_1"),
    ("SELECT * FROM hosts WHERE run_id = 'r'", "sqlite_autoindex_hosts_1"),
    ("SELECT * FROM facts WHERE run_id = 'r'", "sqlite_autoindex_facts_1"),
])
def test_fleet_sized_queries_use_an_index(store: Store, query: str, index: str) -> None:
    with store.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + query)))
    assert index in plan, plan


def test_a_thousand_host_run_is_stored_and_listed(store: Store, tmp_path: Path) -> None:
    doc = _run(tmp_path, "2026-01-10T02:00:00.000Z", {"pos-0000": host_facts()})
    first = doc["hosts"][0]
    for i in range(1, 1000):  # clones of one engine-made host (RunWriter fsyncs every host: slow in bulk)
        host = copy.deepcopy(first)
        host["target"]["id"] = f"pos-{i:04d}"
        for r in host["results"]:
            r["fingerprint"] = finding_fingerprint(r["check_id"], host["target"]["id"])
        doc["hosts"].append(host)
    store.add_run(doc)
    (summary,) = store.list_runs()
    assert summary.hosts == 1000 and summary.passed + summary.failed + summary.errors == 3000
    assert store.export_run(doc["run_id"]) == doc
