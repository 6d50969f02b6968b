"""``logging``: whether logs leave the host (syslog forwarding) and how long rotated logs are kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import Probe
from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers.logging import (
    parse_journal_upload,
    parse_logrotate,
    parse_rsyslog,
    parse_syslog_ng,
)
from hardencheck.facts.probes._scope import nothing_configured
from hardencheck.facts.probes.common import read_texts
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

RSYSLOG = ("/etc/rsyslog.conf", "/etc/rsyslog.d/*.conf")
SYSLOG_NG = ("/etc/syslog-ng/syslog-ng.conf", "/etc/syslog-ng/conf.d/*.conf")
JOURNAL_UPLOAD = ("/etc/systemd/journal-upload.conf", "/etc/systemd/journal-upload.conf.d/*.conf")
UPLOAD_ENABLED = "/etc/systemd/system/multi-user.target.wants/systemd-journal-upload.service"
LOGROTATE = "/etc/logrotate.conf"
LOGROTATE_D = "/etc/logrotate.d"


class LoggingProbe(Probe):
    name = "logging"
    description = ("Log forwarding (rsyslog, syslog-ng, systemd-journal-upload) and logrotate retention per log "
                   "file.")

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        paths = [*RSYSLOG, *SYSLOG_NG, *JOURNAL_UPLOAD, UPLOAD_ENABLED, LOGROTATE, f"{LOGROTATE_D}/*"]
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=512 * 1024) for p in paths))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        fact = ParsedFact()
        rsyslog = read_texts(raw, RSYSLOG)
        syslog_ng = read_texts(raw, SYSLOG_NG)
        upload = read_texts(raw, JOURNAL_UPLOAD)
        rotate = read_texts(raw, (LOGROTATE, f"{LOGROTATE_D}/*"))
        if not (rsyslog or syslog_ng or upload or rotate):
            nothing_configured(raw, "rsyslog, syslog-ng, journal-upload or logrotate configuration")
        enabled = raw.file(UPLOAD_ENABLED)
        forwarding = [
            *(parse_rsyslog(rsyslog, fact) if rsyslog and rsyslog[0][0] == RSYSLOG[0] else []),
            *(parse_syslog_ng(syslog_ng, fact) if syslog_ng and syslog_ng[0][0] == SYSLOG_NG[0] else []),
            *parse_journal_upload(upload, enabled is not None and enabled.status == "ok", fact),
        ]
        for index, entry in enumerate(forwarding):
            fact.locations[f"forwarding/{index}"] = Location(entry["source"], entry["line"], entry.pop("excerpt"))
        if forwarding:
            fact.locations["forwarding"] = fact.locations["forwarding/0"]
        else:
            main = (rsyslog or syslog_ng or upload or rotate or [(RSYSLOG[0], "")])[0][0]
            fact.locations["forwarding"] = Location(main, None, "(no forwarding to a log server configured)")
        rotation = parse_logrotate(dict(rotate), LOGROTATE, LOGROTATE_D, fact) if rotate else []
        fact.data = {
            "daemons": [name for name, files in (("rsyslog", rsyslog), ("syslog-ng", syslog_ng),
                                                 ("journal-upload", upload)) if files],
            "forwarding": forwarding,
            "forwards_remotely": any(f["remote"] and f["active"] for f in forwarding),
            "rotation": rotation,
            "logrotate_files": [p for p, _ in rotate],
        }
        return fact
