"""``authorized_keys``: every user's SSH authorized keys, with SHA256 fingerprints.

Where sshd looks comes from ``sshd -T`` (``authorizedkeysfile``), else the
first AuthorizedKeysFile line of sshd_config and its drop-ins, else sshd's
default ``.ssh/authorized_keys .ssh/authorized_keys2``. The ``%h``, ``%u``,
``%U`` and ``%%`` tokens are expanded for each account of /etc/passwd (and
/root), relative paths taken from the home directory, as sshd does. Match
blocks and AuthorizedKeysCommand are not evaluated (the fact says which
setting was used).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean
from hardencheck.facts.parsers.authorized_keys import parse_authorized_keys
from hardencheck.facts.probes._pipeline import frames, nonce, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

_SCRIPT = r"""
n=$1
akf=$(sshd -T 2>/dev/null | sed -n 's/^authorizedkeysfile[[:space:]][[:space:]]*//p' | head -n 1)
src=sshd-T
if [ -z "$akf" ]; then
  akf=$(cat /etc/ssh/sshd_config.d/*.conf /etc/ssh/sshd_config 2>/dev/null \
        | sed -n 's/^[[:space:]]*[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Ee][Dd][Kk][Ee][Yy][Ss][Ff][Ii][Ll][Ee][[:space:]=][[:space:]]*//p' \
        | head -n 1)
  src=sshd_config
fi
[ -n "$akf" ] || { akf='.ssh/authorized_keys .ssh/authorized_keys2'; src=default; }
printf '\n@@%s:akf:%s:%s\n' "$n" "$src" "$akf"
tab=$(printf '\t')
{ cat /etc/passwd 2>/dev/null; printf 'root:x:0:0::/root:/bin/sh\n'; } | awk -F: -v akf="$akf" '
  function sub_all(s, from, to,   out, i) {
    out = ""
    while ((i = index(s, from)) > 0) { out = out substr(s, 1, i - 1) to; s = substr(s, i + length(from)) }
    return out s
  }
  NF >= 6 && $6 ~ /^\// {
    n = split(akf, pats, /[ \t]+/)
    for (k = 1; k <= n; k++) {
      p = pats[k]
      if (p == "" || p == "none") continue
      p = sub_all(p, "%%", "\001"); p = sub_all(p, "%h", $6); p = sub_all(p, "%u", $1); p = sub_all(p, "%U", $3)
      p = sub_all(p, "\001", "%")
      if (p !~ /^\//) p = $6 "/" p
      if (!(p in seen)) { seen[p] = 1; print $1 "\t" p }
    }
  }' | head -n 20000 | while IFS="$tab" read -r u f; do
  d=${f%/*}
  if [ -f "$f" ]; then
    if [ -r "$f" ]; then
      printf '\n@@%s:file:%s:%s\n' "$n" "$u" "$f"
      head -c 262144 -- "$f"
    else
      printf '\n@@%s:unreadable:%s:%s\n' "$n" "$u" "$f"
    fi
  else
    for x in "$d" "${d%/*}"; do
      if [ -d "$x" ] && ! [ -x "$x" ]; then printf '\n@@%s:unreadable:%s:%s\n' "$n" "$u" "$x"; break; fi
    done
  fi
done
printf '\n@@%s:end:\n' "$n"
"""


class AuthorizedKeysProbe(Probe):
    name = "authorized_keys"
    description = "SSH authorized_keys entries of every account (AuthorizedKeysFile expanded), with SHA256 fingerprints."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(commands=(sh_command("authorized_keys", _SCRIPT, [nonce()], timeout=30,
                                                 max_bytes=8 * 1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "authorized_keys"):
            raise FactUnavailable("home directories are searched by a command, which a configuration directory "
                                  "cannot run", not_applicable=True)
        cmd = command_output(raw, "authorized_keys")
        if cmd is None:
            raise FactUnavailable("sh is not available on the target")
        parts = frames(cmd.text, cmd.argv[4])
        if not parts or parts[-1][0] != "end:" or cmd.truncated:
            raise FactUnavailable("the authorized_keys search did not run to the end")
        akf, akf_source, files, blocked = "", "default", [], []
        for header, body in parts[:-1]:
            kind, _, rest = header.partition(":")
            if kind == "akf":
                akf_source, _, akf = rest.partition(":")
            elif kind == "file":
                user, _, path = rest.partition(":")
                files.append((user, clean(path), body))
            elif kind == "unreadable":
                blocked.append(clean(rest.partition(":")[2]))
        if blocked:
            raise FactUnavailable(f"{len(blocked)} authorized_keys location(s) cannot be read (e.g. {blocked[0]}): "
                                  "scan as root or with --sudo")
        fact = parse_authorized_keys(files, akf, f"AuthorizedKeysFile ({clean(akf_source)})")
        fact.data["authorized_keys_file_source"] = clean(akf_source)
        return fact
