"""Installed packages from dpkg, rpm and apk, in one shape.

Every format yields ``data["packages"] = [{name, version, arch,
source_package, status}]`` plus ``data["format"]``, so a vulnerability check
can compare versions without caring which distribution it is on (the
comparison rules per format are the check's business; versions are kept
exactly as the package manager wrote them, epoch included).

dpkg's status file is parsed by hand rather than with python-debian's deb822:
we need the line number of each ``Package:`` for evidence, and a stanza
parser small enough to audit for hostile input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

_FIELD = re.compile(r"([!-9;-~][!-9;-~]*):[ \t]?(.*)")
INSTALLED_STATES = frozenset({"installed"})
"""dpkg's third Status word; ``hold ok installed`` counts (held packages are often the stale ones)."""


def parse_dpkg_status(text: str, source: str = "/var/lib/dpkg/status") -> ParsedFact:
    """Installed packages from /var/lib/dpkg/status (``Status: <want> <flag> installed``)."""
    fact = ParsedFact()
    packages: list[dict[str, Any]] = []
    skipped = 0
    for stanza in _stanzas(text, fact, source):
        name_line = stanza.get("package")
        if name_line is None:
            warn(fact, f"{source}:{stanza['_start'][1]}: stanza without a Package field skipped")
            continue
        status = stanza.get("status", ("", 0))[0]
        words = status.split()
        if len(words) != 3 or words[2] not in INSTALLED_STATES:
            skipped += 1
            continue
        name = name_line[0]
        source_field = stanza.get("source", (name, 0))[0]
        package = {
            "name": name,
            "version": stanza.get("version", (None, 0))[0],
            "arch": stanza.get("architecture", (None, 0))[0],
            "source_package": source_field.split(" ", 1)[0] or name,
            "status": status,
        }
        if package["version"] is None:
            warn(fact, f"{source}:{name_line[1]}: package {show(name)} has no Version")
        fact.locations[f"packages/{len(packages)}"] = Location(
            source, name_line[1], excerpt(f"Package: {name}")
        )
        packages.append(package)
    fact.data = {"format": "dpkg", "packages": packages, "not_installed": skipped}
    return fact


def _stanzas(text: str, fact: ParsedFact, source: str) -> Iterator[dict[str, Any]]:
    """RFC 822-style paragraphs: ``{lower-case field: (value, line)}`` plus ``_start``.

    Continuation lines (leading space/tab) extend the previous field's value.
    """
    stanza: dict[str, Any] = {}
    last: str | None = None
    for number, line in iter_lines(text, fact, source):
        if not line.strip():
            if stanza:
                yield stanza
            stanza, last = {}, None
            continue
        if line[0] in " \t":
            if last is None:
                warn(fact, f"{source}:{number}: continuation line outside a field skipped")
            else:
                value, at = stanza[last]
                stanza[last] = (f"{value}\n{line.strip()}", at)
            continue
        if line.startswith("#"):
            continue
        match = _FIELD.fullmatch(line)
        if match is None:
            warn(fact, f"{source}:{number}: not a field: {show(line)}")
            last = None
            continue
        last = match.group(1).lower()
        stanza.setdefault("_start", ("", number))
        if last in stanza:
            warn(fact, f"{source}:{number}: field {show(match.group(1))} repeated; first one kept")
            last = None
            continue
        stanza[last] = (match.group(2).strip(), number)
    if stanza:
        yield stanza


def parse_rpm_qa(text: str, source: str = "cmd:rpm -qa") -> ParsedFact:
    """``rpm -qa --qf '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n'`` output."""
    fact = ParsedFact()
    packages: list[dict[str, Any]] = []
    for number, line in iter_lines(text, fact, source):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            fields = line.split()
        if len(fields) != 3 or not all(f.strip() for f in fields):
            warn(fact, f"{source}:{number}: expected NAME, EPOCH:VERSION-RELEASE, ARCH: {show(line)}")
            continue
        name, version, arch = (f.strip() for f in fields)
        fact.locations[f"packages/{len(packages)}"] = Location(source, number, excerpt(line))
        packages.append(
            {
                "name": name,
                "version": version,
                "arch": None if arch == "(none)" else arch,
                "source_package": None,
                "status": "installed",
            }
        )
    fact.data = {"format": "rpm", "packages": packages}
    return fact


def parse_apk_installed(text: str, source: str = "/lib/apk/db/installed") -> ParsedFact:
    """Alpine's installed database: ``P:`` name, ``V:`` version, ``A:`` arch, ``o:`` origin."""
    fact = ParsedFact()
    packages: list[dict[str, Any]] = []
    current: dict[str, Any] = {}

    def flush() -> None:
        if not current:
            return
        if "P" not in current:
            warn(fact, f"{source}:{current['_line']}: entry without P: skipped")
            return
        name, line = current["P"]
        fact.locations[f"packages/{len(packages)}"] = Location(source, line, excerpt(f"P:{name}"))
        packages.append(
            {
                "name": name,
                "version": current.get("V", (None,))[0],
                "arch": current.get("A", (None,))[0],
                "source_package": current.get("o", (name,))[0],
                "status": "installed",
            }
        )

    for number, line in iter_lines(text, fact, source):
        if not line.strip():
            flush()
            current = {}
            continue
        if len(line) < 2 or line[1] != ":":
            warn(fact, f"{source}:{number}: not an apk field: {show(line)}")
            continue
        current.setdefault("_line", number)
        if line[0] in "PVAo" and line[0] not in current:
            current[line[0]] = (line[2:].strip(), number)
    flush()
    fact.data = {"format": "apk", "packages": packages}
    return fact
