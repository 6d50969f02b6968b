"""Remote services that send passwords or data in clear text, from their configuration files.

Services are named as a network scan names them (nmap service names, with
their default port and protocol), so the host's view and the network view of
the same weakness line up: ``telnet`` 23/tcp, ``shell`` (rsh) 514/tcp,
``login`` (rlogin) 513/tcp, ``exec`` (rexec) 512/tcp, ``ftp`` 21/tcp,
``tftp`` 69/udp, ``snmp`` 161/udp, ``vnc`` 5900/tcp.

Sources: inetd.conf (Debian's ``#<off>#`` disabled lines are comments),
xinetd.d blocks (enabled unless ``disable = yes``), snmpd.conf v1/v2c
communities (only well-known default communities are findings, and only
those are ever shown: a site's own community string is a secret),
vsftpd.conf without enforced TLS, TigerVNC security types without TLS.
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

#: nmap service name -> (port, protocol, what people call it)
CLEARTEXT: dict[str, tuple[int, str, str]] = {
    "telnet": (23, "tcp", "telnet"),
    "shell": (514, "tcp", "rsh"),
    "login": (513, "tcp", "rlogin"),
    "exec": (512, "tcp", "rexec"),
    "ftp": (21, "tcp", "ftp"),
    "tftp": (69, "udp", "tftp"),
    "snmp": (161, "udp", "snmp v1/v2c"),
    "vnc": (5900, "tcp", "vnc"),
}
_ALIASES = {"rsh": "shell", "rlogin": "login", "rexec": "exec", "telnetd": "telnet", "in.telnetd": "telnet",
            "in.rshd": "shell", "in.rlogind": "login", "in.rexecd": "exec", "in.ftpd": "ftp", "in.tftpd": "tftp"}
DEFAULT_COMMUNITIES = frozenset({"public", "private", "community", "snmp", "admin", "manager", "default",
                                 "secret", "cisco", "monitor", "read", "write", "all private"})
_SNMP_DIRECTIVES = {"rocommunity": 0, "rwcommunity": 0, "rocommunity6": 0, "rwcommunity6": 0,
                    "com2sec": 2, "com2sec6": 2, "com2secunix": 2}
_TLS_VNC = re.compile(r"^(TLS|X509)", re.IGNORECASE)


def _service(name: str) -> str | None:
    name = name.rsplit(":", 1)[-1].lower()
    name = _ALIASES.get(name, name)
    return name if name in CLEARTEXT else None


def _entry(service: str, via: str, source: str, line: int, detail: str, **extra: Any) -> dict[str, Any]:
    port, proto, common = CLEARTEXT[service]
    return {"service": service, "name": common, "port": port, "protocol": proto, "via": via, "file": source,
            "line": line, "detail": detail, **extra}


def _add(fact: ParsedFact, entries: list[dict[str, Any]], entry: dict[str, Any], shown: str) -> None:
    fact.locations[f"services/{len(entries)}"] = Location(entry["file"], entry["line"], excerpt(shown))
    entries.append(entry)


def parse_inetd(text: str, source: str, fact: ParsedFact, entries: list[dict[str, Any]]) -> None:
    """``service socktype proto wait user server args``; a port number or ``host:service`` is accepted."""
    for number, line in iter_lines(text, fact, source):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 6:
            warn(fact, f"{source}:{number}: not an inetd entry: {show(line)}")
            continue
        service = _service(fields[0]) or _service(fields[5].rsplit("/", 1)[-1]) or (
            _service(fields[6].rsplit("/", 1)[-1]) if len(fields) > 6 else None)
        if service is not None:
            _add(fact, entries, _entry(service, "inetd", source, number, f"{fields[0]} via {fields[5]}"), line)


def parse_xinetd(text: str, source: str, fact: ParsedFact, entries: list[dict[str, Any]]) -> None:
    """``service NAME { attr = value ... }`` blocks; enabled unless ``disable = yes``."""
    current: dict[str, Any] | None = None
    for number, line in iter_lines(text, fact, source):
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        if stripped.startswith("service ") and current is None:
            current = {"name": stripped.split(None, 1)[1].strip(), "line": number, "text": line, "attrs": {}}
        elif stripped == "{" or current is None:
            continue
        elif stripped == "}":
            attrs = current["attrs"]
            server = attrs.get("server", "").rsplit("/", 1)[-1]
            service = _service(current["name"]) or _service(server)
            if service is not None and attrs.get("disable", "no").lower() != "yes":
                _add(fact, entries, _entry(service, "xinetd", source, current["line"],
                                           f"xinetd service {current['name']} (disable = {attrs.get('disable', 'no')})"),
                     current["text"])
            current = None
        else:
            key, sep, value = stripped.partition("=")
            if sep:
                current["attrs"][key.strip().rstrip("+-").lower()] = value.strip()
    if current is not None:
        warn(fact, f"{source}:{current['line']}: service block not closed")


def parse_snmpd(text: str, source: str, fact: ParsedFact, entries: list[dict[str, Any]],
                communities: list[dict[str, Any]]) -> None:
    """v1/v2c communities; findings only for well-known default communities, whose names are shown."""
    for number, line in iter_lines(text, fact, source):
        fields = line.split()
        if not fields or fields[0].startswith("#") or fields[0].lower() not in _SNMP_DIRECTIVES:
            continue
        index = _SNMP_DIRECTIVES[fields[0].lower()]
        if len(fields) <= index + 1:
            warn(fact, f"{source}:{number}: {fields[0]} without a community")
            continue
        community = fields[index + 1].strip("\"'")
        default = community.lower() in DEFAULT_COMMUNITIES
        access = "rw" if fields[0].lower().startswith("rw") else "ro" if fields[0].lower().startswith("ro") else "map"
        shown = community if default else "<site community>"
        communities.append({"file": source, "line": number, "directive": fields[0], "community": shown,
                            "default_community": default, "access": access})
        if default:
            _add(fact, entries, _entry("snmp", "snmpd", source, number, f"{fields[0]} {shown} (SNMP v1/v2c)",
                                       community=shown, access=access),
                 f"{fields[0]} {community} " + " ".join(fields[index + 2:]))


def parse_vsftpd(text: str, source: str, fact: ParsedFact, entries: list[dict[str, Any]]) -> None:
    """vsftpd sends logins in clear text unless ``ssl_enable=YES`` and logins and data are forced onto TLS."""
    settings: dict[str, tuple[str, int, str]] = {}
    for number, text_line in iter_lines(text, fact, source):
        stripped = text_line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        key, _, value = stripped.partition("=")
        settings[key.strip().lower()] = (value.strip().upper(), number, stripped)
    ssl = settings.get("ssl_enable", ("NO", 0, ""))
    weak = [k for k in ("force_local_logins_ssl", "force_local_data_ssl") if settings.get(k, ("YES",))[0] == "NO"]
    if ssl[0] != "YES" or weak:
        at, shown = (ssl[1], ssl[2]) if ssl[1] else (1, "(ssl_enable not set: defaults to NO)")
        if ssl[0] == "YES":
            at, shown = settings[weak[0]][1], settings[weak[0]][2]
        port = settings.get("listen_port", ("21",))[0]
        _add(fact, entries, _entry("ftp", "vsftpd", source, at, "vsftpd without enforced TLS: " + shown,
                                   configured_port=int(port) if port.isdigit() else 21), shown)


def parse_tigervnc(text: str, source: str, fact: ParsedFact, entries: list[dict[str, Any]]) -> None:
    """TigerVNC ``$SecurityTypes = "VncAuth,TLSVnc";``: any type without TLS/X509 is clear text."""
    for number, line in iter_lines(text, fact, source):
        m = re.match(r"\s*\$SecurityTypes\s*=\s*['\"]([^'\"]*)['\"]", line)
        if not m:
            continue
        plain = [t for t in re.split(r"[,\s]+", m.group(1)) if t and not _TLS_VNC.match(t)]
        if plain:
            _add(fact, entries, _entry("vnc", "tigervnc", source, number,
                                       "VNC security types without TLS: " + ",".join(plain)), line)


def parse_services(read: Any, files: dict[str, list[str]]) -> ParsedFact:
    """``read(path) -> text | None``; ``files`` maps a kind (inetd, xinetd, snmpd, vsftpd, tigervnc) to paths."""
    fact = ParsedFact()
    entries: list[dict[str, Any]] = []
    communities: list[dict[str, Any]] = []
    read_files: list[str] = []
    for kind, paths in files.items():
        for path in paths:
            text = read(path)
            if text is None:
                continue
            read_files.append(path)
            if kind == "snmpd":
                parse_snmpd(text, path, fact, entries, communities)
            else:
                {"inetd": parse_inetd, "xinetd": parse_xinetd, "vsftpd": parse_vsftpd,
                 "tigervnc": parse_tigervnc}[kind](text, path, fact, entries)
    fact.data = {"services": entries, "snmp_communities": communities, "files_read": read_files}
    fact.locations["services"] = Location(read_files[0] if read_files else "(no service configuration)", None,
                                          excerpt(f"{len(entries)} cleartext service(s) in: {' '.join(read_files)}"))
    return fact
