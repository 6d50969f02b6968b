"""``kernel``: the running kernel release, and kernels installed under /boot (reboot pending?)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.probes._pipeline import sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

_RELEASE = re.compile(r"^[0-9][0-9A-Za-z.+_~-]{0,120}$")
#: What ``uname -r`` prints, read from the kernel's own file with the shell's ``read``: no process
#: is started (so a trojaned ``uname`` in PATH cannot answer for the kernel either). One line only.
_RELEASE_READ = r"""
IFS= read -r r < /proc/sys/kernel/osrelease && printf '%s\n' "$r"
"""
#: Kernel images in /boot by shell glob (names only, no process started).
_BOOT_LIST = r"""
for f in /boot/vmlinuz-*; do [ -e "$f" ] && printf '%s\n' "${f##*/}"; done
exit 0
"""


class KernelProbe(Probe):
    name = "kernel"
    description = "Running kernel release (/proc/sys/kernel/osrelease, as uname -r) and kernel images in /boot."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(commands=(sh_command("kernel_release", _RELEASE_READ, timeout=5, max_bytes=4096, inline=True),
                                      sh_command("boot_kernels", _BOOT_LIST, timeout=5, max_bytes=65536, inline=True)))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "kernel_release"):
            raise FactUnavailable("the running kernel is unknown for a configuration directory", not_applicable=True)
        cmd = command_output(raw, "kernel_release")
        if cmd is None or cmd.exit_code != 0:
            raise FactUnavailable("/proc/sys/kernel/osrelease could not be read")
        release = cmd.text.strip()
        if not _RELEASE.match(release):
            raise FactUnavailable("/proc/sys/kernel/osrelease holds something that is not a kernel release")
        fact = ParsedFact(data={"release": release, "installed": []})
        fact.locate("release", cmd.label, None, release)
        boot = command_output(raw, "boot_kernels")
        if boot is not None and boot.exit_code == 0:
            fact.data["installed"] = sorted(
                n[len("vmlinuz-"):] for n in boot.text.splitlines() if n.startswith("vmlinuz-")
                and _RELEASE.match(n[len("vmlinuz-"):]))
        return fact
