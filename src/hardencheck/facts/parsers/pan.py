"""Cleartext card numbers (PANs) found by the ``pan_scan`` probe, masked before anything else sees them.

The full number never leaves the target: the probe's own ``awk`` stage keeps
digit runs of 13-19 digits (optionally separated by one space or dash) that
pass the Luhn check, and prints only the first six and last four digits with
the file and line. This parser then keeps the candidates whose first digits
fall in a known card range (IIN) with a length that range issues, and stores
the PCI DSS 3.4.1 display form ``411111******1111``.

A hostile target could still print a full number in a file name or in a field
that should hold six digits: every string this parser stores is passed
through :func:`mask_digits` as well.
"""

from __future__ import annotations

import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import clean, iter_lines, show, warn

MAX_FINDINGS = 500
"""Findings kept in the fact; counts per file stay exact up to what the probe reported."""

#: (low, high, digits compared, lengths, brand): the first ``digits`` digits must lie in [low, high].
IIN_RANGES: tuple[tuple[int, int, int, frozenset[int], str], ...] = (
    (4, 4, 1, frozenset({13, 16, 19}), "Visa"),
    (51, 55, 2, frozenset({16}), "Mastercard"),
    (2221, 2720, 4, frozenset({16}), "Mastercard"),
    (34, 34, 2, frozenset({15}), "American Express"),
    (37, 37, 2, frozenset({15}), "American Express"),
    (6011, 6011, 4, frozenset(range(16, 20)), "Discover"),
    (644, 649, 3, frozenset(range(16, 20)), "Discover"),
    (65, 65, 2, frozenset(range(16, 20)), "Discover"),
    (622126, 622925, 6, frozenset(range(16, 20)), "Discover"),
    (3528, 3589, 4, frozenset(range(16, 20)), "JCB"),
    (300, 305, 3, frozenset(range(14, 20)), "Diners Club"),
    (3095, 3095, 4, frozenset(range(14, 20)), "Diners Club"),
    (36, 36, 2, frozenset(range(14, 20)), "Diners Club"),
    (38, 39, 2, frozenset(range(16, 20)), "Diners Club"),
    (62, 62, 2, frozenset(range(16, 20)), "UnionPay"),
    (2200, 2204, 4, frozenset(range(16, 20)), "Mir"),
    (506099, 506198, 6, frozenset({16, 18, 19}), "Verve"),
    (650002, 650027, 6, frozenset({16, 18, 19}), "Verve"),
    (60, 60, 2, frozenset({16}), "RuPay"),
    (81, 82, 2, frozenset({16}), "RuPay"),
    (508, 508, 3, frozenset({16}), "RuPay"),
    (50, 50, 2, frozenset(range(13, 20)), "Maestro"),
    (56, 58, 2, frozenset(range(13, 20)), "Maestro"),
    (639, 639, 3, frozenset(range(13, 20)), "Maestro"),
    (67, 67, 2, frozenset(range(13, 20)), "Maestro"),
    (6304, 6304, 4, frozenset(range(13, 20)), "Maestro"),
)

_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand(first6: str, length: int) -> str | None:
    """The card brand whose IIN range and issued lengths fit, or None: not a card number."""
    if not (first6.isdigit() and len(first6) == 6):
        return None
    for low, high, digits, lengths, name in IIN_RANGES:
        if low <= int(first6[:digits]) <= high and length in lengths:
            return name
    return None


def mask(first6: str, last4: str, length: int) -> str:
    """First six and last four digits, as PCI DSS 3.4.1 allows a PAN to be displayed."""
    return first6 + "*" * (length - 10) + last4


def mask_digits(text: str) -> str:
    """Mask any Luhn-valid 13-19 digit run in untrusted text (file names, excerpts)."""

    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return mask(digits[:6], digits[-4:], len(digits))
        return m.group(0)

    return _DIGIT_RUN.sub(repl, text)


def _safe(text: str) -> str:
    return clean(mask_digits(text))[:1024]


def parse_pan_scan(text: str, source: str, paths: list[str]) -> ParsedFact:
    """Parse the probe's tagged lines.

    ``C<TAB>files<TAB>limit`` files found (limit+1 means "more than the limit"),
    ``M<TAB>path`` a configured path that does not exist,
    ``P<TAB>first6<TAB>last4<TAB>length<TAB>line<TAB>file`` a Luhn-valid candidate,
    ``T<TAB>what`` the probe stopped reporting (too many findings).
    """
    fact = ParsedFact()
    findings: list[dict[str, Any]] = []
    per_file: dict[str, dict[str, Any]] = {}
    files_found: int | None = None
    limit: int | None = None
    missing: list[str] = []
    truncated = False
    rejected = 0
    unreadable = 0
    for number, line in iter_lines(text, fact, source):
        if not line.strip():
            continue
        tag, _, rest = line.partition("\t")
        fields = rest.split("\t")
        if tag == "C" and len(fields) == 2 and all(f.isdigit() for f in fields):
            files_found, limit = int(fields[0]), int(fields[1])
        elif tag == "U" and rest.isdigit():
            unreadable = int(rest)
        elif tag == "M" and rest:
            missing.append(_safe(rest))
        elif tag == "T":
            truncated = True
        elif tag == "P" and len(fields) >= 5:
            first6, last4, length, lineno = fields[:4]
            file = _safe("\t".join(fields[4:]))
            if not (length.isdigit() and lineno.isdigit() and last4.isdigit() and len(last4) == 4
                    and 13 <= int(length) <= 19):
                warn(fact, f"{source}:{number}: malformed candidate line skipped")
                continue
            name = brand(first6, int(length))
            if name is None:
                rejected += 1
                continue
            masked = mask(first6, last4, int(length))
            entry = per_file.setdefault(file, {"file": file, "count": 0, "brands": []})
            entry["count"] += 1
            if name not in entry["brands"]:
                entry["brands"].append(name)
            if len(findings) < MAX_FINDINGS:
                fact.locations[f"findings/{len(findings)}"] = Location(file, int(lineno), f"{masked} ({name})")
                findings.append({"file": file, "line": int(lineno), "masked": masked, "brand": name})
        else:
            warn(fact, f"{source}:{number}: unexpected output {show(line)}")
    if files_found is None:
        warn(fact, f"{source}: the scan reported no file count; it did not run to the end")
    limit_hit = files_found is not None and limit is not None and files_found > limit
    if limit_hit:
        warn(fact, f"more than {limit} files under the scanned paths: only the first {limit} were read")
    if truncated or len(findings) < sum(e["count"] for e in per_file.values()):
        warn(fact, "more candidate card numbers than reported; the list is cut")
    fact.data = {
        "findings": findings,
        "files_with_pan": sorted(per_file.values(), key=lambda e: e["file"]),
        "paths": [_safe(p) for p in paths],
        "paths_missing": missing,
        "files_scanned": min(files_found, limit) if files_found is not None and limit is not None else None,
        "file_limit_reached": limit_hit,
        "complete": files_found is not None and not limit_hit and not truncated and not unreadable,
        "rejected_candidates": rejected,
        "unreadable": unreadable,
    }
    if unreadable:
        warn(fact, f"{unreadable} file(s) or folder(s) under the scanned paths could not be read (not root?)")
    fact.locations["files_scanned"] = Location(source, None, f"{fact.data['files_scanned']} file(s) read")
    fact.locations.setdefault("findings", Location(source, None, _safe(
        f"{fact.data['files_scanned']} file(s) read under {' '.join(paths)}: {len(findings)} card number(s)")[:300]))
    return fact
