"""Built-in probes. Each is registered as an entry point; this list serves uninstalled source trees."""

from __future__ import annotations

from hardencheck.facts.base import Probe


def builtin_probes() -> list[Probe]:
    from hardencheck.facts.probes.accounts import AccountsProbe
    from hardencheck.facts.probes.blockdev import BlockDevicesProbe
    from hardencheck.facts.probes.files import FileContentProbe
    from hardencheck.facts.probes.kernel import KernelProbe
    from hardencheck.facts.probes.net_ports import NetPortsProbe
    from hardencheck.facts.probes.net_scan import NetScanProbe
    from hardencheck.facts.probes.net_ssh import NetSshProbe
    from hardencheck.facts.probes.net_tls import NetTlsProbe
    from hardencheck.facts.probes.keyvalue import LoginDefsProbe, PwqualityProbe
    from hardencheck.facts.probes.os_release import OsReleaseProbe
    from hardencheck.facts.probes.packages import PackagesProbe
    from hardencheck.facts.probes.pam import PamProbe
    from hardencheck.facts.probes.sockets import ListeningSocketsProbe
    from hardencheck.facts.probes.sshd import SshdProbe

    return [FileContentProbe(), LoginDefsProbe(), PwqualityProbe(), SshdProbe(), PamProbe(), AccountsProbe(),
            PackagesProbe(), BlockDevicesProbe(), ListeningSocketsProbe(), OsReleaseProbe(), KernelProbe(),
            NetPortsProbe(), NetTlsProbe(), NetSshProbe(), NetScanProbe(), *_encryption_and_intrusion_probes(),
            *_access_and_logging_probes()]


def _encryption_and_intrusion_probes() -> list[Probe]:
    """Card data, keys and TLS, patch level, and what an intruder leaves behind (issue 3)."""
    from hardencheck.facts.probes.advisories import AdvisoriesProbe
    from hardencheck.facts.probes.authorized_keys import AuthorizedKeysProbe
    from hardencheck.facts.probes.certificates import CertificatesProbe
    from hardencheck.facts.probes.cron import CronProbe
    from hardencheck.facts.probes.file_hunt import SuidFilesProbe, WorldWritableProbe
    from hardencheck.facts.probes.package_integrity import PackageIntegrityProbe
    from hardencheck.facts.probes.pan_scan import PanScanProbe
    from hardencheck.facts.probes.private_keys import PrivateKeysProbe
    from hardencheck.facts.probes.services import CleartextServicesProbe
    from hardencheck.facts.probes.tls_config import TlsConfigProbe

    return [PanScanProbe(), PrivateKeysProbe(), CleartextServicesProbe(), TlsConfigProbe(), CertificatesProbe(),
            AdvisoriesProbe(), AuthorizedKeysProbe(), CronProbe(), SuidFilesProbe(), WorldWritableProbe(),
            PackageIntegrityProbe()]


def _access_and_logging_probes() -> list[Probe]:
    """Accounts, MFA and sudo, logging, time, integrity and host firewall (issue 3)."""
    from hardencheck.facts.probes.audit_rules import AuditRulesProbe
    from hardencheck.facts.probes.auth_policy import AuthPolicyProbe
    from hardencheck.facts.probes.firewall import FirewallProbe
    from hardencheck.facts.probes.lastlog import LastlogProbe
    from hardencheck.facts.probes.logging import LoggingProbe
    from hardencheck.facts.probes.shell_timeout import ShellTimeoutProbe
    from hardencheck.facts.probes.sudoers import SudoersProbe
    from hardencheck.facts.probes.systemd_units import SystemdUnitsProbe
    from hardencheck.facts.probes.time_sync import TimeSyncProbe

    return [SystemdUnitsProbe(), SudoersProbe(), AuthPolicyProbe(), LastlogProbe(), ShellTimeoutProbe(),
            AuditRulesProbe(), LoggingProbe(), TimeSyncProbe(), FirewallProbe()]
