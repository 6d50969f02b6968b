"""Last line of defence for secrets, and escaping for terminals.

Parsers already drop password hashes and mask card numbers; this pass runs
over everything a host result holds before it is written anywhere, so a
parser bug or a hash sitting in an unexpected file still never reaches
results, logs, reports or the store.
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import FactRecord, Location
from hardencheck.facts.parsers.pan import luhn_ok, mask

_CRYPT = re.compile(r"\$(?:1|2[abxy]?|5|6|y|gy|7|sha1|md5)\$[./A-Za-z0-9$=,+-]{8,}")
# Card numbers start with 2 (Mastercard 2221-2720, Mir), 3-6 (Amex, Visa, Mastercard, Discover, JCB,
# UnionPay, Maestro) or 8 (RuPay); a leading 1 or 9 is left alone (millisecond timestamps, IDs).
_PAN = re.compile(r"(?<![0-9])(?:[2-68](?:[ -]?[0-9]){12,18})(?![0-9])")
_HEX = frozenset("0123456789abcdefABCDEF")
#: A digit run inside a hex token this long is part of a hash (sha256, md5, UUID without dashes),
#: not a card number; shorter hex neighbours (``ID4111...``, ``card:A4111...``) do not protect it.
_HASH_TOKEN = 32
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def mask_pan(digits: str) -> str:
    """First six and last four, as PCI DSS 3.4.1 allows to display."""
    return mask(digits[:6], digits[-4:], len(digits))


def _in_hash(text: str, start: int, end: int) -> bool:
    while start > 0 and text[start - 1] in _HEX:
        start -= 1
    while end < len(text) and text[end] in _HEX:
        end += 1
    return end - start >= _HASH_TOKEN


def _mask_pans(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", m.group(0))
        if not (13 <= len(digits) <= 19 and luhn_ok(digits)) or _in_hash(text, m.start(), m.end()):
            return m.group(0)
        return mask_pan(digits)

    return _PAN.sub(repl, text)


_MAYBE_PAN = re.compile(r"[0-9](?:[ -]?[0-9]){12}")


def redact_text(text: str) -> str:
    if "$" in text:
        text = _CRYPT.sub("<redacted:hash>", text)
    if _MAYBE_PAN.search(text):  # one C-level scan; most strings stop here
        text = _mask_pans(text)
    return text


def redact(value: Any) -> Any:
    """Recursively redact every string (keys included) of a JSON-able value."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_text(k) if isinstance(k, str) else k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def terminal_safe(text: str, limit: int = 500) -> str:
    """Escape control characters (ANSI sequences included) before anything from a target hits a terminal."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
    return text if len(text) <= limit else text[:limit] + "…"


def redact_record(rec: FactRecord) -> FactRecord:
    """Scrub one fact record in place (data, warnings, locations, sources, reason) and mark it done."""
    if rec.redacted:
        return rec
    rec.fact.data = redact(rec.fact.data)
    rec.fact.warnings = redact(rec.fact.warnings)
    rec.fact.locations = {redact_text(k): Location(redact_text(v.source), v.line, redact_text(v.excerpt))
                          for k, v in rec.fact.locations.items()}
    rec.sources = redact(rec.sources)
    rec.reason = redact_text(rec.reason)
    rec.redacted = True
    return rec
