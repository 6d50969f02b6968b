"""TLS settings of nginx, Apache httpd and stunnel: which protocol versions and ciphers they allow.

Every explicit setting becomes an entry with the file and line that made it,
so a finding points at the line to change. Protocol settings are resolved the
way each server reads them:

* nginx ``ssl_protocols`` lists exactly the enabled versions;
* Apache ``SSLProtocol`` works left to right, ``all`` (SSLv3 to TLSv1.3),
  ``+X`` adds, ``-X`` removes, a bare ``X`` replaces the set (mod_ssl);
* stunnel ``sslVersion`` (one version or ``all``), ``sslVersionMin``/``Max``
  and ``options = NO_TLSv1``-style removals, global settings inherited by
  every ``[service]`` section.

Cipher strings are OpenSSL's: ``!X``/``-X`` exclude X, ``+X`` reorders, ``@``
tokens are directives. ``enabled_ciphers`` keeps what is left, for checks to
match against their list of weak names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

VERSIONS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_CANON = {v.lower(): v for v in VERSIONS} | {"tlsv1.0": "TLSv1", "tls1": "TLSv1", "tls1.1": "TLSv1.1",
                                             "tls1.2": "TLSv1.2", "tls1.3": "TLSv1.3", "ssl3": "SSLv3"}
_NGINX = re.compile(r"^\s*(ssl_protocols|ssl_ciphers|proxy_ssl_protocols|proxy_ssl_ciphers)\s+([^;#]*);?")
_APACHE = re.compile(r"^\s*(SSLProtocol|SSLProxyProtocol|SSLCipherSuite|SSLProxyCipherSuite)\s+(.*?)\s*$", re.IGNORECASE)
_STUNNEL = re.compile(r"^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")


def _version(token: str) -> str | None:
    return _CANON.get(token.strip().strip("\"'").lower())


def enabled_ciphers(value: str) -> list[str]:
    """The tokens of an OpenSSL cipher string that are not excluded.

    ``!X``/``-X`` removes X and every suite that has X as a component
    (``!RC4`` removes ``RC4-SHA``; ``!3DES`` removes ``DES-CBC3-SHA``).
    """
    tokens = [t for t in re.split(r"[:,\s]+", value.strip().strip("\"'")) if t]
    excluded = {t[1:].upper() for t in tokens if t[:1] in "!-" and len(t) > 1}

    def removed(token: str) -> bool:
        parts = set(token.upper().split("-"))
        return token.upper() in excluded or bool(parts & excluded) or (
            "3DES" in excluded and "DES-CBC3" in token.upper())

    return list(dict.fromkeys(t.lstrip("+") for t in tokens
                              if t[:1] not in "!-@" and t.lstrip("+") and not removed(t.lstrip("+"))))


def apache_protocols(value: str) -> list[str]:
    enabled: set[str] = set()
    for token in value.split():
        sign, name = (token[0], token[1:]) if token[:1] in "+-" else ("=", token)
        versions = set(VERSIONS[1:]) if name.lower() == "all" else {v for v in [_version(name)] if v}
        if sign == "+":
            enabled |= versions
        elif sign == "-":
            enabled -= versions
        else:
            enabled = set(versions)
    return [v for v in VERSIONS if v in enabled]


def _entry(fact: ParsedFact, out: list[dict[str, Any]], kind: str, server: str, source: str, line: int,
           text: str, setting: str, value: str, **extra: Any) -> None:
    entry = {"kind": kind, "server": server, "file": source, "line": line, "setting": setting,
             "value": value[:500], **extra}
    fact.locations[f"settings/{len(out)}"] = Location(source, line, excerpt(text))
    out.append(entry)


def parse_nginx(text: str, source: str, fact: ParsedFact, out: list[dict[str, Any]]) -> None:
    for number, line in iter_lines(text, fact, source):
        m = _NGINX.match(line)
        if not m:
            continue
        setting, value = m.group(1), m.group(2).strip()
        if setting.endswith("protocols"):
            protocols = [v for v in (_version(t) for t in value.split()) if v]
            unknown = [t for t in value.split() if not _version(t)]
            if unknown:
                warn(fact, f"{source}:{number}: unknown protocol name(s) {show(' '.join(unknown))}")
            _entry(fact, out, "protocols", "nginx", source, number, line, setting, value, protocols=protocols)
        else:
            _entry(fact, out, "ciphers", "nginx", source, number, line, setting, value,
                   enabled_ciphers=enabled_ciphers(value))


def parse_apache(text: str, source: str, fact: ParsedFact, out: list[dict[str, Any]]) -> None:
    for number, line in iter_lines(text, fact, source):
        if line.lstrip().startswith("#"):
            continue
        m = _APACHE.match(line)
        if not m:
            continue
        setting, value = m.group(1), m.group(2).strip().strip("\"'")
        if setting.lower().endswith("protocol"):
            _entry(fact, out, "protocols", "apache", source, number, line, setting, value,
                   protocols=apache_protocols(value))
        else:
            parts = value.split()
            cipher_string = parts[-1] if len(parts) == 2 and parts[0].upper() in ("SSL", "TLSV1.3") else value
            _entry(fact, out, "ciphers", "apache", source, number, line, setting, value,
                   enabled_ciphers=enabled_ciphers(cipher_string))


def parse_stunnel(text: str, source: str, fact: ParsedFact, out: list[dict[str, Any]]) -> None:
    sections: list[tuple[str, dict[str, list[tuple[str, int, str]]]]] = [("global", {})]
    for number, line in iter_lines(text, fact, source):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            sections.append((stripped[1:-1].strip(), {}))
            continue
        m = _STUNNEL.match(stripped)
        if m:
            sections[-1][1].setdefault(m.group(1).lower(), []).append((m.group(2), number, line))
    global_settings = sections[0][1]
    targets = sections[1:] or sections[:1]
    for name, own in targets:
        merged = {**global_settings, **own} if name != "global" else own
        _stunnel_protocols(fact, out, source, name, merged,
                           own.get("options", []) + (global_settings.get("options", []) if name != "global" else []))
        for value, number, line in merged.get("ciphers", []):
            _entry(fact, out, "ciphers", "stunnel", source, number, line, "ciphers", value, section=name,
                   enabled_ciphers=enabled_ciphers(value))


def _stunnel_protocols(fact: ParsedFact, out: list[dict[str, Any]], source: str, section: str,
                       settings: dict[str, list[tuple[str, int, str]]], options: list[tuple[str, int, str]]) -> None:
    where: tuple[str, int, str] | None = None
    enabled = set(VERSIONS[1:])
    if "sslversion" in settings:
        value, number, line = settings["sslversion"][-1]
        v = _version(value)
        enabled = set(VERSIONS[1:]) if value.lower() == "all" else ({v} if v else set())
        where = (value, number, line)
    low = settings.get("sslversionmin", [None])[-1]
    high = settings.get("sslversionmax", [None])[-1]
    for bound, keep in ((low, lambda i, b: i >= b), (high, lambda i, b: i <= b)):
        if bound is not None:
            b = _version(bound[0])
            if b:
                enabled = {v for v in enabled if keep(VERSIONS.index(v), VERSIONS.index(b))}
            where = where or bound
    for value, number, line in options:
        m = re.fullmatch(r"NO_(SSLv2|SSLv3|TLSv1(?:_[123])?)", value.strip(), re.IGNORECASE)
        if m:
            v = _version(m.group(1).replace("_", "."))
            enabled.discard(v or "")
            where = where or (value, number, line)
    if where is not None:
        _entry(fact, out, "protocols", "stunnel", source, where[1], where[2], "sslVersion/options", where[0],
               section=section, protocols=[v for v in VERSIONS if v in enabled])


def parse_tls_configs(read: Callable[[str], str | None], files: dict[str, list[str]]) -> ParsedFact:
    """``files`` maps a server (nginx, apache, stunnel) to the config files it reads."""
    fact = ParsedFact()
    out: list[dict[str, Any]] = []
    parsers = {"nginx": parse_nginx, "apache": parse_apache, "stunnel": parse_stunnel}
    seen: list[str] = []
    for server, paths in files.items():
        for path in paths:
            text = read(path)
            if text is None:
                continue
            seen.append(path)
            parsers[server](text, path, fact, out)
    fact.data = {"settings": out, "files_read": seen}
    fact.locations["settings"] = Location(seen[0] if seen else "(no TLS server configuration)", None,
                                          excerpt(f"{len(out)} TLS setting(s) in: {' '.join(seen)}"))
    return fact
