"""Small helpers the built-in probes share."""

from __future__ import annotations

import posixpath

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.raw import RawAnswers, RawCommand


def command_output(raw: RawAnswers, key: str) -> RawCommand | None:
    """The command's answer if it ran and succeeded; None if it could not run here (or was not needed)."""
    cmd = raw.command(key)
    if cmd is None or cmd.status in ("not-found", "unsupported", "skipped"):
        return None
    if cmd.status == "timeout":
        raise FactUnavailable(f"`{' '.join(cmd.argv)}` timed out on the target")
    if cmd.status != "ok":
        raise FactUnavailable(f"`{' '.join(cmd.argv)}` did not complete ({cmd.status})")
    return cmd


def unsupported(raw: RawAnswers, key: str) -> bool:
    cmd = raw.command(key)
    return cmd is not None and cmd.status == "unsupported"


def read_texts(raw: RawAnswers, patterns: tuple[str, ...]) -> list[tuple[str, str]]:
    """(path, text) of every readable file named by ``patterns`` (globs in the last segment).

    A file that exists but cannot be read makes the fact unavailable: configuration the
    auditor could not see must not read as "not configured".
    """
    out = []
    for pattern in patterns:
        for path in (raw.glob(pattern) if "*" in posixpath.basename(pattern) else [pattern]):
            f = raw.file(path)
            if f is not None and f.status == "unreadable":
                raise FactUnavailable(f"{path} is unreadable (run as root or with --sudo)")
            text = raw.text(path)
            if text is not None:
                out.append((path, text))
    return out
