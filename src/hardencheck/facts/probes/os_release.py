"""``os_release``: distribution and family, which decide check applicability."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.osrelease import parse_os_release
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

PATHS = ("/etc/os-release", "/usr/lib/os-release")


class OsReleaseProbe(Probe):
    name = "os_release"
    description = "Distribution id, version and family from /etc/os-release."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=64 * 1024) for p in PATHS))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        for path in PATHS:
            text = raw.text(path)
            if text is not None:
                return parse_os_release(text, path)
        raise FactUnavailable("neither /etc/os-release nor /usr/lib/os-release is readable")
