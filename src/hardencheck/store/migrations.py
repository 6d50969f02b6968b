"""Ordered schema migrations: ``MIGRATIONS[i]`` takes a store from version ``i`` to ``i + 1``.

Each migration is frozen history: it spells out the DDL of its own version
instead of importing today's tables, so an old database is always upgraded
through the same steps. Applied versions are recorded in ``schema_version``;
each step runs in its own transaction together with that record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    inspect,
    select,
    text,
)


class MigrationError(RuntimeError):
    """The database is newer than this hardencheck, or a migration failed."""


def _v1_initial(conn: Connection) -> None:
    """Runs, per-run check metadata, hosts, facts and results."""
    md = MetaData()
    Table("runs", md,
          Column("run_id", String(128), primary_key=True),
          Column("schema_version", String(16), nullable=False),
          Column("started", String(40)), Column("finished", String(40)),
          Column("complete", Boolean, nullable=False),
          Column("profile_name", String(256)), Column("checks_sha256", String(64)),
          Column("tool_version", String(64)), Column("operator", String(256)),
          Column("header", JSON, nullable=False),
          Column("imported", String(40), nullable=False),
          Index("ix_runs_started", "started"))
    Table("run_checks", md,
          Column("run_id", String(128), primary_key=True), Column("check_id", String(256), primary_key=True),
          Column("title", Text, nullable=False), Column("severity", String(16), nullable=False),
          Column("remediation", Text, nullable=False), Column("compliance", JSON, nullable=False),
          Column("tags", JSON, nullable=False),
          ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"))
    Table("hosts", md,
          Column("run_id", String(128), primary_key=True), Column("host_index", Integer, primary_key=True),
          Column("target_id", String(512), nullable=False),
          Column("transport", String(16)), Column("address", String(512)), Column("asset_class", String(128)),
          Column("status", String(16), nullable=False), Column("error", Text),
          Column("started", String(40)), Column("finished", String(40)), Column("duration", Float),
          Column("doc", JSON, nullable=False),
          ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"),
          Index("ix_hosts_target", "target_id"))
    Table("facts", md,
          Column("run_id", String(128), primary_key=True), Column("host_index", Integer, primary_key=True),
          Column("name", String(128), primary_key=True),
          Column("status", String(32), nullable=False), Column("record", JSON, nullable=False),
          ForeignKeyConstraint(["run_id", "host_index"], ["hosts.run_id", "hosts.host_index"],
                               ondelete="CASCADE"))
    Table("results", md,
          Column("run_id", String(128), primary_key=True), Column("host_index", Integer, primary_key=True),
          Column("position", Integer, primary_key=True),
          Column("target_id", String(512), nullable=False), Column("check_id", String(256), nullable=False),
          Column("status", String(16), nullable=False), Column("severity", String(16), nullable=False),
          Column("reason", Text), Column("observed", JSON), Column("expected", Text), Column("evidence", JSON),
          Column("waiver", JSON), Column("fingerprint", String(64), nullable=False),
          Column("shared", Boolean, nullable=False), Column("extra", JSON),
          ForeignKeyConstraint(["run_id", "host_index"], ["hosts.run_id", "hosts.host_index"],
                               ondelete="CASCADE"),
          Index("ix_results_target", "target_id"), Index("ix_results_check_status", "check_id", "status"),
          Index("ix_results_fingerprint", "fingerprint"))
    md.create_all(conn)


_COUNTED = ("pass", "fail", "error", "skipped", "waived")


def _v2_run_counts(conn: Connection) -> None:
    """Per-run host and status counts on ``runs``, so `hardencheck history` never aggregates results."""
    for col in ("n_hosts", *(f"n_{s}" for s in _COUNTED)):
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN {col} INTEGER"))
    md = MetaData()
    runs = Table("runs", md, autoload_with=conn)
    hosts = Table("hosts", md, autoload_with=conn)
    results = Table("results", md, autoload_with=conn)
    values = {"n_hosts": select(func.count()).where(hosts.c.run_id == runs.c.run_id).scalar_subquery()}
    for s in _COUNTED:
        values[f"n_{s}"] = (select(func.count()).where(results.c.run_id == runs.c.run_id, results.c.status == s)
                            .scalar_subquery())
    conn.execute(runs.update().values(**values))
    Index("ix_runs_profile", runs.c.profile_name, runs.c.started).create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1_initial, _v2_run_counts]
LATEST = len(MIGRATIONS)


def _version_table(md: MetaData) -> Table:
    return Table("schema_version", md, Column("version", Integer, primary_key=True),
                 Column("applied", String(40), nullable=False))


def current_version(engine: Engine) -> int:
    """0 for an empty database."""
    if not inspect(engine).has_table("schema_version"):
        return 0
    table = _version_table(MetaData())
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(table.c.version))).scalar() or 0)


def migrate(engine: Engine, target: int = LATEST) -> int:
    """Bring the database to ``target`` (default: the latest version); returns the version reached."""
    version = current_version(engine)
    if version > LATEST:
        raise MigrationError(f"the history store is at schema version {version}, newer than this hardencheck "
                             f"understands ({LATEST}); upgrade hardencheck")
    table = _version_table(MetaData())
    with engine.begin() as conn:
        table.create(conn, checkfirst=True)
    while version < target:
        step = MIGRATIONS[version]
        with engine.begin() as conn:
            step(conn)
            conn.execute(table.insert().values(
                version=version + 1, applied=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
        version += 1
    return version
