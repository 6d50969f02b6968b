"""Built-in probes. Each is registered as an entry point; this list serves uninstalled source trees."""

from __future__ import annotations

from hardencheck.facts.base import Probe


def builtin_probes() -> list[Probe]:
    from hardencheck.facts.probes.accounts import AccountsProbe
    from hardencheck.facts.probes.blockdev import BlockDevicesProbe
    from hardencheck.facts.probes.files import FileContentProbe
    from hardencheck.facts.probes.kernel import KernelProbe
    from hardencheck.facts.probes.keyvalue import LoginDefsProbe, PwqualityProbe
    from hardencheck.facts.probes.os_release import OsReleaseProbe
    from hardencheck.facts.probes.packages import PackagesProbe
    from hardencheck.facts.probes.pam import PamProbe
    from hardencheck.facts.probes.sockets import ListeningSocketsProbe
    from hardencheck.facts.probes.sshd import SshdProbe

    return [FileContentProbe(), LoginDefsProbe(), PwqualityProbe(), SshdProbe(), PamProbe(), AccountsProbe(),
            PackagesProbe(), BlockDevicesProbe(), ListeningSocketsProbe(), OsReleaseProbe(), KernelProbe()]
