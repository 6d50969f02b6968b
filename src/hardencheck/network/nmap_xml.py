"""A defensive parser for nmap's XML output (``-oX``), one host at a time.

nmap writes each ``<host>`` element whole when it has finished that host, so the
stream is cut at ``</host>`` and each host is parsed on its own: results can be
handed on while nmap still scans the rest, a garbled host costs only itself, and
every host keeps the exact bytes it was parsed from (hashed for the evidence).

Everything inside a host element comes from the network (banners, certificate
names, page titles) and is untrusted: text is kept as data, never interpreted,
sizes and nesting are capped, and a document that declares entities is refused.
Script output keeps its structure (``<table>``/``<elem>`` become dicts and
lists), which python-nmap's dictionaries lose.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 64 * 1024
"""Longest script output or attribute kept (ssl-enum-ciphers on a busy port is a few KiB)."""
MAX_DEPTH = 12
MAX_ITEMS = 5000
"""Cap on ports per host and on items in one script's structured output."""
MAX_BUFFER = 64 * 1024 * 1024
"""A host element bigger than this is not nmap talking; the stream is abandoned."""

_HOST_START = re.compile(rb"<host[\s>]")
_HOST_END = b"</host>"
_INVALID_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NMAPRUN = re.compile(rb"<nmaprun\s[^>]*>")
_SCANINFO = re.compile(rb"<scaninfo\s[^>]*/>")
_RUNSTATS = re.compile(rb"<runstats>.*?</runstats>", re.DOTALL)


class NmapXmlError(ValueError):
    """The XML could not be understood at all (not nmap output, or cut off before any host)."""


@dataclass(frozen=True)
class Service:
    """nmap's ``<service>``: the name from version detection (``method=probed``) or its port table."""

    name: str = ""
    product: str = ""
    version: str = ""
    extrainfo: str = ""
    tunnel: str = ""
    method: str = ""
    conf: int = 0
    ostype: str = ""
    devicetype: str = ""
    cpes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Script:
    """One NSE script's result: its text output and the structure nmap gave it."""

    id: str
    output: str
    data: Any = None


@dataclass(frozen=True)
class Port:
    proto: str
    port: int
    state: str
    reason: str = ""
    service: Service = field(default_factory=Service)
    scripts: dict[str, Script] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.port}/{self.proto}"


@dataclass(frozen=True)
class ExtraPorts:
    """Ports nmap summarised instead of listing (``<extraports state="closed" count="994">``)."""

    state: str
    count: int


@dataclass(frozen=True)
class HostScan:
    """One host as nmap reported it, with the raw bytes of its ``<host>`` element."""

    address: str
    state: str
    reason: str = ""
    timed_out: bool = False
    ports: tuple[Port, ...] = ()
    extraports: tuple[ExtraPorts, ...] = ()
    hostscripts: dict[str, Script] = field(default_factory=dict)
    started: int | None = None
    ended: int | None = None
    hostnames: tuple[str, ...] = ()
    xml: bytes = b""
    warnings: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.xml).hexdigest()

    def port(self, port: int, proto: str = "tcp") -> Port | None:
        return next((p for p in self.ports if p.port == port and p.proto == proto), None)


@dataclass(frozen=True)
class RunInfo:
    """The ``<nmaprun>`` header and, once nmap has finished, its ``<runstats>``."""

    args: str = ""
    version: str = ""
    start: int | None = None
    scan_types: tuple[str, ...] = ()
    finished: bool = False
    exit: str = ""
    errormsg: str = ""
    elapsed: float | None = None


def _cap(text: str | None, limit: int = MAX_TEXT) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


def _int(value: str | None, default: int | None = None) -> int | None:
    if value is None or not re.fullmatch(r"\s*-?\d{1,12}\s*", value):
        return default
    return int(value)


def _sanitize(chunk: bytes) -> bytes:
    """Drop bytes XML 1.0 forbids (nmap escapes them, but a bug or a hostile build might not)."""
    return _INVALID_XML.sub(b"", chunk)


def _fromstring(chunk: bytes) -> ET.Element:
    if b"<!ENTITY" in chunk:
        raise NmapXmlError("refusing XML that declares entities")
    try:
        return ET.fromstring(chunk)
    except ET.ParseError:
        return ET.fromstring(_sanitize(chunk))


