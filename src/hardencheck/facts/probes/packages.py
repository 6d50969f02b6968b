"""``packages``: installed packages from dpkg, rpm or apk, with the format that orders their versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.packages import parse_apk_installed, parse_dpkg_status, parse_rpm_qa
from hardencheck.facts.probes.common import command_output
from hardencheck.facts.raw import CommandSpec, FileSpec, ProbeRequest, RawAnswers

DPKG = "/var/lib/dpkg/status"
APK = "/lib/apk/db/installed"
RPM_QF = "%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n"


class PackagesProbe(Probe):
    name = "packages"
    description = "Installed packages (dpkg status database, rpm -qa, or apk installed database)."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(
            files=(FileSpec(DPKG, max_bytes=32 * 1024 * 1024), FileSpec(APK, max_bytes=16 * 1024 * 1024)),
            commands=(CommandSpec("rpm_qa", ("rpm", "-qa", "--qf", RPM_QF), timeout=60),),
        )

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        text = raw.text(DPKG)
        if text is not None:
            return parse_dpkg_status(text, DPKG)
        rpm = command_output(raw, "rpm_qa")
        if rpm is not None and rpm.exit_code == 0 and rpm.text.strip():
            return parse_rpm_qa(rpm.text, rpm.label)
        text = raw.text(APK)
        if text is not None:
            return parse_apk_installed(text, APK)
        raise FactUnavailable("no package database found (dpkg status, rpm, apk)")
