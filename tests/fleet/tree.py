"""Building overlay layers: directories that mirror the machine's, whiteouts, opaque markers.

A layer is a directory whose contents are copied (``cp -a``) into a host's overlay upper dir.
Every directory in a layer replaces the metadata (mode, owner) of the machine's directory at
the same path, so directories are created with the machine's own mode and owner: otherwise a
host's ``/etc`` or ``/tmp`` would quietly change permissions just because the image put a file
in it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

#: The xattr that makes an overlay upper directory hide the lower directory's entries.
OPAQUE_XATTR = "trusted.overlay.opaque"


def relative(path: str) -> PurePosixPath:
    """Turn an absolute host path such as ``/etc/shadow`` into a layer-relative one."""
    pure = PurePosixPath(path)
    if not pure.is_absolute() or ".." in pure.parts:
        raise ValueError(f"expected an absolute path without '..', got {path!r}")
    return pure.relative_to("/")


def mirror_metadata(layer_dir: Path, rel: PurePosixPath) -> None:
    """Give ``layer_dir/rel`` the mode and owner of the machine's ``/rel`` (0755 root if none)."""
    target = layer_dir / rel
    try:
        st = os.stat(Path("/") / rel)
        mode, uid, gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
    except FileNotFoundError:
        mode, uid, gid = 0o755, 0, 0
    os.chown(target, uid, gid)
    os.chmod(target, mode)


def make_parents(layer_dir: Path, rel: PurePosixPath) -> Path:
    """Create the parent directories of ``rel`` inside the layer, mirroring the machine's."""
    current = PurePosixPath()
    for part in rel.parent.parts:
        current = current / part
        target = layer_dir / current
        if not target.exists():
            target.mkdir()
            mirror_metadata(layer_dir, current)
    return layer_dir / rel


def mirror_all_dirs(layer_dir: Path) -> None:
    """Apply :func:`mirror_metadata` to the layer root and every directory below it."""
    mirror_metadata(layer_dir, PurePosixPath("."))
    for dirpath, _dirnames, _files in os.walk(layer_dir):
        rel = PurePosixPath(Path(dirpath).relative_to(layer_dir).as_posix())
        if rel != PurePosixPath("."):
            mirror_metadata(layer_dir, rel)


def whiteout(layer_dir: Path, path: str) -> None:
    """Make ``path`` absent on the host: a 0/0 character device is an overlayfs whiteout."""
    target = make_parents(layer_dir, relative(path))
    if target.exists() or target.is_symlink():
        raise FileExistsError(f"{path} is both provided and marked absent")
    os.mknod(target, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def mark_opaque(layer_dir: Path, path: str) -> None:
    """Make the directory ``path`` show only the layer's entries, none of the machine's."""
    target = make_parents(layer_dir, relative(path))
    if not target.exists():
        target.mkdir()
        mirror_metadata(layer_dir, relative(path))
    os.setxattr(target, OPAQUE_XATTR, b"y")
