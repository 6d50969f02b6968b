"""``kernel``: the running kernel release, and kernels installed under /boot (reboot pending?)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import CommandSpec, ProbeRequest, RawAnswers

_RELEASE = re.compile(r"^[0-9][0-9A-Za-z.+_~-]{0,120}$")


class KernelProbe(Probe):
    name = "kernel"
    description = "Running kernel release (uname -r) and kernel images installed in /boot."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(commands=(CommandSpec("uname_r", ("uname", "-r"), timeout=5, max_bytes=4096),
                                      CommandSpec("boot_ls", ("ls", "-1", "/boot"), timeout=5, max_bytes=65536)))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "uname_r"):
            raise FactUnavailable("the running kernel is unknown for a configuration directory", not_applicable=True)
        cmd = command_output(raw, "uname_r")
        if cmd is None or cmd.exit_code != 0:
            raise FactUnavailable("uname -r did not run")
        release = cmd.text.strip()
        if not _RELEASE.match(release):
            raise FactUnavailable("uname -r printed something that is not a kernel release")
        fact = ParsedFact(data={"release": release, "installed": []})
        fact.locate("release", cmd.label, None, release)
        boot = command_output(raw, "boot_ls")
        if boot is not None and boot.exit_code == 0:
            fact.data["installed"] = sorted(
                n[len("vmlinuz-"):] for n in boot.text.splitlines() if n.startswith("vmlinuz-")
                and _RELEASE.match(n[len("vmlinuz-"):]))
        return fact
