"""Shared by the reporter tests: the fixture documents, the shared schemas folder, golden files."""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "unit" / "data" / "reporters"
GOLDEN = DATA / "golden"
SCHEMAS = REPO / "src" / "hardencheck" / "schemas"
#: The project's shared schemas (junit.xsd, sarif-schema-2.1.0.json) live beside the repository.
SHARED_SCHEMAS = REPO / ".." / "shared" / "schemas"
HOSTILE = ("<script>alert(1)</script>", "</script><script>alert(3)</script>", "\x1b[31m", "=cmd|' /C calc'!A0")


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def fixture_run() -> dict[str, Any]:
    return copy.deepcopy(_load("run.json"))


def fixture_comparison() -> dict[str, Any]:
    return copy.deepcopy(_load("comparison.json"))


def shared_schema(name: str) -> Path:
    path = SHARED_SCHEMAS / name
    if not path.is_file():
        pytest.skip(f"{name} not found in {SHARED_SCHEMAS.resolve()} (the project's shared schemas folder "
                    "beside the repository); cannot validate against it here")
    return path


def check_golden(name: str, output: str) -> None:
    """Compare with tests/unit/data/reporters/golden/NAME; HARDENCHECK_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("HARDENCHECK_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(output.encode("utf-8"))
    assert path.is_file(), f"no golden file {path}; create it with HARDENCHECK_UPDATE_GOLDEN=1"
    expected = path.read_bytes().decode("utf-8")
    assert output == expected, f"{name} differs from its golden file (HARDENCHECK_UPDATE_GOLDEN=1 to accept)"
