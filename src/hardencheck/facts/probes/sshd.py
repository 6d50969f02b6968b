"""``sshd``: the SSH server's effective configuration.

``sshd -T`` is the truth where it can run (it applies Include, defaults and
the binary's own compiled-in values); the config files are still read so
each effective setting points at the line that set it. Where ``sshd -T``
cannot run (a config directory, an unprivileged login, a broken binary) the
files are parsed as sshd would, and the fact says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import to_int
from hardencheck.facts.parsers.sshd import locate_sshd_settings, parse_sshd_config, parse_sshd_t
from hardencheck.facts.probes.common import command_output
from hardencheck.facts.raw import CommandSpec, FileSpec, ProbeRequest, RawAnswers

MAIN = "/etc/ssh/sshd_config"
_CORE_KEYS = ("permitrootlogin", "ciphers", "passwordauthentication")

SSHD_T = CommandSpec("sshd_t", ("sshd", "-T"), timeout=15, max_bytes=256 * 1024)
"""``sshd -T``, shared with the ``authorized_keys`` probe: both declare this very spec, so the
collector runs it once per host whichever of the two asked first."""


class SshdProbe(Probe):
    name = "sshd"
    description = "Effective sshd settings (sshd -T, or sshd_config with Include and Match parsed as sshd does)."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(
            files=(FileSpec(MAIN), FileSpec("/etc/ssh/sshd_config.d/*.conf")),
            commands=(SSHD_T,),
        )

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        warnings: list[str] = []
        try:
            cmd = command_output(raw, "sshd_t")
        except FactUnavailable as exc:
            cmd, warnings = None, [exc.reason]
        if cmd is not None and cmd.exit_code == 0:
            fact = parse_sshd_t(cmd.text, cmd.label)
            if all(k in fact.data for k in _CORE_KEYS):
                locate_sshd_settings(fact, raw.text, raw.glob, MAIN)
                fact.data["effective_source"] = "sshd -T"
                fact.warnings[:0] = warnings
                _client_alive_timeout(fact)
                return fact
            warnings.append("`sshd -T` printed no usable configuration; parsing the config files instead")
        elif cmd is not None:
            warnings.append(f"`sshd -T` exited {cmd.exit_code}; parsing the config files instead")
        if raw.text(MAIN) is None:
            f = raw.file(MAIN)
            raise FactUnavailable(f"{MAIN} is {f.status if f else 'not collected'} and `sshd -T` gave nothing usable")
        fact = parse_sshd_config(raw.text, raw.glob, MAIN)
        fact.data["effective_source"] = "config files"
        fact.warnings[:0] = warnings
        _client_alive_timeout(fact)
        return fact


def _client_alive_timeout(fact: ParsedFact) -> None:
    """``client_alive_timeout_seconds`` = ClientAliveInterval x ClientAliveCountMax (checks cannot multiply).

    0 means sshd never drops an unresponsive session (either factor 0); unset when a factor is not a number.
    """
    interval, count = (to_int(str(fact.data.get(k, ""))) for k in ("clientaliveinterval", "clientalivecountmax"))
    if interval is None or count is None:
        return
    fact.data["client_alive_timeout_seconds"] = max(interval, 0) * max(count, 0)
    where = fact.locations.get("clientaliveinterval") or fact.locations.get("clientalivecountmax")
    if where is not None:
        fact.locations["client_alive_timeout_seconds"] = where
