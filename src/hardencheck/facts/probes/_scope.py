"""What a missing file means depends on the target: absent on a host, unmanaged in a config repository."""

from __future__ import annotations

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.raw import RawAnswers


def is_config_directory(raw: RawAnswers) -> bool:
    """True for ``dir:`` targets: only a collector script run on a host reports metadata (``uid``)."""
    return not raw.bundle.meta


def nothing_configured(raw: RawAnswers, what: str) -> None:
    """On a config repository, no file for ``what`` means the repository does not manage it: not applicable.

    On a host it means ``what`` is not configured, which is a finding, so this returns and the probe
    reports the empty configuration.
    """
    if is_config_directory(raw):
        raise FactUnavailable(f"no {what} in this repository", not_applicable=True)
