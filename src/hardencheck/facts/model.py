"""The structured facts a probe hands to checks.

A probe's raw output is parsed once into a :class:`ParsedFact`: plain JSON-able
``data`` that many checks read, and ``locations`` that tie parts of that data
back to the file line or command output it came from, so every finding can
carry evidence an auditor can check without trusting us.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Location:
    """Where a piece of a fact came from.

    ``source`` is a path on the target (``/etc/ssh/sshd_config``) or a command
    label (``cmd:sshd -T``); ``line`` is 1-based where the source is a file;
    ``excerpt`` is the (already redacted) text of that line.
    """

    source: str
    line: int | None = None
    excerpt: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "excerpt": self.excerpt}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Location:
        return cls(source=str(raw.get("source", "")), line=raw.get("line"), excerpt=str(raw.get("excerpt", "")))


@dataclass
class ParsedFact:
    """One probe's parsed view of a target.

    ``locations`` is keyed by a slash path into ``data``: ``"permitrootlogin"``,
    ``"users/3"``, ``"stacks/sshd/2"``. The evaluator looks up the deepest key
    on the path it is reading, falling back to shallower ones.
    ``warnings`` records what the parser skipped or could not understand (a
    hostile or garbled input is reported, never a reason to crash).
    """

    data: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def locate(self, path: str, source: str, line: int | None, excerpt: str) -> None:
        """Record where ``path`` came from; the first location recorded wins."""
        self.locations.setdefault(path, Location(source, line, excerpt[:300]))


@dataclass
class FactRecord:
    """A probe's outcome on one target, as stored in the run: the parsed fact or why there is none.

    ``status`` is ``ok``, ``error`` (could not be gathered: checks reading it
    are ``error``) or ``not-applicable`` (this target cannot have it, e.g. a
    command on a config directory: checks reading it are ``skipped``).
    ``sources`` names every file and command the fact was parsed from, with
    the sha256 of the raw bytes, so an auditor can re-derive it.
    """

    name: str
    status: str
    reason: str = ""
    fact: ParsedFact = field(default_factory=ParsedFact)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    identity: str | None = field(default=None, compare=False, repr=False)
    """Digest of the inputs it was parsed from, when it is shared between hosts (facts/cache.py);
    such a record is redacted before it is shared and never changed afterwards."""
    redacted: bool = field(default=False, compare=False, repr=False)
    _as_dict: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    _as_json: str | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        if self._as_dict is not None:
            return self._as_dict
        out = {
            "status": self.status,
            "reason": self.reason,
            "data": self.fact.data,
            "locations": {k: v.to_dict() for k, v in self.fact.locations.items()},
            "warnings": self.fact.warnings,
            "sources": self.sources,
        }
        if self.identity is not None:  # shared and final: every host's document reuses one dict
            self._as_dict = out
        return out

    def to_json(self) -> str:
        """``to_dict`` as JSON (keys sorted); a shared record is encoded once for all its hosts."""
        if self._as_json is not None:
            return self._as_json
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        if self.identity is not None:
            self._as_json = text
        return text

    @classmethod
    def from_dict(cls, name: str, raw: dict[str, Any]) -> FactRecord:
        fact = ParsedFact(
            data=raw.get("data") or {},
            locations={k: Location.from_dict(v) for k, v in (raw.get("locations") or {}).items()},
            warnings=list(raw.get("warnings") or []),
        )
        return cls(name=name, status=raw.get("status", "error"), reason=raw.get("reason", ""), fact=fact,
                   sources=raw.get("sources") or {})
