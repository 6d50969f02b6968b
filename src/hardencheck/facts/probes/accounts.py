"""``accounts``: users, groups and password-hash *properties* (never the hashes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.accounts import parse_accounts
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

FILES = ("/etc/passwd", "/etc/shadow", "/etc/group")


class AccountsProbe(Probe):
    name = "accounts"
    description = "Accounts from /etc/passwd, /etc/shadow, /etc/group: UIDs, shells, hash algorithm, ageing."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=tuple(FileSpec(p) for p in FILES))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        passwd, shadow, group = (raw.text(p) for p in FILES)
        if passwd is None:
            raise FactUnavailable("/etc/passwd could not be read")
        fact = parse_accounts(passwd, shadow, group)
        if shadow is None:
            fact.warnings.append("/etc/shadow was not readable (run as root or with --sudo): hash facts are unknown")
        return fact
