"""What probes ask a target for, and the raw answers before parsing.

A probe never writes shell: it declares the files and commands it needs
(:class:`ProbeRequest`), the collector turns the declarations of every
selected probe into one script (one round trip per host), and hands each
probe back its own :class:`RawAnswers`.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import posixpath
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FileSpec:
    """A file to read: an exact path, or a glob whose pattern is in the last path segment only."""

    path: str
    max_bytes: int = 4 * 1024 * 1024

    @functools.cached_property
    def is_glob(self) -> bool:
        return any(c in posixpath.basename(self.path) for c in "*?[")


@dataclass(frozen=True)
class CommandSpec:
    """A command to run: ``argv`` (quoted by the collector), bounded in time and output."""

    key: str
    argv: tuple[str, ...]
    timeout: float = 20.0
    max_bytes: int = 8 * 1024 * 1024
    skip_if_readable: str = ""
    """A file that, when the target can read it, makes this command unnecessary (the probe decodes
    that file instead): the collector tests it with shell builtins and skips the command, which
    the probe then sees with status ``skipped``."""
    inline: bool = False
    """An ``sh -c`` snippet made of shell builtins only (tests, globs, ``read``, ``printf``) that
    prints a small, bounded amount by construction. The collector runs it in a subshell of its
    own script instead of starting ``timeout``, ``head`` and a new ``sh`` for it: three process
    start-ups saved per host, which is most of such a snippet's cost. Anything that starts a
    process, or reads without a bound, must not be inline (tests run every inline snippet with an
    empty PATH to hold probes to this)."""


@dataclass(frozen=True)
class ProbeRequest:
    files: tuple[FileSpec, ...] = ()
    commands: tuple[CommandSpec, ...] = ()


@dataclass
class RawFile:
    """One file as the target returned it (``status``: ok, missing, unreadable, not-a-file)."""

    path: str
    status: str
    content: bytes = b""
    truncated: bool = False
    source: str = ""  # how evidence names it (a repository path on dir targets)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class RawCommand:
    """One command's output (``status``: ok, not-found, unsupported, skipped, timeout, incomplete)."""

    key: str
    argv: tuple[str, ...]
    status: str
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int | None = None
    truncated: bool = False

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.stdout).hexdigest()

    @property
    def label(self) -> str:
        """How evidence names the command; a probe's own shell pipeline is named by its key (the
        script itself is in the fact's ``sources`` argv)."""
        if len(self.argv) >= 3 and self.argv[0] == "sh" and self.argv[1] == "-c":
            return f"cmd:sh -c <{self.key}>"
        return "cmd:" + " ".join(self.argv)


@dataclass
class RawBundle:
    """Everything one collection returned for a target, across all probes."""

    files: dict[str, RawFile] = field(default_factory=dict)
    commands: dict[str, RawCommand] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _by_dir: tuple[int, dict[str, list[str]]] | None = field(default=None, init=False, repr=False, compare=False)

    def glob(self, pattern: str) -> list[str]:
        """Returned paths matching ``pattern`` (a glob in the last segment only), whatever their
        status, sorted like sh. Paths are grouped by directory once, so many globs stay cheap."""
        if self._by_dir is None or self._by_dir[0] != len(self.files):  # rebuilt if files were added
            grouped: dict[str, list[str]] = {}
            for path in sorted(self.files):
                grouped.setdefault(posixpath.dirname(path), []).append(path)
            self._by_dir = (len(self.files), grouped)
        return [p for p in self._by_dir[1].get(posixpath.dirname(pattern), ()) if fnmatch.fnmatchcase(p, pattern)]


class RawAnswers:
    """A probe's view of the bundle: only what it asked for, with readers parsers can use."""

    def __init__(self, bundle: RawBundle, request: ProbeRequest):
        self.bundle = bundle
        self.request = request
        self.used_files: dict[str, RawFile] = {}
        self.used_commands: dict[str, RawCommand] = {}

    def file(self, path: str) -> RawFile | None:
        f = self.bundle.files.get(path)
        if f is not None:
            self.used_files[path] = f
        return f

    def text(self, path: str) -> str | None:
        """File content as text, or None when missing/unreadable (parsers' ``read`` callable)."""
        f = self.file(path)
        return f.text if f is not None and f.status == "ok" else None

    def glob(self, pattern: str) -> list[str]:
        """Paths of files the target returned that match ``pattern`` (sorted, like sh)."""
        found = [p for p in self.bundle.glob(pattern) if self.bundle.files[p].status == "ok"]
        for p in found:
            self.used_files[p] = self.bundle.files[p]
        return found

    def command(self, key: str) -> RawCommand | None:
        c = self.bundle.commands.get(key)
        if c is not None:
            self.used_commands[key] = c
        return c

    def sources(self) -> dict[str, dict[str, Any]]:
        """Per source used, what an auditor needs to check it: sha256, size, status."""
        out: dict[str, dict[str, Any]] = {}
        for p, f in self.used_files.items():
            out[p] = {"kind": "file", "path": p, "status": f.status, "sha256": f.sha256 if f.status == "ok" else None,
                      "bytes": len(f.content), "truncated": f.truncated}
            if f.source and f.source != p:
                out[p]["repo_path"] = f.source
        for c in self.used_commands.values():
            out[c.label] = {"kind": "command", "argv": list(c.argv), "status": c.status, "exit_code": c.exit_code,
                            "sha256": c.sha256 if c.status == "ok" else None, "bytes": len(c.stdout),
                            "truncated": c.truncated}
        return out
