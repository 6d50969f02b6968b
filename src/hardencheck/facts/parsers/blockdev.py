"""Block devices, crypttab and fstab: is cardholder data encrypted at rest?

``encrypted`` on an lsblk device means "whatever is written to this device
ends up as ciphertext on the medium". The rule, applied top-down:

* ``type == "crypt"`` (a dm-crypt mapping) or ``fstype`` starting with
  ``crypto_`` (``crypto_LUKS``, ``crypto_BITLOCKER``: the container holds
  only ciphertext);
* or the parent is encrypted (LVM or a filesystem stacked on a LUKS mapping);
* or a direct child is a ``crypt`` device (plain dm-crypt has no header,
  so only the child reveals that the partition is a container).

A disk whose *partition* is encrypted is not itself encrypted: its other
partitions may not be.
"""

from __future__ import annotations

import json
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import as_text, excerpt, iter_lines, show, warn

MAX_DEPTH = 64
"""lsblk trees are a few levels deep; anything deeper is hostile or corrupt."""


def parse_lsblk_json(text: str, source: str = "cmd:lsblk") -> ParsedFact:
    """``lsblk -J -b -o NAME,KNAME,PKNAME,TYPE,FSTYPE,MOUNTPOINT,SIZE,RM``, tree flattened.

    A device with several parents (RAID, multi-PV LVM) is listed once per
    parent, as lsblk prints it.
    """
    fact = ParsedFact()
    devices: list[dict[str, Any]] = []
    try:
        tree = json.loads(as_text(text) or "null")
    except (ValueError, RecursionError):
        warn(fact, f"{source}: not valid JSON")
        tree = None
    roots = tree.get("blockdevices") if isinstance(tree, dict) else None
    if not isinstance(roots, list):
        if tree is not None:
            warn(fact, f"{source}: no 'blockdevices' list")
        roots = []
    for root in roots:
        _flatten(root, None, False, 0, devices, fact, source)
    for index, device in enumerate(devices):
        fact.locations[f"devices/{index}"] = Location(
            source,
            None,
            excerpt(
                f"{device['name']} {device['type']} {device['fstype'] or ''} {device['mountpoint'] or ''}"
            ),
        )
    fact.data = {"devices": devices}
    return fact


def _flatten(
    node: Any,
    parent: str | None,
    parent_encrypted: bool,
    depth: int,
    out: list[dict[str, Any]],
    fact: ParsedFact,
    source: str,
) -> None:
    if not isinstance(node, dict):
        warn(fact, f"{source}: device entry that is not an object skipped")
        return
    if depth > MAX_DEPTH:
        warn(fact, f"{source}: device tree deeper than {MAX_DEPTH}; rest skipped")
        return
    raw_children = node.get("children")
    children: list[Any] = raw_children if isinstance(raw_children, list) else []
    dev_type = _str(node.get("type"))
    fstype = _str(node.get("fstype"))
    encrypted = (
        dev_type == "crypt"
        or (fstype or "").startswith("crypto_")
        or parent_encrypted
        or any(isinstance(c, dict) and c.get("type") == "crypt" for c in children)
    )
    name = _str(node.get("name")) or ""
    kname = _str(node.get("kname"))
    device: dict[str, Any] = {
        "name": name,
        "kname": kname,
        "parent": _str(node.get("pkname")) or parent,
        "type": dev_type,
        "fstype": fstype,
        "mountpoint": _mountpoint(node),
        "size": _size(node.get("size"), fact, source, name),
        "removable": _bool(node.get("rm")),
        "encrypted": encrypted,
    }
    out.append(device)
    for child in children:
        _flatten(child, kname or name, encrypted, depth + 1, out, fact, source)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None if value is None else str(value)


def _mountpoint(node: dict[str, Any]) -> str | None:
    """lsblk >= 2.37 may print ``mountpoints`` (a list) instead of ``mountpoint``."""
    if "mountpoint" in node:
        return _str(node.get("mountpoint"))
    points = node.get("mountpoints")
    if isinstance(points, list):
        return next((p for p in points if isinstance(p, str)), None)
    return None


def _size(value: Any, fact: ParsedFact, source: str, name: str) -> int | None:
    """``-b`` gives bytes: an int in new lsblk, a string in old ones."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if value is not None:
        warn(fact, f"{source}: size of {show(name)} is not a byte count (was -b used?)")
    return None


def _bool(value: Any) -> bool:
    """``rm`` is ``true``/``false`` in new lsblk, ``"1"``/``"0"`` in old ones."""
    if isinstance(value, str):
        return value.strip() in ("1", "true")
    return bool(value)


def parse_crypttab(text: str, source: str = "/etc/crypttab") -> ParsedFact:
    """``name device [keyfile [options]]`` entries; ``none``/``-`` keyfile means a passphrase prompt."""
    fact = ParsedFact()
    entries: list[dict[str, Any]] = []
    for number, line in iter_lines(text, fact, source):
        fields = _table_fields(line)
        if not fields:
            continue
        if len(fields) < 2:
            warn(fact, f"{source}:{number}: needs at least a name and a device: {show(line)}")
            continue
        keyfile = fields[2] if len(fields) > 2 and fields[2] not in ("none", "-") else None
        options = fields[3].split(",") if len(fields) > 3 else []
        fact.locations[f"entries/{len(entries)}"] = Location(source, number, excerpt(line))
        entries.append({"name": fields[0], "device": fields[1], "keyfile": keyfile, "options": options})
    fact.data = {"entries": entries}
    return fact


def parse_fstab(text: str, source: str = "/etc/fstab") -> ParsedFact:
    """``device mountpoint fstype options [dump [pass]]``; ``\\040``-style escapes decoded."""
    fact = ParsedFact()
    entries: list[dict[str, Any]] = []
    for number, line in iter_lines(text, fact, source):
        fields = _table_fields(line)
        if not fields:
            continue
        if len(fields) < 3:
            warn(fact, f"{source}:{number}: needs device, mount point and type: {show(line)}")
            continue
        fields = [_unescape(f) for f in fields]
        options = fields[3].split(",") if len(fields) > 3 else ["defaults"]
        fact.locations[f"entries/{len(entries)}"] = Location(source, number, excerpt(line))
        entries.append(
            {
                "device": fields[0],
                "mountpoint": fields[1],
                "fstype": fields[2],
                "options": options,
                "swap": fields[2] == "swap",
            }
        )
    fact.data = {"entries": entries}
    return fact


def _table_fields(line: str) -> list[str]:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return []
    return stripped.split()


def _unescape(field: str) -> str:
    """fstab writes space as ``\\040`` and tab as ``\\011`` (octal escapes, getmntent)."""
    out, i = [], 0
    while i < len(field):
        chunk = field[i + 1 : i + 4]
        if field[i] == "\\" and len(chunk) == 3 and all(c in "01234567" for c in chunk):
            out.append(chr(int(chunk, 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)
