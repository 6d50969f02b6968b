"""Making values from targets safe to show: every reporter passes target text through here.

A host under audit may be the attacker's: its banners, file contents and account names can carry
terminal escapes, HTML, bidirectional-override characters or spreadsheet formulas. Format-level
escaping (Jinja2 autoescape, XML, JSON, CSV quoting) is each reporter's job; this module makes the
invisible visible, once, for all of them.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: C0 controls except tab and newline, DEL, C1 controls, zero-width and bidirectional controls,
#: lone surrogates and the two non-characters XML cannot carry.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
                        "\ud800-\udfff\ufffe\uffff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control or invisible formatting character spelled out (``\\x1b``, ``\\u202e``)."""
    if text.isascii() and text.isprintable():
        return text
    return _INVISIBLE.sub(_escape_char, text)


def display(value: Any) -> str:
    """One observed value as text: strings as they are, everything else as compact JSON; never raises."""
    if value is None:
        return ""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return visible(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str, separators=(", ", ": ")))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def requirement_key(req: str) -> tuple[Any, ...]:
    """Natural order for requirement ids: 2.2.6 < 8.3.1 < 10.2.1 (text parts sort after numbers)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-]", req))
