"""``package_integrity``: package files whose checksum no longer matches the package database.

By default only the packages whose programs an audit (and every admin login)
relies on are verified, which takes a fraction of a second: the SSH server
and client, sudo, login and passwd, PAM, and the tools this audit's own
commands run (coreutils, findutils, grep, sed, mawk, dash, util-linux,
iproute2, procps, dpkg). ``packages`` replaces that list; ``all: true``
verifies every installed package (``dpkg --verify`` / ``rpm -Va``: minutes
on a big host). A package without checksums in the database is reported as
unverifiable rather than silently passing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.pkgverify import parse_verify
from hardencheck.facts.probes._pipeline import option_int, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

CRITICAL_PACKAGES = ("openssh-server", "openssh-client", "sudo", "login", "passwd", "libpam-modules",
                     "libpam-modules-bin", "libpam-runtime", "coreutils", "findutils", "grep", "sed", "mawk",
                     "dash", "bash", "util-linux", "iproute2", "procps", "dpkg", "openssh", "openssh-clients",
                     "pam", "shadow-utils", "rpm")
_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]{0,100}$")

_SCRIPT = r"""
if command -v dpkg >/dev/null 2>&1 && [ -d /var/lib/dpkg/info ]; then
  if [ "$1" = "--all" ]; then
    printf 'A\tall\n'
    dpkg --verify 2>&1
  else
    pkgs=$(dpkg-query -W -f='${binary:Package} ${db:Status-Status}\n' -- "$@" 2>/dev/null \
           | awk '$2 == "installed" { print $1 }')
    for p in $pkgs; do
      printf 'I\t%s\n' "$p"
      b=${p%%:*}
      [ -f "/var/lib/dpkg/info/$p.md5sums" ] || [ -f "/var/lib/dpkg/info/$b.md5sums" ] || printf 'N\t%s\n' "$p"
    done
    [ -z "$pkgs" ] || dpkg --verify $pkgs 2>&1
  fi
elif command -v rpm >/dev/null 2>&1; then
  if [ "$1" = "--all" ]; then
    printf 'A\tall\n'
    rpm -Va 2>&1
  else
    for p in "$@"; do rpm -q --quiet -- "$p" 2>/dev/null && printf 'I\t%s\n' "$p"; done
    pkgs=$(for p in "$@"; do rpm -q --quiet -- "$p" 2>/dev/null && printf '%s\n' "$p"; done)
    [ -z "$pkgs" ] || rpm -V $pkgs 2>&1
  fi
else
  printf 'X\tno package manager\n'
fi
printf 'E\tend\n'
"""


class PackageIntegrityProbe(Probe):
    name = "package_integrity"
    description = ("Package files changed since installation (dpkg --verify / rpm -V), for the packages an "
                   "audit relies on or, with all: true, for every package.")

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        if options.get("all"):
            args = ["--all"]
            timeout = option_int(options, "timeout", 600, 5, 7200)
        else:
            args = [p for p in options.get("packages", CRITICAL_PACKAGES) if isinstance(p, str) and _NAME.match(p)]
            timeout = option_int(options, "timeout", 60, 5, 7200)
        return ProbeRequest(commands=(sh_command("package_integrity", _SCRIPT, args, timeout=timeout,
                                                 max_bytes=4 * 1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "package_integrity"):
            raise FactUnavailable("package files are verified by a command, which a configuration directory "
                                  "cannot run", not_applicable=True)
        cmd = command_output(raw, "package_integrity")
        if cmd is None:
            raise FactUnavailable("sh is not available on the target")
        if "E\tend" not in cmd.text or cmd.truncated:
            raise FactUnavailable("package verification did not run to the end")
        if "X\tno package manager" in cmd.text:
            raise FactUnavailable("neither dpkg nor rpm is installed: package files cannot be verified")
        fact = parse_verify(cmd.text, "cmd:package_integrity")
        if fact.data["scope"] == "packages" and not fact.data["packages"]:
            raise FactUnavailable("none of the packages to verify is installed")
        for pkg in fact.data["unverifiable"]:
            fact.warnings.append(f"package {pkg} has no checksums in the package database: it was not verified")
        return fact
