"""Fleet images: a file tree laid over the machine's root plus an ``image.yaml``.

``images/<name>/root/`` holds the files the image puts on the host (``root/etc/ssh/sshd_config``
becomes the host's ``/etc/ssh/sshd_config``); everything else comes from this machine's own
``/``. ``images/<name>/image.yaml`` says what the tree cannot: see README.md for the format.

An image is *staged* once per fleet into a directory that already has the final modes,
owners, whiteouts and generated files, so that each host only has to ``cp -a`` it into its
overlay upper dir when it starts.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import struct
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .keys import KeyType
from .tree import make_parents, mark_opaque, mirror_all_dirs, relative, whiteout

IMAGES_DIR = Path(__file__).resolve().parent / "images"

_KEYS = {"description", "hostname", "host_key_types", "absent", "opaque", "modes", "owners",
         "generate", "asset_class", "lastlog", "kernel_release"}
_REQUIRED = {"description", "hostname", "host_key_types"}
#: sshd directives an image may not set: they would take the fleet's sshd off its address.
_FORBIDDEN_SSHD = {"listenaddress"}
_SIZE_RE = re.compile(r"^(\d+)\s*(|K|M)i?B?$", re.IGNORECASE)


class ImageError(ValueError):
    """An image directory or its image.yaml is invalid; the message names file and key."""


@dataclass(frozen=True)
class Generated:
    """A large file made at staging time instead of being committed (keeps the repo small)."""

    size: int
    content: str  # "text" (printable lines) or "random" (binary)


@dataclass(frozen=True)
class Login:
    """A recorded last login: ``days_ago`` counted from when the image is staged (so its age is the
    same on every run), on terminal ``line``, from ``origin`` (empty for a console login)."""

    days_ago: int
    line: str
    origin: str = ""


#: struct lastlog on Linux: ll_time (int32), ll_line[32], ll_host[256].
_LASTLOG_RECORD = struct.Struct("<i32s256s")


@dataclass(frozen=True)
class Image:
    """One parsed image: its tree and the metadata from image.yaml."""

    name: str
    root: Path
    description: str
    hostname: str
    host_key_types: tuple[KeyType, ...]
    absent: tuple[str, ...] = ()
    opaque: tuple[str, ...] = ()
    modes: Mapping[str, int] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)
    generate: Mapping[str, Generated] = field(default_factory=dict)
    lastlog: Mapping[str, Login] = field(default_factory=dict)
    kernel_release: str | None = None

    def hostname_for(self, host_name: str) -> str:
        """The host's hostname: the image's template with ``{name}`` replaced."""
        return self.hostname.format(name=host_name)


def load_image(name: str, images_dir: Path = IMAGES_DIR) -> Image:
    """Read and validate ``images_dir/name``; raises :class:`ImageError` naming the problem."""
    base = images_dir / name
    spec_file = base / "image.yaml"
    if not spec_file.is_file():
        raise ImageError(f"{spec_file}: no such image (images: {available_images(images_dir)})")
    raw = yaml.safe_load(spec_file.read_text()) or {}
    if not isinstance(raw, dict):
        raise ImageError(f"{spec_file}: expected a mapping at the top level")
    _check_keys(spec_file, raw)
    try:
        image = _build(name, base / "root", raw)
    except (ValueError, TypeError) as exc:
        raise ImageError(f"{spec_file}: {exc}") from exc
    _check_tree(spec_file, image)
    _check_root_account(image)
    return image


def available_images(images_dir: Path = IMAGES_DIR) -> list[str]:
    """Names of the images under ``images_dir``."""
    return sorted(p.parent.name for p in images_dir.glob("*/image.yaml"))


def _check_keys(spec_file: Path, raw: dict[str, Any]) -> None:
    unknown = set(raw) - _KEYS
    missing = _REQUIRED - set(raw)
    if unknown:
        raise ImageError(f"{spec_file}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    if missing:
        raise ImageError(f"{spec_file}: missing key(s) {sorted(missing)}")


def _build(name: str, root: Path, raw: dict[str, Any]) -> Image:
    for key in ("absent", "opaque", "modes", "owners", "generate"):
        for path in raw.get(key) or ():
            relative(str(path))  # raises ValueError on relative or '..' paths
    return Image(
        name=name,
        root=root,
        description=str(raw["description"]).strip(),
        hostname=str(raw["hostname"]),
        host_key_types=tuple(KeyType.parse(str(t)) for t in raw["host_key_types"]),
        absent=tuple(str(p) for p in raw.get("absent") or ()),
        opaque=tuple(str(p) for p in raw.get("opaque") or ()),
        modes={str(p): _parse_mode(p, m) for p, m in (raw.get("modes") or {}).items()},
        owners={str(p): str(o) for p, o in (raw.get("owners") or {}).items()},
        generate={str(p): _parse_generated(p, g) for p, g in (raw.get("generate") or {}).items()},
        lastlog={str(u): _parse_login(str(u), spec) for u, spec in (raw.get("lastlog") or {}).items()},
        kernel_release=_parse_release(raw.get("kernel_release")),
    )


def _parse_release(value: object) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9][0-9A-Za-z.+_~-]{0,60}", str(value)):
        raise ValueError(f"kernel_release: {value!r} is not a kernel release like 6.1.0-18-amd64")
    return str(value)


def _parse_login(user: str, spec: object) -> Login:
    if not isinstance(spec, dict) or set(spec) - {"days_ago", "line", "from"} or "days_ago" not in spec:
        raise ValueError(f"lastlog.{user}: expected {{days_ago: N, line: pts/0, from: 10.0.0.1}}")
    return Login(int(spec["days_ago"]), str(spec.get("line", "")), str(spec.get("from", "")))


def _parse_mode(path: str, mode: object) -> int:
    if not isinstance(mode, str) or not re.fullmatch(r"0?[0-7]{3,4}", mode):
        raise ValueError(f"modes.{path}: write the mode as a quoted octal string like \"0644\"")
    return int(mode, 8)


def _parse_generated(path: str, spec: object) -> Generated:
    if not isinstance(spec, dict) or set(spec) - {"size", "content"}:
        raise ValueError(f"generate.{path}: expected {{size: 5M, content: text|random}}")
    match = _SIZE_RE.match(str(spec.get("size", "")))
    content = str(spec.get("content", "text"))
    if not match or content not in ("text", "random"):
        raise ValueError(f"generate.{path}: size like 5M / 512K / 1000, content text or random")
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[match.group(2).lower()]
    return Generated(int(match.group(1)) * factor, content)


def _check_tree(spec_file: Path, image: Image) -> None:
    """Refuse trees the fleet cannot run: its own host keys, ListenAddress, odd HostKey paths."""
    if not image.root.is_dir():
        raise ImageError(f"{spec_file}: missing file tree {image.root}")
    ssh_dir = image.root / "etc" / "ssh"
    for key in ssh_dir.glob("ssh_host_*"):
        raise ImageError(f"{key}: host keys come from host_key_types, not from the tree")
    key_paths = {f"/etc/ssh/{t.file_name}" for t in image.host_key_types}
    for conf in [ssh_dir / "sshd_config", *sorted(ssh_dir.glob("sshd_config.d/*"))]:
        if not conf.is_file():
            continue
        for lineno, line in enumerate(conf.read_text(errors="replace").splitlines(), 1):
            words = line.split()
            keyword = words[0].lower() if words else ""
            if keyword in _FORBIDDEN_SSHD:
                raise ImageError(f"{conf}:{lineno}: {words[0]} would move the fleet's sshd off "
                                 "its address; the fleet sets it (Port is fine)")
            if keyword == "hostkey" and (len(words) < 2 or words[1] not in key_paths):
                raise ImageError(f"{conf}:{lineno}: HostKey may only name {sorted(key_paths)}, "
                                 "where the fleet puts this image's host_key_types")


def _check_root_account(image: Image) -> None:
    """Refuse accounts that would lock the fleet key out.

    The fleet's sshd runs with ``UsePAM=no``, so sshd itself checks the account: a shadow
    hash starting with ``!`` counts as locked and an expiry date as expired, even for a
    key login. Root also needs a shell that exists, or every command fails.
    """
    etc = image.root / "etc"
    for line in _read_lines(etc / "shadow"):
        fields = line.split(":")
        if fields[0] == "root" and len(fields) > 1 and fields[1].startswith("!"):
            raise ImageError(f"{etc / 'shadow'}: root's hash starts with '!': sshd (UsePAM=no) "
                             "would treat root as locked; use '*' or a hash")
        if fields[0] == "root" and len(fields) > 7 and fields[7]:
            raise ImageError(f"{etc / 'shadow'}: root has an account expiry date; sshd "
                             "(UsePAM=no) would refuse it once it passes")
    for line in _read_lines(etc / "passwd"):
        fields = line.split(":")
        if fields[0] == "root" and len(fields) == 7:
            shell = fields[6]
            if not (Path(shell).exists() or (image.root / shell.lstrip("/")).exists()):
                raise ImageError(f"{etc / 'passwd'}: root's shell {shell} does not exist")


def _read_lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.is_file() else []


def stage_image(image: Image, dest: Path, hidden: Iterable[str] = (),
                opaque: Iterable[str] = ()) -> Path:
    """Materialise ``image`` as a ready-to-copy layer in ``dest`` (replacing what is there).

    ``hidden`` and ``opaque`` add to the image's ``absent`` and ``opaque`` lists: the fleet
    uses them to keep its own directories and the machine's home directories off the hosts.
    """
    if dest.exists():
        shutil.rmtree(dest)
    if image.root.is_dir():
        shutil.copytree(image.root, dest, symlinks=True)
        _normalise_file_modes(dest)
    else:
        dest.mkdir(parents=True)
    for path, spec in image.generate.items():
        _generate(make_parents(dest, relative(path)), spec)
    if image.lastlog:
        _write_lastlog(dest, image)
    mirror_all_dirs(dest)
    for path in (*image.absent, *hidden):
        whiteout(dest, path)
    for path in {*image.opaque, *opaque}:
        mark_opaque(dest, path)
    spec_file = image.root.parent / "image.yaml"
    try:
        for path, mode in image.modes.items():
            os.chmod(dest / relative(path), mode)
        for path, owner in image.owners.items():
            uid, gid = _resolve_owner(dest, owner)
            os.lchown(dest / relative(path), uid, gid)
    except FileNotFoundError as exc:
        raise ImageError(f"{spec_file}: modes/owners name a path the image lacks: "
                         f"{exc.filename}") from exc
    except ValueError as exc:
        raise ImageError(f"{spec_file}: owners: {exc}") from exc
    return dest


def _normalise_file_modes(layer: Path) -> None:
    """0755 or 0644 by the executable bit: git keeps only that bit, and a checkout made
    with umask 002 must not plant group-writable files that the image never asked for."""
    for dirpath, _dirs, files in os.walk(layer):
        for name in files:
            path = Path(dirpath) / name
            if not path.is_symlink():
                os.chmod(path, 0o755 if path.stat().st_mode & 0o100 else 0o644)


def _write_lastlog(layer: Path, image: Image) -> None:
    """/var/log/lastlog as login(1) writes it: one record per UID at offset UID x 292, for the
    image's accounts (its own /etc/passwd), dated relative to now."""
    passwd = layer / "etc" / "passwd"
    uids = {}
    for line in _read_lines(passwd if passwd.is_file() else Path("/etc/passwd")):
        parts = line.split(":")
        if len(parts) >= 3 and parts[2].isdigit():
            uids[parts[0]] = int(parts[2])
    unknown = sorted(set(image.lastlog) - set(uids))
    if unknown:
        raise ImageError(f"{image.root.parent / 'image.yaml'}: lastlog names accounts the image lacks: {unknown}")
    size = (max(uids[u] for u in image.lastlog) + 1) * _LASTLOG_RECORD.size
    content = bytearray(size)
    now = int(time.time())
    for user, login in image.lastlog.items():
        _LASTLOG_RECORD.pack_into(content, uids[user] * _LASTLOG_RECORD.size, now - login.days_ago * 86400,
                                  login.line.encode(), login.origin.encode())
    target = make_parents(layer, relative("/var/log/lastlog"))
    target.write_bytes(bytes(content))
    os.chmod(target, 0o644)


