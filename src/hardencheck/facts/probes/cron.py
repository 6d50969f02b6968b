"""``cron``: scheduled jobs from every crontab, anacrontab and run-parts script directory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.cron import parse_cron
from hardencheck.facts.probes._pipeline import sh_command
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

SYSTEM = ("/etc/crontab", "/etc/cron.d/*")
USER = ("/var/spool/cron/crontabs/*", "/var/spool/cron/*")
ANACRON = ("/etc/anacrontab",)
SCRIPTS = ("/etc/cron.hourly/*", "/etc/cron.daily/*", "/etc/cron.weekly/*", "/etc/cron.monthly/*")
#: Spool directories are mode 1730: without root, their files are simply not listed. Say so instead.
_SPOOL_CHECK = r"""
for d in /var/spool/cron/crontabs /var/spool/cron; do
  [ -d "$d" ] || continue
  if [ -r "$d" ] && [ -x "$d" ]; then printf 'readable %s\n' "$d"; else printf 'unreadable %s\n' "$d"; fi
done
"""


class CronProbe(Probe):
    name = "cron"
    description = "Cron jobs (/etc/crontab, /etc/cron.d, user crontabs, anacrontab, run-parts scripts) with PATH."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=512 * 1024)
                                        for p in (*SYSTEM, *USER, *ANACRON, *SCRIPTS)),
                            commands=(sh_command("cron_spool", _SPOOL_CHECK, timeout=5, max_bytes=4096,
                                                        inline=True),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        def expand(patterns: tuple[str, ...]) -> list[str]:
            out = [p for pat in patterns for p in (raw.glob(pat) if "*" in pat else [pat])]
            for path in out:
                f = raw.file(path)
                if f is not None and f.status in ("unreadable", "incomplete"):
                    raise FactUnavailable(f"{path} is {f.status} (run as root or with --sudo): its jobs are unknown")
            return [p for p in out if not p.endswith("/.placeholder")]

        spool = raw.command("cron_spool")
        if spool is not None and spool.status == "ok":
            blocked = [ln.split(" ", 1)[1] for ln in spool.text.splitlines() if ln.startswith("unreadable ")]
            if blocked:
                raise FactUnavailable(f"{', '.join(blocked)} cannot be listed (run as root or with --sudo): "
                                      "user crontabs are unknown")
        return parse_cron(raw.text, expand(SYSTEM), expand(USER), expand(ANACRON), expand(SCRIPTS))
