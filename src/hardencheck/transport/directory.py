"""The ``dir`` transport: a configuration repository checked out in CI.

The same checks run on files before they are deployed. A path mapping says
which repository file stands for which target path (``roles/pos/files/
sshd_config`` -> ``/etc/ssh/sshd_config``); without one the directory is
read as if it were the target's root. Evidence names the repository file, so
code scanning can annotate the line in a pull request.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from hardencheck.transport.base import Transport


@dataclass(frozen=True)
class PathMapping:
    """One repository path (file or folder, relative to the repo) standing for a target path."""

    repo_path: str
    target_path: str


class DirectoryTransport(Transport):
    """Reads a folder as a target; runs nothing, since there is nothing to run on."""

    can_execute = False

    @classmethod
    def kind(cls) -> str:
        return "dir"

    def __init__(self, root: Path, mappings: list[PathMapping] | None = None, as_root_layout: bool | None = None):
        super().__init__()
        self.root = root.resolve()
        self.mappings = sorted(mappings or [], key=lambda m: -len(m.target_path))
        # With explicit mappings only mapped paths exist, unless asked to fall back to the root layout.
        self.as_root_layout = (not self.mappings) if as_root_layout is None else as_root_layout
        self.info.address = str(self.root)

    def _repo_file(self, target_path: str) -> Path | None:
        target_path = posixpath.normpath(target_path)
        for m in self.mappings:
            tp = posixpath.normpath(m.target_path)
            if target_path == tp:
                return self._inside(m.repo_path)
            if target_path.startswith(tp.rstrip("/") + "/"):
                return self._inside(posixpath.join(m.repo_path, target_path[len(tp):].lstrip("/")))
        if self.as_root_layout:
            return self._inside(target_path.lstrip("/"))
        return None

    def _inside(self, rel: str) -> Path | None:
        """Resolve ``rel`` under the root; a symlink pointing outside the repository is not followed."""
        candidate = (self.root / rel).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None
        return candidate

    def read_file(self, path: str, max_bytes: int) -> bytes | None:
        f = self._repo_file(path)
        if f is None or not f.is_file():
            return None
        with open(f, "rb") as fh:
            return fh.read(max_bytes)

    def list_dir(self, path: str) -> list[str] | None:
        names: set[str] = set()
        d = self._repo_file(path)
        found = d is not None and d.is_dir()
        if found and d is not None:
            names.update(p.name for p in d.iterdir())
        prefix = posixpath.normpath(path).rstrip("/") + "/"
        for m in self.mappings:  # mapped single files appear in their target folder
            tp = posixpath.normpath(m.target_path)
            if tp.startswith(prefix) and "/" not in tp[len(prefix):]:
                names.add(tp[len(prefix):])
                found = True
        return sorted(names) if found else None

    def source_name(self, path: str) -> str:
        f = self._repo_file(path)
        if f is None:
            return path
        return f.relative_to(self.root).as_posix()
