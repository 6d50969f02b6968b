"""``cleartext_services``: telnet, r-services, ftp, tftp, SNMP v1/v2c and VNC configured without encryption."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.services import parse_services
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

FILES: dict[str, tuple[str, ...]] = {
    "inetd": ("/etc/inetd.conf",),
    "xinetd": ("/etc/xinetd.conf", "/etc/xinetd.d/*"),
    "snmpd": ("/etc/snmp/snmpd.conf", "/etc/snmp/snmpd.conf.d/*.conf"),
    "vsftpd": ("/etc/vsftpd.conf", "/etc/vsftpd/vsftpd.conf"),
    "tigervnc": ("/etc/tigervnc/vncserver-config-defaults", "/etc/tigervnc/vncserver-config-mandatory"),
}


class CleartextServicesProbe(Probe):
    name = "cleartext_services"
    description = ("Remote services configured to run without encryption (inetd/xinetd telnet, rsh, rlogin, "
                   "ftp, tftp; vsftpd without TLS; SNMP v1/v2c default communities; VNC without TLS).")

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=1024 * 1024) for ps in FILES.values() for p in ps))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        files: dict[str, list[str]] = {}
        for kind, patterns in FILES.items():
            files[kind] = [p for pat in patterns for p in (raw.glob(pat) if "*" in pat else [pat])]
            for path in files[kind]:
                f = raw.file(path)
                if f is not None and f.status in ("unreadable", "incomplete"):
                    raise FactUnavailable(f"{path} is {f.status}: cannot tell whether it enables a cleartext service")
        return parse_services(raw.text, files)
