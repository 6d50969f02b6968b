"""Defensive text handling shared by every parser.

Everything a parser reads comes from a host that may be compromised, so the
helpers here decide once how hostile text is cut into lines, how a line is
shown back to a human (excerpts and warnings), and how many complaints one
input may produce. Parsers then only deal with clean ``(number, line)`` pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hardencheck.facts.model import ParsedFact

MAX_LINE = 65536
"""Lines longer than this are skipped: no legitimate config line is that long."""

MAX_WARNINGS = 200
"""A garbage input must not turn into megabytes of warnings."""

EXCERPT_MAX = 300

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_HASH = re.compile(r"\$(y|gy|7|6|5|1|2[abxy]|md5|sha1)\$[^\s:]*")
_HASH_NAMES = {
    "y": "yescrypt",
    "gy": "gost-yescrypt",
    "7": "scrypt",
    "6": "sha512",
    "5": "sha256",
    "1": "md5",
    "md5": "md5",
    "sha1": "unknown",
}


def as_text(raw: Any) -> str:
    """Coerce whatever a transport handed over into ``str``.

    Bytes are decoded leniently because a parser must not raise on binary
    garbage; ``None`` (file absent) becomes the empty string.
    """
    if raw is None:
        return ""
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8", errors="replace")
    return raw if isinstance(raw, str) else str(raw)


def warn(fact: ParsedFact, message: str) -> None:
    """Record a warning once, capping the total so hostile input cannot flood a report."""
    if message in fact.warnings:
        return
    if len(fact.warnings) < MAX_WARNINGS:
        fact.warnings.append(message)
    elif len(fact.warnings) == MAX_WARNINGS:
        fact.warnings.append("further warnings suppressed")


def redact(text: str) -> str:
    """Replace anything shaped like a crypt(3) hash, so evidence never leaks one."""
    return _HASH.sub(lambda m: f"<redacted:{hash_name(m.group(1))}>", text)


def hash_name(prefix: str) -> str:
    """Name the crypt(3) scheme for a ``$prefix$`` identifier."""
    if prefix.startswith("2"):
        return "bcrypt"
    return _HASH_NAMES.get(prefix, "unknown")


def clean(text: str) -> str:
    """Make text safe to show: control characters (ANSI escapes, NUL) become ``\\xNN``."""
    text = text.replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def excerpt(line: str) -> str:
    """The evidence form of a line: stripped, hashes redacted, controls escaped, capped."""
    return clean(redact(line.strip()))[:EXCERPT_MAX]


def show(text: str, limit: int = 60) -> str:
    """A short, quoted, safe rendering of untrusted text for a warning message."""
    shown = clean(redact(text))
    if len(shown) > limit:
        shown = shown[:limit] + "..."
    return repr(shown)


def iter_lines(raw: Any, fact: ParsedFact, source: str) -> Iterator[tuple[int, str]]:
    """Yield ``(1-based number, line)`` the way C config readers see a file.

    Only ``\\n`` ends a line (``splitlines`` would also split on form feeds
    and Unicode separators, which C parsers do not); a trailing ``\\r`` is
    dropped so CRLF files read like LF files. Text after a NUL is ignored, as
    ``strlen`` would, and absurdly long lines are skipped; both are warned.
    """
    text = as_text(raw)
    if not text:
        return
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if "\x00" in line:
            warn(fact, f"{source}:{number}: NUL byte, rest of line ignored")
            line = line.split("\x00", 1)[0]
        if len(line) > MAX_LINE:
            warn(fact, f"{source}:{number}: line of {len(line)} characters skipped")
            continue
        yield number, line


def to_int(value: str | None) -> int | None:
    """Parse a decimal integer field, ``None`` when absent or malformed."""
    if value is None:
        return None
    value = value.strip()
    if not value or not re.fullmatch(r"[+-]?\d{1,18}", value):
        return None
    return int(value)
