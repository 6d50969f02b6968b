"""Small helpers the built-in probes share."""

from __future__ import annotations

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.raw import RawAnswers, RawCommand


def command_output(raw: RawAnswers, key: str) -> RawCommand | None:
    """The command's answer if it ran and succeeded; None if it could not run here."""
    cmd = raw.command(key)
    if cmd is None or cmd.status in ("not-found", "unsupported"):
        return None
    if cmd.status == "timeout":
        raise FactUnavailable(f"`{' '.join(cmd.argv)}` timed out on the target")
    if cmd.status != "ok":
        raise FactUnavailable(f"`{' '.join(cmd.argv)}` did not complete ({cmd.status})")
    return cmd


def unsupported(raw: RawAnswers, key: str) -> bool:
    cmd = raw.command(key)
    return cmd is not None and cmd.status == "unsupported"
