"""Helpers for probes that own a fixed ``sh -c`` pipeline.

The script text is a constant in the probe's module; anything that comes from
check or profile data (paths, package names, limits) is passed as positional
arguments (``"$@"``), so it is quoted by the collector and never parsed as
shell. Options are validated here before they reach a target.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from hardencheck.facts.raw import CommandSpec

_SAFE_PATH = re.compile(r"^/[^\x00-\x1f\x7f]*$")


def sh_command(key: str, script: str, args: Iterable[str] = (), *, timeout: float = 30.0,
               max_bytes: int = 4 * 1024 * 1024, inline: bool = False) -> CommandSpec:
    """``sh -c SCRIPT hardencheck ARGS...``: in the script ``$1``... are ``ARGS``.

    ``inline=True`` for a builtins-only snippet (see :attr:`CommandSpec.inline`)."""
    return CommandSpec(key, ("sh", "-c", script, "hardencheck", *args), timeout=timeout, max_bytes=max_bytes,
                       inline=inline)


#: Drawn once per run (per process), after every file on the targets was written.
_RUN_NONCE = secrets.token_hex(12)


def nonce() -> str:
    """The run's marker for a probe's framed output, so file contents cannot forge a frame.

    Random per run rather than per host: a planted file cannot predict it either way, and hosts
    cloned from one image then return byte-identical output, so their parsed facts (and evidence
    hashes) are shared instead of parsed again for every host (facts/cache.py).
    """
    return _RUN_NONCE


def option_paths(options: Mapping[str, Any], default: Iterable[str], key: str = "paths") -> list[str]:
    """Absolute paths from options (no control characters, no leading dash), de-duplicated."""
    raw = options.get(key, list(default))
    if isinstance(raw, str):
        raw = [raw]
    return list(dict.fromkeys(str(p) for p in raw if isinstance(p, str) and _SAFE_PATH.match(p)))


def option_int(options: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    """An integer option clamped to ``[low, high]``; anything unparsable falls back to the default."""
    try:
        value = int(options.get(key, default))
    except (TypeError, ValueError):
        value = default
    return max(low, min(high, value))


def frames(text: str, marker: str) -> list[tuple[str, str]]:
    """Split ``\\n@@MARKER:HEADER\\n`` framed output into ``(header, body)`` pairs.

    Output before the first frame is dropped; a body keeps its bytes exactly
    (the leading newline of the next frame belongs to the frame, not the body).
    """
    sep = f"\n@@{marker}:"
    parts = ("\n" + text).split(sep)
    out = []
    for part in parts[1:]:
        header, _, body = part.partition("\n")
        out.append((header, body))
    return out
