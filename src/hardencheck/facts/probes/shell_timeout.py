"""``shell_timeout``: the idle logout (``TMOUT``) set for every user's shell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.shell_timeout import parse_shell_timeout
from hardencheck.facts.probes.common import read_texts
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

BEFORE = ("/etc/bash.bashrc", "/etc/bashrc", "/etc/profile")
PROFILE_D = "/etc/profile.d/*.sh"


class ShellTimeoutProbe(Probe):
    name = "shell_timeout"
    description = "TMOUT assignments and readonly declarations in /etc/profile, /etc/profile.d/*.sh, bash.bashrc."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=(*(FileSpec(p, max_bytes=512 * 1024) for p in BEFORE),
                                   FileSpec(PROFILE_D, max_bytes=512 * 1024)))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        files = read_texts(raw, (*BEFORE, PROFILE_D))
        if not files:
            raise FactUnavailable("none of /etc/profile, /etc/bash.bashrc, /etc/profile.d/*.sh could be read")
        return parse_shell_timeout(files)
