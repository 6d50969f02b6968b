"""Run history: every finished run in SQLite (or any SQLAlchemy database), exportable back to run.json."""

from hardencheck.store.migrations import LATEST as SCHEMA_VERSION
from hardencheck.store.migrations import MigrationError, migrate
from hardencheck.store.store import (
                                    ENV_VAR,
                                    NotEnoughRuns,
                                    RunSummary,
                                    Store,
                                    StoreError,
                                    default_store_path,
                                    store_url,
)

__all__ = [
                                    "ENV_VAR",
                                    "SCHEMA_VERSION",
                                    "MigrationError",
                                    "NotEnoughRuns",
                                    "RunSummary",
                                    "Store",
                                    "StoreError",
                                    "default_store_path",
                                    "migrate",
                                    "store_url",
]
