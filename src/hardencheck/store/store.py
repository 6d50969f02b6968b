"""The run history: every finished run, queryable across runs, exportable back to its run document.

SQLite by default (``~/.local/share/hardencheck/history.db``), any SQLAlchemy
URL otherwise (``postgresql+psycopg://...``): only SQLAlchemy Core and
portable DDL are used.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event, exists, func, select
from sqlalchemy.exc import IntegrityError

from hardencheck.results.document import load_run
from hardencheck.store import tables as t
from hardencheck.store.migrations import migrate
from hardencheck.store.rows import host_from_rows, result_from_row, run_rows

ENV_VAR = "HARDENCHECK_STORE"
_BATCH = 5000
_LATEST = re.compile(r"^latest(?:~(\d+))?$")


class StoreError(LookupError):
    """A run reference that names nothing, names several runs, or a document the store cannot keep."""


class NotEnoughRuns(StoreError):
    """``latest~N`` on a store with N runs or fewer (e.g. the very first night of a scheduled audit)."""


def default_store_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "hardencheck" / "history.db"


def store_url(value: str | os.PathLike[str] | None = None) -> str:
    """``--store`` value, else ``$HARDENCHECK_STORE``, else the default file; a path becomes a SQLite URL."""
    raw = str(value) if value else os.environ.get(ENV_VAR) or str(default_store_path())
    if "://" in raw:
        return raw
    path = Path(raw).expanduser()
    if path.is_dir():
        path = path / "history.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # a nightly scan and a `history` may meet
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


@dataclass(frozen=True)
class RunSummary:
    """One line of `hardencheck history`."""

    run_id: str
    started: str | None
    finished: str | None
    profile: str | None
    hosts: int
    passed: int
    failed: int
    errors: int
    skipped: int
    waived: int
    complete: bool


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


class Store:
    """A history store on one database; open with :meth:`open`, which migrates it to the latest schema."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None) -> Store:
        engine = create_engine(store_url(url))
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        migrate(engine)
        return cls(engine)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------------

    def has_run(self, run_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(t.runs.c.run_id).where(t.runs.c.run_id == run_id)).first() is not None

    def add_run(self, doc: dict[str, Any]) -> str:
        """Store a run document; a run already stored (same ``run_id``) is left as it is."""
        run_id = doc.get("run_id")
        if not isinstance(run_id, str) or not run_id or not isinstance(doc.get("hosts", []), list):
            raise StoreError("not a run document: it needs a run_id and a hosts list")
        if self.has_run(run_id):
            return run_id
        rows = run_rows(doc)
        try:
            with self.engine.begin() as conn:
                conn.execute(t.runs.insert(), [rows.run])
                for table, batch in ((t.run_checks, rows.checks), (t.hosts, rows.hosts), (t.facts, rows.facts),
                                     (t.results, rows.results)):
                    for i in range(0, len(batch), _BATCH):
                        conn.execute(table.insert(), batch[i:i + _BATCH])
        except IntegrityError:
            if self.has_run(run_id):  # stored concurrently by another process
                return run_id
            raise
        return run_id

    # -- reading -----------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run document as it was imported, or None."""
        with self.engine.connect() as conn:
            run = conn.execute(select(t.runs.c.header).where(t.runs.c.run_id == run_id)).first()
            if run is None:
                return None
            meta = {r.check_id: {"title": r.title, "remediation": r.remediation, "compliance": r.compliance,
                                 "tags": r.tags}
                    for r in conn.execute(select(t.run_checks).where(t.run_checks.c.run_id == run_id))}
            facts: dict[int, list[Any]] = defaultdict(list)
            for f in conn.execute(select(t.facts).where(t.facts.c.run_id == run_id)):
                facts[f.host_index].append(f)
            results: dict[int, list[dict[str, Any]]] = defaultdict(list)
            query = select(t.results).where(t.results.c.run_id == run_id).order_by(
                t.results.c.host_index, t.results.c.position)
            for r in conn.execute(query):
                results[r.host_index].append(result_from_row(r, meta))
            host_rows = conn.execute(select(t.hosts).where(t.hosts.c.run_id == run_id)
                                     .order_by(t.hosts.c.host_index)).all()
        doc = dict(run.header)
        doc["hosts"] = [host_from_rows(h, facts[h.host_index], results[h.host_index]) for h in host_rows]
        return doc

    def export_run(self, run_id: str) -> dict[str, Any]:
        """Like :meth:`get_run`, but a missing run is an error."""
        doc = self.get_run(run_id)
        if doc is None:
            raise StoreError(f"no run '{run_id}' in {self.url}")
        return doc

    def _runs_query(self, host: str | None, profile: str | None) -> Any:
        query = select(t.runs)
        if profile:
            query = query.where(t.runs.c.profile_name == profile)
        if host:
            cond = (t.hosts.c.target_id.like(_like(host), escape="\\") if any(c in host for c in "*?")
                    else t.hosts.c.target_id == host)
            query = query.where(exists().where(t.hosts.c.run_id == t.runs.c.run_id, cond))
        return query.order_by(t.runs.c.started.desc(), t.runs.c.run_id.desc())

    def list_runs(self, host: str | None = None, profile: str | None = None, limit: int | None = 50
                  ) -> list[RunSummary]:
        """Newest first; ``host`` is a target id or a glob (``pos-*``)."""
        query = self._runs_query(host, profile)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [RunSummary(r.run_id, r.started, r.finished, r.profile_name, r.n_hosts or 0, r.n_pass or 0,
                               r.n_fail or 0, r.n_error or 0, r.n_skipped or 0, r.n_waived or 0, bool(r.complete))
                    for r in conn.execute(query)]

    def count_runs(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.runs)).scalar() or 0)

    def resolve_id(self, ref: str, host: str | None = None, profile: str | None = None) -> str:
        """``latest``, ``latest~N`` (N runs before the latest), a run id or an unambiguous prefix of one."""
        m = _LATEST.match(ref)
        with self.engine.connect() as conn:
            if m:
                offset = int(m.group(1) or 0)
                row = conn.execute(self._runs_query(host, profile).offset(offset).limit(1)).first()
                if row is None:
                    raise NotEnoughRuns(f"'{ref}': the store ({self.url}) holds {self.count_runs()} matching "
                                     f"run(s), not {offset + 1}")
                return str(row.run_id)
            if conn.execute(select(t.runs.c.run_id).where(t.runs.c.run_id == ref)).first():
                return ref
            hits = [r.run_id for r in conn.execute(
                select(t.runs.c.run_id).where(t.runs.c.run_id.like(_like(ref) + "%", escape="\\")).limit(3))]
        if len(hits) == 1:
            return str(hits[0])
        if hits:
            raise StoreError(f"'{ref}' names several runs ({', '.join(hits)}, ...): give more of the run id")
        raise StoreError(f"no run '{ref}' in {self.url}, and no such file or folder")

    def resolve(self, ref: str | os.PathLike[str], host: str | None = None, profile: str | None = None
                ) -> dict[str, Any]:
        """The run document ``ref`` names: a run.json or run folder on disk first, else a stored run."""
        path = Path(ref)
        if path.exists():
            return load_run(path)
        return self.export_run(self.resolve_id(str(ref), host, profile))
