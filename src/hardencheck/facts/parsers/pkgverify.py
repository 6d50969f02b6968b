"""``dpkg --verify`` / ``rpm -V`` output: package files whose content no longer matches the database.

Both print one line per file that differs, ``??5??????   /usr/bin/passwd``
(dpkg, rpm-compatible format) or ``S.5....T.  c /etc/foo`` (rpm): nine
attribute characters where ``5`` means the digest differs, an optional file
attribute (``c`` = configuration file, expected to change), then the path;
``missing`` replaces the attributes for a deleted file. dpkg's warnings about
packages without a file list are kept: those packages could not be verified.
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import clean, excerpt, iter_lines, show, warn
from hardencheck.facts.parsers.pan import mask_digits

_LINE = re.compile(r"^(missing|[?.SM5DLUGTPF]{8,9})\s+(?:([cdglr])\s+)?(/.*)$")
_NO_LIST = re.compile(r"files list file for package '([^']+)' missing")
_NO_SUMS = re.compile(r"package '?([^' ]+)'? has no (?:md5sums|checksums)")
MAX_ENTRIES = 5000


def parse_verify(text: str, source: str) -> ParsedFact:
    """Tagged output: ``I<TAB>pkg`` installed packages asked for, ``N<TAB>pkg`` without checksums,
    ``A<TAB>all`` when the whole database was verified, plus the tool's own lines."""
    fact = ParsedFact()
    entries: list[dict[str, Any]] = []
    installed: list[str] = []
    unverifiable: list[str] = []
    scope = "packages"
    for number, line in iter_lines(text, fact, source):
        if not line.strip():
            continue
        tag, _, rest = line.partition("\t")
        if tag == "I" and rest:
            installed.append(clean(rest))
            continue
        if tag == "N" and rest:
            unverifiable.append(clean(rest))
            continue
        if tag == "A":
            scope = "all"
            continue
        if tag == "E":
            continue
        m = _LINE.match(line.strip())
        if m:
            attrs, kind, path = m.group(1), m.group(2), m.group(3)
            if len(entries) >= MAX_ENTRIES:
                warn(fact, f"more than {MAX_ENTRIES} differing files; the rest were not listed")
                continue
            entry = {"path": clean(mask_digits(path)), "attributes": attrs, "missing": attrs == "missing",
                     "digest_changed": attrs != "missing" and len(attrs) >= 3 and attrs[2] == "5",
                     "conffile": kind == "c"}
            fact.locations[f"changed/{len(entries)}"] = Location(source, number, excerpt(line))
            entries.append(entry)
            continue
        nolist = _NO_LIST.search(line) or _NO_SUMS.search(line)
        if nolist:
            unverifiable.append(clean(nolist.group(1)))
        elif "warning" not in line.lower():
            warn(fact, f"{source}:{number}: unexpected output {show(line)}")
    fact.data = {"changed": entries, "packages": installed, "unverifiable": sorted(set(unverifiable)),
                 "scope": scope}
    fact.locations["packages"] = Location(source, None, excerpt(
        f"verified {'every package' if scope == 'all' else ', '.join(installed)}"))
    fact.locations["changed"] = fact.locations["packages"]
    return fact
