"""``certificates``: local and service certificates (key size, signature hash, validity).

Certificates are looked for where a store's servers keep their own: regular
``*.pem``/``*.crt`` files in /etc/ssl/certs (the CA bundle links that
ca-certificates installs are skipped), the files nginx, Apache and stunnel
name in their configuration (``ssl_certificate``, ``SSLCertificateFile``,
``cert =``), and the profile's ``paths`` (a directory: its ``*.pem``/``*.crt``
files, one level deep). The target sends the PEM text (first 256 KiB of each
of at most 300 files) with any private-key block cut out there; parsing
happens here, with ``cryptography``.

The script runs on every audited host, so it starts few processes: the file
lists are shell globs and ``test`` builtins, one ``awk`` reads the web-server
and stunnel configuration (only when one of those files exists), and one
``awk`` de-duplicates, caps, reads every file and drops the lines from a
``-----BEGIN ... PRIVATE KEY-----`` line to its ``-----END`` line (the range
``sed '/BEGIN/,/END/d'`` deletes) before anything is printed. Only regular
files are read (``test -f``): a FIFO or device named in a configuration is
reported as missing, never opened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean, warn
from hardencheck.facts.parsers.certs import parse_certificate_files
from hardencheck.facts.probes._pipeline import frames, nonce, option_paths, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

MAX_FILES = 300
"""Files the script sends at most (it de-duplicates the candidates, then keeps the first 300)."""
MAX_PATH = 4096

_SCRIPT = r"""
n=$1
shift
LC_ALL=C
export LC_ALL
nl='
'
# candidates, in order: "f/path" (a readable regular file) or "m/path" (anything else), one a line;
# the last awk de-duplicates them and keeps the first 300. A name with a newline is cut there (as a
# line-based list always did). Every source stops at 300 entries: a later one could never be kept.
t() {
  if [ -f "$1" ] && [ -r "$1" ]; then L=$L"f$1$nl"; else L=$L"m$1$nl"; fi
}
L=
for p in "$@"; do
  if [ -d "$p" ]; then
    d=${p%/} m=0
    for f in "$d"/* "$d"/.*; do
      case $f in *.pem|*.crt) ;; *) continue ;; esac
      [ -L "$f" ] || [ ! -f "$f" ] || [ $((m=m+1)) -gt 300 ] || t "${f%%"$nl"*}"
    done
  else
    t "$p"
  fi
done
O=$L L= m=0
for f in /etc/ssl/certs/*.pem /etc/ssl/certs/*.crt; do
  case $f in */ca-certificates.crt|*/ca-bundle.crt) continue ;; esac
  [ -L "$f" ] || [ ! -f "$f" ] || [ $((m=m+1)) -gt 300 ] || t "${f%%"$nl"*}"
done
set --
for f in /etc/nginx/nginx.conf /etc/nginx/conf.d/*.conf /etc/nginx/sites-enabled/* \
    /etc/apache2/sites-enabled/* /etc/apache2/mods-enabled/ssl.conf /etc/httpd/conf/httpd.conf \
    /etc/httpd/conf.d/*.conf /etc/stunnel/*.conf; do
  [ -f "$f" ] && [ -r "$f" ] && set -- "$@" "$f"
done
if [ $# -gt 0 ]; then
  # quotes and semicolons dropped, then the three patterns applied in turn, each to what the
  # previous one left (as sed -n -e s/../p -e s/../p -e s/../p does)
  c=$(awk '
    function o(s) {
      if (s ~ /^\// && length(s) < 4096 && !(s in u) && k < 300) { u[s]; k++; print s }
    }
    function v(s) { match(s, /^[^ \t\n\v\f\r]*/); return substr(s, 1, RLENGTH) }
    { s = $0
      gsub(/["'"'"';]/, "", s)
      if (match(s, /^[ \t\n\v\f\r]*ssl_certificate[ \t\n\v\f\r]+/)) {
        s = v(substr(s, RSTART + RLENGTH)); o(s) }
      if (match(s, /^[ \t\n\v\f\r]*[Ss][Ss][Ll][Cc]ertificate(Chain)*[Ff]ile[ \t\n\v\f\r]+/)) {
        s = v(substr(s, RSTART + RLENGTH)); o(s) }
      if (match(s, /^[ \t\n\v\f\r]*cert[ \t\n\v\f\r]*=[ \t\n\v\f\r]*/)) {
        s = v(substr(s, RSTART + RLENGTH)); o(s) } }
  ' "$@")
  IFS=$nl
  set -f
  for f in $c; do t "$f"; done
  set +f
  unset IFS
fi
# each file: its first 262144 bytes, without the lines from a BEGIN ... PRIVATE KEY line to the next
# END ... PRIVATE KEY line (to the end of the file if there is none)
exec awk '
  BEGIN { n = ARGV[1]; ARGV[1] = ""; cap = 262144 }
  { k = substr($0, 1, 1); p = substr($0, 2) }
  p == "" || (p in u) || c >= 300 { next }
  { u[p]; c++ }
  k != "f" { printf "\n@@%s:missing:%s\n", n, p; next }
  { printf "\n@@%s:file:%s\n", n, p
    b = 0; key = 0
    while (b < cap && (getline x < p) > 0) {
      l = length(x) + 1
      if (b + l > cap) x = substr(x, 1, cap - b)
      b += l
      if (key) { if (x ~ /-----END[A-Z ]*PRIVATE KEY-----/) key = 0 }
      else if (x ~ /-----BEGIN[A-Z ]*PRIVATE KEY-----/) key = 1
      else print x
    }
    close(p) }
  END { printf "\n@@%s:end:\n", n }
' "$n" <<EOF
$L$O
EOF
"""


class CertificatesProbe(Probe):
    name = "certificates"
    description = ("Certificates of local services (non-bundle files in /etc/ssl/certs, nginx/Apache/stunnel "
                   "certificate files, profile paths): key size, signature hash, validity.")
    pure = False  # days_left is counted to the auditor's clock at parse time

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(commands=(sh_command("certificates", _SCRIPT, [nonce(), *option_paths(options, ())],
                                                 timeout=20, max_bytes=8 * 1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        if unsupported(raw, "certificates"):
            raise FactUnavailable("certificates are collected by a command, which a configuration directory "
                                  "cannot run", not_applicable=True)
        cmd = command_output(raw, "certificates")
        if cmd is None:
            raise FactUnavailable("sh is not available on the target")
        marker = cmd.argv[4]
        parts = frames(cmd.text, marker)
        if not parts or parts[-1][0] != "end:" or cmd.truncated:
            raise FactUnavailable("the certificate listing did not run to the end")
        files, missing = [], []
        for header, body in parts[:-1][:MAX_FILES]:
            kind, _, path = header.partition(":")
            if kind == "file":
                files.append((clean(path[:MAX_PATH]), body))
            elif kind == "missing":
                missing.append(clean(path[:MAX_PATH]))
        fact = parse_certificate_files(files)
        fact.data["missing_files"] = missing
        if len(parts) - 1 > MAX_FILES:  # the script never sends more: the target is not telling the truth
            warn(fact, f"more than {MAX_FILES} files in the certificate listing; the rest were ignored")
        for path in missing:
            warn(fact, f"{path} is named in a TLS configuration but is not a readable file")
        return fact
