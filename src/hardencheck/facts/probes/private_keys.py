"""``private_keys``: private key files with their mode and owner, never their contents.

One bounded ``find`` over every existing key directory at once (``/etc/ssl/private``,
``/etc/ssh``, ``/etc/pki``, web and tunnel configs, the profile's ``paths``, then
every home's ``.ssh`` from /etc/passwd and ``/root/.ssh``; de-duplicated with shell
builtins only) lists candidate files by name, and one ``awk`` reads each candidate
(at most ``max_files``) and prints only the PEM/PuTTY header it found (``-----BEGIN
RSA PRIVATE KEY-----``) and whether the key is encrypted. Key material is never sent
back. The target starts three processes (sh, find, awk) whatever the number of
directories or files; the script runs under dash, bash and busybox sh/awk (``find``
must be GNU: ``-printf``).

A name with a newline in it is never opened or printed (``find`` prints a ``-`` line
for it, which only counts against ``max_files``), so a hostile name cannot forge a
line. The output is ``K`` lines (mode, owner, group, size, header, encrypted, path;
tab-separated, path last) and a final ``E<TAB>end`` line, without which the fact is
unavailable.
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
nl='
'
seen=$nl n=$#
for d in "$@"; do
  case $seen in *"$nl$d$nl"*) continue ;; esac
  seen=$seen$d$nl
  [ -d "$d" ] && set -- "$@" "$d"
done
if [ -r /etc/passwd ]; then
  while IFS=: read -r x x x x x h x || [ -n "$h" ]; do
    case $h in /*) ;; *) continue ;; esac
    d=$h/.ssh h=
    case $seen in *"$nl$d$nl"*) continue ;; esac
    seen=$seen$d$nl
    [ -d "$d" ] && set -- "$@" "$d"
  done </etc/passwd
fi
d=/root/.ssh
case $seen in *"$nl$d$nl"*) ;; *) [ -d "$d" ] && set -- "$@" "$d" ;; esac
shift "$n"
[ "$#" -gt 0 ] && find -H "$@" -xdev -maxdepth "$depth" -type f -size -1024k \( -name '*.key' -o -name '*.pem' \
    -o -name 'id_*' -o -name '*_key' -o -name '*.ppk' -o -name '*.p8' \) ! -name '*.pub' \
    \( -path "*$nl*" -printf '-\t%D:%i\n' -o -printf '%m\t%u\t%g\t%s\t%p\n' \) 2>/dev/null |
  LC_ALL=C awk -v max="$max" '
    seen[$0]++ { next }
    {
      if (++n > max + 0) exit
      if (substr($0, 1, 2) == "-\t") next
      p = $0
      for (i = 0; i < 4; i++) p = substr(p, index(p, "\t") + 1)
      h = ""; e = "no"
      while ((getline l < p) > 0) {
        if (h == "" && (index(l, "PRIVATE KEY-----") || index(l, "PuTTY-User-Key-File-"))) {
          a = match(l, /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/); al = RLENGTH
          b = match(l, /PuTTY-User-Key-File-[0-9]/)
          if (a && (!b || a < b)) h = substr(l, a, al)
          else if (b) h = substr(l, b, RLENGTH)
        }
        if (e == "no" && (index(l, "Proc-Type: 4,ENCRYPTED") || index(l, "BEGIN ENCRYPTED PRIVATE KEY") ||
            l ~ /^Encryption: aes/)) e = "yes"
        if (h != "" && e == "yes") break
      }
      close(p)
      if (h != "") print "K\t" substr($0, 1, length($0) - length(p)) h "\t" e "\t" p
    }'
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
        if cmd.truncated or not ("\n" + cmd.text.rstrip("\n")).endswith("\nE\tend"):
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
