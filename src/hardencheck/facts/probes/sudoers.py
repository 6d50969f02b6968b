"""``sudoers``: who may run what as whom through sudo, and whether sudo asks for a password.

Only files are read (never ``sudo -l`` or ``visudo``): /etc/sudoers and the
folder it normally includes, plus folders named in the ``include_dirs``
probe option for sites that include others.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.sudoers import parse_sudoers
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

MAIN = "/etc/sudoers"
DROPIN = "/etc/sudoers.d"


def _dirs(options: Mapping[str, Any]) -> list[str]:
    extra = [d.rstrip("/") for d in options.get("include_dirs", []) if isinstance(d, str) and d.startswith("/")]
    return list(dict.fromkeys([DROPIN, *extra]))


class SudoersProbe(Probe):
    name = "sudoers"
    description = "sudo rules (one per command, tags and aliases resolved) and Defaults from /etc/sudoers*."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        files = [FileSpec(MAIN, max_bytes=512 * 1024)]
        files += [FileSpec(f"{d}/*", max_bytes=512 * 1024) for d in _dirs(options)]
        return ProbeRequest(files=tuple(files))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        main = raw.file(MAIN)
        if main is None or main.status == "missing":
            raise FactUnavailable(f"{MAIN} does not exist: sudo is not installed here", not_applicable=True)
        if main.status != "ok":
            raise FactUnavailable(f"{MAIN} is {main.status} (run as root or with --sudo)")
        collected = {d: [posixpath.basename(p) for p in raw.glob(f"{d}/*")] for d in _dirs(options)}
        for path, f in raw.bundle.files.items():
            if posixpath.dirname(path) in collected and f.status not in ("ok", "missing"):
                raise FactUnavailable(f"{path} is {f.status} (run as root or with --sudo): its rules are unknown")

        def read(path: str) -> str | None:
            return raw.text(path)

        return parse_sudoers(read, collected.get, MAIN)
