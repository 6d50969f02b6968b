"""Schema versions: a version-1 database with runs in it is upgraded in place and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, create_engine, insert, inspect, select
from test_compare_rundocs import host_facts, make_plan, make_run

from hardencheck.store import SCHEMA_VERSION, MigrationError, Store, migrate
from hardencheck.store.migrations import MIGRATIONS, current_version
from hardencheck.store.rows import run_rows


def _v1_store_with(path: Path, docs: list[dict]) -> None:
    """What hardencheck with schema version 1 wrote: its tables, its columns, its rows."""
    engine = create_engine(f"sqlite:///{path}")
    assert migrate(engine, target=1) == 1
    md = MetaData()
    with engine.begin() as conn:
        for doc in docs:
            rows = run_rows(doc)
            for name, batch in (("runs", [rows.run]), ("run_checks", rows.checks), ("hosts", rows.hosts),
                                ("facts", rows.facts), ("results", rows.results)):
                if not batch:
                    continue
                table = Table(name, md, autoload_with=conn, extend_existing=True)
                conn.execute(insert(table), [{k: v for k, v in r.items() if k in table.c} for r in batch])
    engine.dispose()


def test_migrations_are_ordered_and_the_latest_is_current() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2


def test_a_v1_database_migrates_and_keeps_every_run(tmp_path: Path) -> None:
    plan = make_plan(["uid0", "root-login"])
    docs = [make_run(tmp_path / "a", plan, {"a": host_facts(), "b": host_facts(sshd={"permitrootlogin": "yes"})},
                     "2026-01-10T02:00:00.000Z"),
            make_run(tmp_path / "b", plan, {"a": "connection refused"}, "2026-01-11T02:00:00.000Z")]
    db = tmp_path / "old.db"
    _v1_store_with(db, docs)
    engine = create_engine(f"sqlite:///{db}")
    assert current_version(engine) == 1
    assert "n_pass" not in {c["name"] for c in inspect(engine).get_columns("runs")}
    engine.dispose()

    with Store.open(db) as store:
        assert current_version(store.engine) == SCHEMA_VERSION
        newest, oldest = store.list_runs()
        assert (oldest.hosts, oldest.passed, oldest.failed, oldest.errors) == (2, 3, 1, 0)  # backfilled
        assert (newest.hosts, newest.passed, newest.errors) == (1, 0, 2)
        for doc in docs:
            assert store.export_run(doc["run_id"]) == doc
        with store.engine.connect() as conn:
            versions = MetaData()
            table = Table("schema_version", versions, autoload_with=conn)
            assert [r.version for r in conn.execute(select(table.c.version).order_by(table.c.version))] == [1, 2]
        assert "ix_runs_profile" in {i["name"] for i in inspect(store.engine).get_indexes("runs")}


def test_opening_twice_does_not_migrate_twice(tmp_path: Path) -> None:
    Store.open(tmp_path / "h.db").close()
    with Store.open(tmp_path / "h.db") as store:
        assert current_version(store.engine) == SCHEMA_VERSION


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "h.db") as store, store.engine.begin() as conn:
        table = Table("schema_version", MetaData(), autoload_with=conn)
        conn.execute(insert(table).values(version=SCHEMA_VERSION + 1, applied="2099-01-01"))
    with pytest.raises(MigrationError, match="newer"):
        Store.open(tmp_path / "h.db")
