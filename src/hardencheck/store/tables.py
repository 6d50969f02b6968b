"""The history store's tables (current schema version), in SQLAlchemy Core so SQLite and PostgreSQL share them.

A run document is split into runs, hosts, facts and results so that a night
of 50,000 hosts stays queryable ("which hosts fail check X", "every run of
host Y") without loading documents. Check metadata that every host of a run
repeats (title, remediation, compliance) lives once per run in
``run_checks``; a result only carries it when it differs.

Columns are what queries need; the JSON columns keep the document's own
dicts (and keys this version does not know), so ``export_run`` gives back
exactly what was imported, redactions included.

Primary keys start with ``run_id``, so they double as the per-run index;
``target_id`` and ``(check_id, status)`` have their own.
"""

from __future__ import annotations

from sqlalchemy import (
                        JSON,
                        Boolean,
                        Column,
                        Float,
                        ForeignKeyConstraint,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
)

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied", String(40), nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("run_id", String(128), primary_key=True),
    Column("schema_version", String(16), nullable=False),
    Column("started", String(40)),
    Column("finished", String(40)),
    Column("complete", Boolean, nullable=False),
    Column("profile_name", String(256)),
    Column("checks_sha256", String(64)),
    Column("tool_version", String(64)),
    Column("operator", String(256)),
    Column("header", JSON, nullable=False),  # every top-level key of the document but ``hosts``
    Column("imported", String(40), nullable=False),
    # v2: counts for `hardencheck history` without aggregating results
    Column("n_hosts", Integer),
    Column("n_pass", Integer),
    Column("n_fail", Integer),
    Column("n_error", Integer),
    Column("n_skipped", Integer),
    Column("n_waived", Integer),
)
Index("ix_runs_started", runs.c.started)
Index("ix_runs_profile", runs.c.profile_name, runs.c.started)

run_checks = Table(
    "run_checks", metadata,
    Column("run_id", String(128), primary_key=True),
    Column("check_id", String(256), primary_key=True),
    Column("title", Text, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("remediation", Text, nullable=False),
    Column("compliance", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"),
)

hosts = Table(
    "hosts", metadata,
    Column("run_id", String(128), primary_key=True),
    Column("host_index", Integer, primary_key=True),
    Column("target_id", String(512), nullable=False),
    Column("transport", String(16)),
    Column("address", String(512)),
    Column("asset_class", String(128)),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("started", String(40)),
    Column("finished", String(40)),
    Column("duration", Float),
    Column("doc", JSON, nullable=False),  # the host's keys but ``facts`` and ``results``
    ForeignKeyConstraint(["run_id"], ["runs.run_id"], ondelete="CASCADE"),
)
Index("ix_hosts_target", hosts.c.target_id)

facts = Table(
    "facts", metadata,
    Column("run_id", String(128), primary_key=True),
    Column("host_index", Integer, primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("record", JSON, nullable=False),  # the fact as the document has it: status, data, locations, sources
    ForeignKeyConstraint(["run_id", "host_index"], ["hosts.run_id", "hosts.host_index"], ondelete="CASCADE"),
)

results = Table(
    "results", metadata,
    Column("run_id", String(128), primary_key=True),
    Column("host_index", Integer, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("target_id", String(512), nullable=False),
    Column("check_id", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("reason", Text),
    Column("observed", JSON),
    Column("expected", Text),
    Column("evidence", JSON),
    Column("waiver", JSON),
    Column("fingerprint", String(64), nullable=False),
    Column("shared", Boolean, nullable=False),  # title/remediation/compliance/tags come from run_checks
    Column("extra", JSON),  # the result's other keys (and ``__missing__``: column keys it did not have)
    ForeignKeyConstraint(["run_id", "host_index"], ["hosts.run_id", "hosts.host_index"], ondelete="CASCADE"),
)
Index("ix_results_target", results.c.target_id)
Index("ix_results_check_status", results.c.check_id, results.c.status)
Index("ix_results_fingerprint", results.c.fingerprint)
