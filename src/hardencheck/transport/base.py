"""The one small interface every transport offers.

There is deliberately no write: a breached host is a crime scene, and a
transport that cannot write cannot change it. Commands are only ever a shell
script that the fact collector builds from probe declarations (arguments
quoted there, once) and that is sent on standard input, so nothing is left
on the target's disk.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


class TransportError(Exception):
    """The target could not be reached or refused us; the host result is ``error``."""


class HostKeyError(TransportError):
    """The host presented an unknown or changed key; never silently accepted."""


@dataclass(frozen=True)
class CommandResult:
    """What one script run returned, already bounded in bytes and time."""

    stdout: bytes
    stderr: bytes
    exit_status: int | None
    timed_out: bool = False
    truncated: bool = False
    duration: float = 0.0


@dataclass
class ConnectionInfo:
    """Facts about the connection itself, recorded in the host result."""

    transport: str
    address: str = ""
    user: str = ""
    host_key_fingerprint: str | None = None
    host_key_type: str | None = None
    host_key_trust: str | None = None  # "known_hosts" or "trust-on-first-use"
    privilege: str | None = None  # "root", "sudo" or "user", as the target reported
    channels_opened: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "transport": self.transport,
            "address": self.address,
            "user": self.user,
            "host_key_fingerprint": self.host_key_fingerprint,
            "host_key_type": self.host_key_type,
            "host_key_trust": self.host_key_trust,
            "privilege": self.privilege,
            "channels_opened": self.channels_opened,
            **({"extra": self.extra} if self.extra else {}),
        }


class Transport(ABC):
    """Read files, list directories and run one collector script on a target."""

    #: Whether :meth:`run_script` works; a config-directory target cannot run anything.
    can_execute: bool = True

    def __init__(self) -> None:
        self.info = ConnectionInfo(transport=self.kind())

    @classmethod
    @abstractmethod
    def kind(cls) -> str:
        """Short name shown in results: ``local``, ``ssh``, ``dir``."""

    def open(self) -> None:
        """Connect (no-op for transports that need no connection)."""

    def close(self) -> None:
        """Release the connection; must be safe to call twice."""

    def __enter__(self) -> "Transport":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_script(self, script: str, *, timeout: float, max_bytes: int, use_sudo: bool = False) -> CommandResult:
        """Run ``script`` with ``sh -s`` (the script on stdin), bounded in time and bytes."""
        raise TransportError(f"the {self.kind()} transport cannot run commands")

    def read_file(self, path: str, max_bytes: int) -> bytes | None:
        """The first ``max_bytes`` of a file, or None if it does not exist or is unreadable."""
        raise TransportError(f"the {self.kind()} transport cannot read files directly")

    def list_dir(self, path: str) -> list[str] | None:
        """Entry names in a directory, or None if it does not exist."""
        raise TransportError(f"the {self.kind()} transport cannot list directories directly")

    def source_name(self, path: str) -> str:
        """How evidence names ``path``: the target path, or the repository file it maps to."""
        return path


def sudo_wrapper() -> str:
    """The remote command that runs the collector as root when ``sudo -n`` allows it.

    sudo is asked once per host, before the script starts, and never with a
    password prompt (``-n``): if it would ask, the script runs unprivileged
    and the collector records that some facts may be incomplete.
    """
    return (
        "if [ \"$(id -u)\" = 0 ]; then exec sh -s; "
        "elif sudo -n true >/dev/null 2>&1; then exec sudo -n sh -s; "
        "else exec sh -s; fi"
    )
