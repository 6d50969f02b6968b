"""Small builders shared by the ``test_core_*`` unit tests (checks, facts, YAML files on disk)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from hardencheck.checks.model import Check
from hardencheck.facts.model import FactRecord, Location, ParsedFact

DATA = Path(__file__).parent / "data" / "core"

#: The probe names the loader tests declare as installed.
KNOWN_PROBES = {"sshd", "accounts", "file", "os_release"}


def make_check(expect: dict[str, Any], **extra: Any) -> Check:
    """A minimal valid check around ``expect``; ``extra`` adds or replaces top-level keys."""
    raw: dict[str, Any] = {"id": "test-check", "title": "A test check", "severity": "high", "expect": expect,
                           "remediation": "Fix the setting and verify it."}
    raw.update(extra)
    return Check.from_dict(raw)


def fact(name: str, data: dict[str, Any], locations: dict[str, Location] | None = None) -> FactRecord:
    """A successfully gathered fact."""
    return FactRecord(name, "ok", fact=ParsedFact(data, locations or {}))


def failed_fact(name: str, status: str, reason: str) -> FactRecord:
    """A fact that could not be gathered (``error``) or cannot exist here (``not-applicable``)."""
    return FactRecord(name, status, reason)


def write(directory: Path, name: str, text: str) -> Path:
    """Write dedented ``text`` to ``directory/name`` (creating folders) and return the path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path