def script_data(elem: ET.Element, depth: int = 0, budget: list[int] | None = None) -> Any:
    """``<table>``/``<elem>`` children as data: keyed children make a dict, unkeyed a list.

    A table with both (rare) keeps the unkeyed items under ``"_items"``.
    """
    budget = budget if budget is not None else [MAX_ITEMS]
    children = [c for c in elem if c.tag in ("table", "elem")]
    if not children:
        return _cap(elem.text) if elem.tag == "elem" else ({} if elem.tag == "table" else None)
    keyed: dict[str, Any] = {}
    items: list[Any] = []
    for child in children:
        if budget[0] <= 0:
            break
        budget[0] -= 1
        if depth >= MAX_DEPTH:
            value: Any = _cap("".join(child.itertext()), 1024)
        elif child.tag == "elem":
            value = _cap(child.text)
        else:
            value = script_data(child, depth + 1, budget)
        key = child.get("key")
        if key is None:
            items.append(value)
        elif key not in keyed:
            keyed[_cap(key, 256)] = value
    if keyed and items:
        keyed["_items"] = items
        return keyed
    return keyed if keyed else items


def _script(elem: ET.Element) -> Script:
    return Script(id=_cap(elem.get("id"), 128), output=_cap(elem.get("output")), data=script_data(elem))


def _service(elem: ET.Element | None) -> Service:
    if elem is None:
        return Service()
    return Service(
        name=_cap(elem.get("name"), 256), product=_cap(elem.get("product"), 1024),
        version=_cap(elem.get("version"), 1024), extrainfo=_cap(elem.get("extrainfo"), 1024),
        tunnel=_cap(elem.get("tunnel"), 64), method=_cap(elem.get("method"), 32), conf=_int(elem.get("conf"), 0) or 0,
        ostype=_cap(elem.get("ostype"), 256), devicetype=_cap(elem.get("devicetype"), 256),
        cpes=tuple(_cap(c.text, 512) for c in elem.findall("cpe")[:32]),
    )


def parse_host(chunk: bytes) -> HostScan:
    """Parse one ``<host>...</host>`` element; raises :class:`NmapXmlError` if it is not one."""
    try:
        root = _fromstring(chunk)
    except ET.ParseError as exc:
        raise NmapXmlError(f"unparseable host element ({exc})") from exc
    if root.tag != "host":
        raise NmapXmlError(f"expected <host>, got <{root.tag[:40]}>")
    warnings: list[str] = []
    address = ""
    for a in root.findall("address"):
        if a.get("addrtype") in ("ipv4", "ipv6"):
            address = _cap(a.get("addr"), 64)
            break
    status = root.find("status")
    ports: list[Port] = []
    extraports: list[ExtraPorts] = []
    ports_elem = root.find("ports")
    if ports_elem is not None:
        for pe in ports_elem:
            if pe.tag == "extraports":
                extraports.append(ExtraPorts(_cap(pe.get("state"), 32), _int(pe.get("count"), 0) or 0))
                continue
            if pe.tag != "port":
                continue
            if len(ports) >= MAX_ITEMS:
                warnings.append(f"more than {MAX_ITEMS} ports reported; the rest were ignored")
                break
            number = _int(pe.get("portid"))
            if number is None or not 0 <= number <= 65535:
                warnings.append(f"port element with invalid portid {pe.get('portid')!r:.40} ignored")
                continue
            state = pe.find("state")
            scripts = {s.id: s for s in map(_script, pe.findall("script"))}
            ports.append(Port(proto=_cap(pe.get("protocol"), 16) or "tcp", port=number,
                              state=_cap(state.get("state"), 32) if state is not None else "unknown",
                              reason=_cap(state.get("reason"), 64) if state is not None else "",
                              service=_service(pe.find("service")), scripts=scripts))
    hostscript = root.find("hostscript")
    hostscripts = {s.id: s for s in map(_script, hostscript.findall("script"))} if hostscript is not None else {}
    hostnames = tuple(_cap(h.get("name"), 256) for h in root.findall("hostnames/hostname")[:16])
    return HostScan(
        address=address,
        state=_cap(status.get("state"), 32) if status is not None else "unknown",
        reason=_cap(status.get("reason"), 64) if status is not None else "",
        timed_out=root.get("timedout") == "true",
        ports=tuple(ports), extraports=tuple(extraports), hostscripts=hostscripts,
        started=_int(root.get("starttime")), ended=_int(root.get("endtime")),
        hostnames=hostnames, xml=chunk, warnings=tuple(warnings),
    )


