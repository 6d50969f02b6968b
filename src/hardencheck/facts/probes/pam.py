"""``pam``: the PAM stacks of the services that guard logins and password changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.pam import parse_pam
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

DEFAULT_SERVICES = ("sshd", "sudo", "login", "su", "passwd", "other", "common-auth", "common-account",
                    "common-password", "common-session", "system-auth", "password-auth")


class PamProbe(Probe):
    name = "pam"
    description = "PAM stacks per service with @include/substack resolved, controls and module options parsed."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=(FileSpec("/etc/pam.d/*", max_bytes=256 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if not raw.glob("/etc/pam.d/*"):
            raise FactUnavailable("/etc/pam.d holds no readable files")
        services = list(dict.fromkeys([*DEFAULT_SERVICES, *options.get("services", [])]))
        return parse_pam(raw.text, services)
