"""The probe plugin interface and its registry (entry-point group ``hardencheck.probes``).

A probe gathers one kind of fact: it declares what to read or run
(:meth:`Probe.request`) and parses the answers (:meth:`Probe.parse`) into a
:class:`ParsedFact`. Probes never touch a transport themselves, which is what
lets every probe of a host share one round trip, and lets the same probe run
on a config directory where nothing can be executed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, ClassVar

from hardencheck.facts.model import FactRecord, ParsedFact
from hardencheck.facts.raw import ProbeRequest, RawAnswers

ENTRY_POINT_GROUP = "hardencheck.probes"


class FactUnavailable(Exception):
    """The fact could not be gathered on this target; checks reading it become ``error`` (or ``skipped``)."""

    def __init__(self, reason: str, *, not_applicable: bool = False):
        super().__init__(reason)
        self.reason = reason
        #: True when the target *cannot* have this fact (e.g. a command on a config directory):
        #: checks are then ``skipped`` with the reason rather than ``error``.
        self.not_applicable = not_applicable


class Probe(ABC):
    """One kind of fact. Subclasses set ``name`` and ``description`` and implement two methods."""

    name: ClassVar[str]
    description: ClassVar[str]
    pure: ClassVar[bool] = True
    """``parse`` depends only on the raw answers and options, so hosts returning identical answers
    may share one parsed fact (facts/cache.py). False for a probe that also reads the clock."""

    @abstractmethod
    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        """Files and commands this probe needs; ``options`` come from the profile's ``probe_options``."""

    @abstractmethod
    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        """Parse the answers; raise :class:`FactUnavailable` when the fact cannot be known."""


class DerivedProbe(Probe):
    """A fact computed on the auditor's side from other facts plus local reference data.

    Example: known vulnerabilities = the ``packages`` fact x an OSV advisory
    feed. It asks the target for nothing; because it only reads stored facts,
    ``hardencheck evaluate`` can recompute it later with a newer feed.
    """

    derived_from: ClassVar[tuple[str, ...]] = ()

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest()

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        raise FactUnavailable(f"{self.name} is derived from other facts, not collected")

    @abstractmethod
    def derive(self, facts: Mapping[str, FactRecord], options: Mapping[str, Any]) -> ParsedFact:
        """Compute the fact from ``facts`` (each named in ``derived_from``); raise FactUnavailable if it cannot."""


def load_probes() -> dict[str, Probe]:
    """Every installed probe plugin, by name (built-in ones plus any third-party package's)."""
    probes: dict[str, Probe] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        probes[cls.name] = cls()
    if not probes:  # running from a source tree that was never installed
        from hardencheck.facts.probes import builtin_probes

        probes = {p.name: p for p in builtin_probes()}
    return probes
