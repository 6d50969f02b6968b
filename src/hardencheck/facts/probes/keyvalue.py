"""Key/value configuration files: ``login_defs`` and ``pwquality``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.keyvalue import parse_keyvalue
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers


class _KeyValueFilesProbe(Probe):
    """Reads one main file plus drop-ins; as libpwquality does, drop-ins are read first and the
    main file is read last, so its settings win."""

    main_path: str
    dropin_glob: str | None = None
    separator: str | None = None

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        specs = [FileSpec(self.main_path)] + ([FileSpec(self.dropin_glob)] if self.dropin_glob else [])
        return ProbeRequest(files=tuple(specs))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        paths = (raw.glob(self.dropin_glob) if self.dropin_glob else []) + [self.main_path]
        merged = ParsedFact()
        found = False
        for path in paths:
            text = raw.text(path)
            if text is None:
                continue
            found = True
            part = parse_keyvalue(text, path, separator=self.separator)
            merged.data.update(part.data)
            merged.locations.update(part.locations)
            merged.warnings.extend(part.warnings)
        if not found:
            f = raw.file(self.main_path)
            raise FactUnavailable(f"{self.main_path} is {f.status if f else 'not collected'}")
        return merged


class LoginDefsProbe(_KeyValueFilesProbe):
    name = "login_defs"
    description = "Settings of /etc/login.defs (PASS_MAX_DAYS, ENCRYPT_METHOD, UMASK, ...)."
    main_path = "/etc/login.defs"


class PwqualityProbe(_KeyValueFilesProbe):
    name = "pwquality"
    description = "Password quality settings of /etc/security/pwquality.conf and its .d drop-ins."
    main_path = "/etc/security/pwquality.conf"
    dropin_glob = "/etc/security/pwquality.conf.d/*.conf"
    separator = "="