def _generate(target: Path, spec: Generated) -> None:
    """Write deterministic filler: the same bytes on every run, so failures reproduce."""
    rng = random.Random(f"{target.name}:{spec.size}:{spec.content}")
    if spec.content == "random":
        target.write_bytes(rng.randbytes(spec.size))
        return
    words = ["account", "required", "pam_unix.so", "session", "optional", "auth", "sufficient"]
    line = " ".join(rng.choice(words) for _ in range(12)) + "\n"
    target.write_bytes((line.encode() * (spec.size // len(line) + 1))[: spec.size])


def _resolve_owner(layer: Path, owner: str) -> tuple[int, int]:
    """``user:group`` (names or numbers) using the image's passwd/group, then the machine's."""
    user, _, group = owner.partition(":")
    uid = _lookup_id(layer, "passwd", user)
    gid = _lookup_id(layer, "group", group) if group else -1
    return uid, gid


def _lookup_id(layer: Path, db: str, name: str) -> int:
    if name.isdigit():
        return int(name)
    for source in (layer / "etc" / db, Path("/etc") / db):
        if not source.is_file():
            continue
        for line in source.read_text(errors="replace").splitlines():
            fields = line.split(":")
            if len(fields) > 2 and fields[0] == name:
                return int(fields[2])
    raise ValueError(f"unknown {'user' if db == 'passwd' else 'group'} {name!r} in owners")