def parse_runinfo(header: bytes, tail: bytes = b"") -> RunInfo:
    """The run's header (``<nmaprun>``, ``<scaninfo>``) and, if ``tail`` has it, ``<runstats>``."""
    args = version = ""
    start: int | None = None
    m = _NMAPRUN.search(header)
    if m:
        try:
            run = _fromstring(m.group(0)[:-1].rstrip(b"/") + b"/>")
            args, version, start = _cap(run.get("args"), 8192), _cap(run.get("version"), 32), _int(run.get("start"))
        except (ET.ParseError, NmapXmlError):
            pass
    types: list[str] = []
    for s in _SCANINFO.finditer(header):
        try:
            info = _fromstring(s.group(0))
            types.append(f"{_cap(info.get('type'), 32)}/{_cap(info.get('protocol'), 16)}")
        except (ET.ParseError, NmapXmlError):
            continue
    finished, exit_status, errormsg, elapsed = False, "", "", None
    r = _RUNSTATS.search(tail)
    if r:
        try:
            fin = _fromstring(r.group(0)).find("finished")
        except (ET.ParseError, NmapXmlError):
            fin = None
        if fin is not None:
            finished, exit_status, errormsg = True, _cap(fin.get("exit"), 32), _cap(fin.get("errormsg"), 4096)
            try:
                elapsed = float(fin.get("elapsed") or "")
            except ValueError:
                elapsed = None
    return RunInfo(args=args, version=version, start=start, scan_types=tuple(types), finished=finished,
                   exit=exit_status, errormsg=errormsg, elapsed=elapsed)


class NmapStream:
    """Feed nmap's stdout as it arrives; complete hosts come out as soon as nmap writes them.

    ``header`` holds everything before the first host (for :func:`parse_runinfo`), ``tail``
    what followed the last one (``<runstats>``); hosts that fail to parse are reported as
    ``(None, error)`` so the caller can say which part of the output was bad.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.header = b""
        self._seen_host = False
        self.failed = ""

    def feed(self, data: bytes) -> Iterator[tuple[HostScan | None, str]]:
        if self.failed:
            return
        self._buf += data
        while True:
            start = _HOST_START.search(self._buf)
            if start is None:
                break
            if not self._seen_host:
                self.header = bytes(self._buf[: start.start()])
                self._seen_host = True
            end = self._buf.find(_HOST_END, start.start())
            if end < 0:
                del self._buf[: start.start()]
                break
            chunk = bytes(self._buf[start.start(): end + len(_HOST_END)])
            del self._buf[: end + len(_HOST_END)]
            try:
                yield parse_host(chunk), ""
            except NmapXmlError as exc:
                yield None, str(exc)
        if len(self._buf) > MAX_BUFFER:
            self.failed = f"a host element exceeded {MAX_BUFFER} bytes; the rest of nmap's output was ignored"
            self._buf.clear()

    def close(self) -> RunInfo:
        """Everything after the last host; returns the run's header and runstats."""
        rest = bytes(self._buf)
        if not self._seen_host:
            self.header = rest
        return parse_runinfo(self.header, rest)


def parse_document(xml: bytes) -> tuple[RunInfo, list[HostScan], list[str]]:
    """A whole ``-oX`` file at once (recorded output, tests): run info, hosts, per-host errors."""
    stream = NmapStream()
    hosts: list[HostScan] = []
    errors: list[str] = []
    for host, err in stream.feed(xml):
        if host is not None:
            hosts.append(host)
        else:
            errors.append(err)
    info = stream.close()
    if not info.version and not hosts:
        raise NmapXmlError("no nmaprun header and no host: not nmap XML output")
    return info, hosts, errors
