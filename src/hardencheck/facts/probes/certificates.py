"""``certificates``: local and service certificates (key size, signature hash, validity).

Certificates are looked for where a store's servers keep their own: regular
``*.pem``/``*.crt`` files in /etc/ssl/certs (the CA bundle links that
ca-certificates installs are skipped), the files nginx, Apache and stunnel
name in their configuration (``ssl_certificate``, ``SSLCertificateFile``,
``cert =``), and the profile's ``paths``. The target sends the PEM text with
any private-key block cut out (``sed``); parsing happens here, with
``cryptography``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean
from hardencheck.facts.parsers.certs import parse_certificate_files
from hardencheck.facts.probes._pipeline import frames, nonce, option_paths, sh_command
from hardencheck.facts.probes.common import command_output, unsupported
from hardencheck.facts.raw import ProbeRequest, RawAnswers

_SCRIPT = r"""
n=$1
shift
{
  for f in /etc/ssl/certs/*.pem /etc/ssl/certs/*.crt; do
    case $f in */ca-certificates.crt|*/ca-bundle.crt) continue ;; esac
    [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\n' "$f"
  done
  cat /etc/nginx/nginx.conf /etc/nginx/conf.d/*.conf /etc/nginx/sites-enabled/* /etc/apache2/sites-enabled/* \
      /etc/apache2/mods-enabled/ssl.conf /etc/httpd/conf/httpd.conf /etc/httpd/conf.d/*.conf /etc/stunnel/*.conf \
      2>/dev/null | tr -d "\"';" | sed -n \
      -e 's/^[[:space:]]*ssl_certificate[[:space:]][[:space:]]*\([^[:space:]]*\).*/\1/p' \
      -e 's/^[[:space:]]*[Ss][Ss][Ll][Cc]ertificate\(Chain\)*[Ff]ile[[:space:]][[:space:]]*\([^[:space:]]*\).*/\2/p' \
      -e 's/^[[:space:]]*cert[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p'
  for p in "$@"; do
    if [ -d "$p" ]; then
      find -H "$p" -maxdepth 1 -type f \( -name '*.pem' -o -name '*.crt' \) 2>/dev/null
    else
      printf '%s\n' "$p"
    fi
  done
} | grep '^/' | awk '!seen[$0]++' | head -n 300 | while IFS= read -r f; do
  if [ -f "$f" ] && [ -r "$f" ]; then
    printf '\n@@%s:file:%s\n' "$n" "$f"
    head -c 262144 -- "$f" | sed '/-----BEGIN[A-Z ]*PRIVATE KEY-----/,/-----END[A-Z ]*PRIVATE KEY-----/d'
  else
    printf '\n@@%s:missing:%s\n' "$n" "$f"
  fi
done
printf '\n@@%s:end:\n' "$n"
"""


class CertificatesProbe(Probe):
    name = "certificates"
    description = ("Certificates of local services (non-bundle files in /etc/ssl/certs, nginx/Apache/stunnel "
                   "certificate files, profile paths): key size, signature hash, validity.")

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
        for header, body in parts[:-1]:
            kind, _, path = header.partition(":")
            if kind == "file":
                files.append((clean(path), body))
            elif kind == "missing":
                missing.append(clean(path))
        fact = parse_certificate_files(files)
        fact.data["missing_files"] = missing
        for path in missing:
            fact.warnings.append(f"{path} is named in a TLS configuration but is not a readable file")
        return fact
