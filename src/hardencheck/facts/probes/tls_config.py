"""``tls_config``: protocol versions and cipher strings that nginx, Apache and stunnel are configured with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.tlsconf import parse_tls_configs
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

FILES: dict[str, tuple[str, ...]] = {
    "nginx": ("/etc/nginx/nginx.conf", "/etc/nginx/conf.d/*.conf", "/etc/nginx/sites-enabled/*"),
    "apache": ("/etc/apache2/apache2.conf", "/etc/apache2/mods-enabled/ssl.conf", "/etc/apache2/sites-enabled/*",
               "/etc/apache2/conf-enabled/*", "/etc/httpd/conf/httpd.conf", "/etc/httpd/conf.d/*.conf"),
    "stunnel": ("/etc/stunnel/*.conf",),
}


class TlsConfigProbe(Probe):
    name = "tls_config"
    description = "TLS protocol versions and cipher strings set in nginx, Apache httpd and stunnel configuration."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=1024 * 1024) for ps in FILES.values() for p in ps))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        files: dict[str, list[str]] = {}
        for server, patterns in FILES.items():
            files[server] = [p for pat in patterns for p in (raw.glob(pat) if "*" in pat else [pat])]
            for path in files[server]:
                f = raw.file(path)
                if f is not None and f.status in ("unreadable", "incomplete"):
                    raise FactUnavailable(f"{path} is {f.status}: its TLS settings are unknown")
        return parse_tls_configs(raw.text, files)
