"""``private_keys``: private key files with their mode and owner, never their contents.

A bounded ``find`` over the usual key directories (``/etc/ssl/private``,
``/etc/ssh``, ``/etc/pki``, web and tunnel configs, every home's ``.ssh``
from /etc/passwd, plus the profile's ``paths``) lists candidate files by
name; for each one ``grep -o`` prints only the PEM header line (``-----BEGIN
RSA PRIVATE KEY-----``) if there is one. Key material is never sent back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers.filemodes import parse_listing
from hardencheck.facts.probes._pipeline import option_int, option_paths, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

DEFAULT_PATHS = ("/etc/ssl/private", "/etc/ssh", "/etc/pki", "/etc/nginx", "/etc/apache2", "/etc/httpd",
                 "/etc/stunnel", "/opt/pos")

_SCRIPT = r"""
depth=$1 max=$2
shift 2
tab=$(printf '\t')
{
  for p in "$@"; do [ -e "$p" ] && printf '%s\n' "$p"; done
  awk -F: 'NF >= 6 && $6 ~ /^\// { print $6 "/.ssh" }' /etc/passwd 2>/dev/null
  printf '/root/.ssh\n'
} | awk '!seen[$0]++' | while IFS= read -r dir; do
  [ -d "$dir" ] || continue
  find -H "$dir" -xdev -maxdepth "$depth" -type f -size -1024k \( -name '*.key' -o -name '*.pem' \
    -o -name 'id_*' -o -name '*_key' -o -name '*.ppk' -o -name '*.p8' \) ! -name '*.pub' \
    -printf '%m\t%u\t%g\t%s\t%p\0' 2>/dev/null | tr '\n\0' '?\n'
done | awk '!seen[$0]++' | head -n "$max" | while IFS="$tab" read -r m u g s p; do
  h=$(grep -a -o -m 1 -e '-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----' -e 'PuTTY-User-Key-File-[0-9]' -- "$p" 2>/dev/null \
      | head -n 1)
  [ -n "$h" ] || continue
  e=no
  grep -a -q -m 1 -e 'Proc-Type: 4,ENCRYPTED' -e 'BEGIN ENCRYPTED PRIVATE KEY' -e '^Encryption: aes' -- "$p" \
    2>/dev/null && e=yes
  printf 'K\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$u" "$g" "$s" "$h" "$e" "$p"
done
printf 'E\tend\n'
"""

_FIELDS = ("mode", "owner", "group", "size", "header", "encrypted")


class PrivateKeysProbe(Probe):
    name = "private_keys"
    description = "Private key files (PEM/OpenSSH/PuTTY headers) with mode and owner; key material never read back."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        args = [str(option_int(options, "max_depth", 4, 1, 32)), str(option_int(options, "max_files", 2000, 1, 100_000)),
                *option_paths(options, DEFAULT_PATHS)]
        return ProbeRequest(commands=(sh_command("private_keys", _SCRIPT, args, timeout=30, max_bytes=1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "private_keys"):
            raise FactUnavailable("key files are found by a command, which a configuration directory cannot run",
                                  not_applicable=True)
        cmd = command_output(raw, "private_keys")
        if cmd is None:
            raise FactUnavailable("sh is not available on the target")
        if "E\tend" not in cmd.text or cmd.truncated:
            raise FactUnavailable("the key-file search did not run to the end")
        fact, entries = parse_listing(cmd.text, "cmd:private_keys", _FIELDS, tag="K")
        for e in entries:
            e["kind"] = e.pop("header").replace("-----BEGIN ", "").replace("-----", "").strip()
            e["encrypted"] = e["encrypted"] == "yes"
        fact.data = {"keys": entries}
        fact.locations = {k.replace("entries/", "keys/"): v for k, v in fact.locations.items()}
        fact.locations["keys"] = Location("cmd:private_keys", None, f"{len(entries)} private key file(s) found under "
                                          + " ".join(option_paths(options, DEFAULT_PATHS)) + " and ~/.ssh")
        return fact
