"""``time_sync``: NTP clients (chrony, ntpd/ntpsec, systemd-timesyncd), their servers, and which start at boot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import Probe
from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers.time_sync import parse_ntp_style, parse_timesyncd, record
from hardencheck.facts.probes._scope import nothing_configured
from hardencheck.facts.probes.common import read_texts
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

WANTS = "/etc/systemd/system"
CLIENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "chrony": {"files": ("/etc/chrony/chrony.conf", "/etc/chrony.conf", "/etc/chrony/conf.d/*.conf",
                         "/etc/chrony/sources.d/*.sources"),
               "units": ("multi-user.target.wants/chrony.service", "multi-user.target.wants/chronyd.service")},
    "ntp": {"files": ("/etc/ntpsec/ntp.conf", "/etc/ntp.conf"),
            "units": ("multi-user.target.wants/ntpsec.service", "multi-user.target.wants/ntp.service",
                      "multi-user.target.wants/ntpd.service")},
    "timesyncd": {"files": ("/etc/systemd/timesyncd.conf", "/etc/systemd/timesyncd.conf.d/*.conf"),
                  "units": ("sysinit.target.wants/systemd-timesyncd.service",)},
}


class TimeSyncProbe(Probe):
    name = "time_sync"
    description = "Configured time servers of chrony, ntpd/ntpsec and systemd-timesyncd, and which is enabled."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        paths = [p for c in CLIENTS.values() for p in c["files"]]
        paths += [f"{WANTS}/{u}" for c in CLIENTS.values() for u in c["units"]]
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=256 * 1024) for p in paths))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        fact = ParsedFact()
        clients: list[dict[str, Any]] = []
        for name, spec in CLIENTS.items():
            files = read_texts(raw, spec["files"])
            units = [f"{WANTS}/{u}" for u in spec["units"]]
            enabled_by = next((u for u in units if (f := raw.file(u)) is not None and f.status == "ok"), None)
            if not files and enabled_by is None:
                continue
            prefix = f"clients/{len(clients)}"
            fallback: list[dict[str, Any]] = []
            if name == "timesyncd":
                servers, fallback = parse_timesyncd(files, fact)
            else:
                servers = parse_ntp_style(files, fact)
            client = {"name": name, "config_files": [p for p, _ in files], "enabled": enabled_by is not None,
                      "enabled_by": enabled_by, "servers": record(fact, f"{prefix}/servers", servers),
                      "fallback_servers": record(fact, f"{prefix}/fallback_servers", fallback)}
            where = (fact.locations.get(f"{prefix}/servers/0") or
                     (Location(files[0][0], None, "(no server configured)") if files else
                      Location(enabled_by or "", None, "(enabled, no configuration file)")))
            fact.locations[prefix] = where
            clients.append(client)
        if not clients:
            nothing_configured(raw, "chrony, ntpd/ntpsec or systemd-timesyncd configuration")
            fact.locations["clients"] = Location(CLIENTS["chrony"]["files"][0], None, "(no NTP client configured)")
        else:
            fact.locations["clients"] = fact.locations["clients/0"]
        fact.data = {"clients": clients,
                     "synchronised_by": [c["name"] for c in clients if c["enabled"] and c["servers"]]}
        return fact
