"""Fact drift between two runs of a host, independent of any check.

After a breach the question is not only "which checks changed" but "what
changed on the box": a new UID 0 account, a new key in root's
authorized_keys, a new SUID binary, a new listener, a downgraded package.
``DRIFT`` maps a fact name to one small function ``(before_data, after_data)
-> Drift``; a new fact kind adds one entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hardencheck.checks.operators import _version_cmp

Item = dict[str, Any]


@dataclass
class Drift:
    added: list[Item] = field(default_factory=list)
    removed: list[Item] = field(default_factory=list)
    changed: list[Item] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)
    note: str = ""

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.highlights or self.note)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"added": self.added, "removed": self.removed, "changed": self.changed,
                               "highlights": self.highlights}
        if self.note:
            out["note"] = self.note
        return out


def _items(data: dict[str, Any], *keys: str) -> list[Any]:
    """The first list found under one of ``keys`` (fact layouts vary between probe versions)."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, list):
            return value
    return []


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def keyed_diff(before: Iterable[Any], after: Iterable[Any], key: Callable[[Any], Any],
               view: Callable[[Any], Item], same: Callable[[Any, Any], bool] | None = None) -> Drift:
    """Added, removed and changed items, matched by ``key`` in dicts (never a scan of one list per item)."""
    b = {key(x): x for x in before}
    a = {key(x): x for x in after}
    same = same or (lambda x, y: _canon(view(x)) == _canon(view(y)))
    drift = Drift(added=[view(a[k]) for k in a.keys() - b.keys()],
                  removed=[view(b[k]) for k in b.keys() - a.keys()])
    for k in a.keys() & b.keys():
        if not same(b[k], a[k]):
            drift.changed.append({"key": _label(k), "before": view(b[k]), "after": view(a[k])})
    for part in (drift.added, drift.removed):
        part.sort(key=_canon)
    drift.changed.sort(key=lambda c: c["key"])
    return drift


def _label(key: Any) -> str:
    return "/".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


# -- accounts ---------------------------------------------------------------------------------------

def _account_view(u: Item) -> Item:
    pw = u.get("password") or {}
    return {"name": u.get("name"), "uid": u.get("uid"), "gid": u.get("gid"), "home": u.get("home"),
            "shell": u.get("shell"), "password": {k: pw.get(k) for k in ("algorithm", "empty", "locked")}}


def accounts(before: Item, after: Item) -> Drift:
    drift = keyed_diff(_items(before, "users"), _items(after, "users"), lambda u: u.get("name"), _account_view)
    for u in drift.added:
        if u["uid"] == 0:
            drift.highlights.append(f"new UID 0 account: {u['name']}")
        if u["password"].get("empty"):
            drift.highlights.append(f"new account with an empty password: {u['name']}")
    for c in drift.changed:
        b, a = c["before"], c["after"]
        if a["uid"] == 0 and b["uid"] != 0:
            drift.highlights.append(f"account {a['name']} now has UID 0 (was {b['uid']})")
        if a["password"].get("empty") and not b["password"].get("empty"):
            drift.highlights.append(f"account {a['name']} now has an empty password")
    return drift


# -- keys, SUID files, listeners --------------------------------------------------------------------

def _key_view(k: Any) -> Item:
    if isinstance(k, dict):
        return {f: k.get(f) for f in ("user", "file", "type", "fingerprint", "comment", "options") if f in k}
    return {"fingerprint": str(k)}


def authorized_keys(before: Item, after: Item) -> Drift:
    key = lambda k: (k.get("user", ""), k.get("fingerprint", "")) if isinstance(k, dict) else ("", str(k))
    drift = keyed_diff(_items(before, "keys", "authorized_keys"), _items(after, "keys", "authorized_keys"),
                       key, _key_view)
    for k in drift.added:
        who = k.get("user") or k.get("file") or "?"
        drift.highlights.append(f"new authorized key for {who}: {k.get('fingerprint')}")
    return drift


def _path_of(x: Any) -> str:
    return str(x.get("path", "")) if isinstance(x, dict) else str(x)


def _file_view(x: Any) -> Item:
    return dict(x) if isinstance(x, dict) else {"path": str(x)}


def suid_files(before: Item, after: Item) -> Drift:
    drift = keyed_diff(_items(before, "files", "paths"), _items(after, "files", "paths"), _path_of, _file_view)
    for f in drift.added:
        unowned = " (no package owns it)" if f.get("packaged") is False else ""
        drift.highlights.append(f"new SUID/SGID file: {f['path']}{unowned}")
    return drift


def _listener_key(x: Item) -> tuple[Any, ...]:
    return (x.get("proto"), x.get("address"), x.get("port"))


def _listener_view(x: Item) -> Item:
    return {k: x.get(k) for k in ("proto", "address", "port", "process", "wildcard")}


def listeners(before: Item, after: Item) -> Drift:
    """Listening sockets as the host reports them (``sockets``)."""
    drift = keyed_diff(_items(before, "listeners"), _items(after, "listeners"), _listener_key, _listener_view)
    for x in drift.added:
        where = "every interface" if x.get("wildcard") else x.get("address")
        drift.highlights.append(f"new listener {x.get('proto')}/{x.get('port')} on {where}"
                                + (f" ({x['process']})" if x.get("process") else ""))
    return drift


def _open_port_view(x: Item) -> Item:
    return {k: x.get(k) for k in ("proto", "port", "state", "service", "product", "version")}


def net_ports(before: Item, after: Item) -> Drift:
    """Open ports as seen from the network (``net_ports``, nmap): a service changing counts as changed."""
    drift = keyed_diff(_items(before, "ports"), _items(after, "ports"), lambda x: (x.get("proto"), x.get("port")),
                       _open_port_view)
    for x in drift.added:
        drift.highlights.append(f"port {x.get('proto')}/{x.get('port')} now open from the network"
                                + (f" ({x['service']})" if x.get("service") else ""))
    return drift


# -- packages ---------------------------------------------------------------------------------------

def packages(before: Item, after: Item) -> Drift:
    """Upgrades and downgrades by the package manager's own version order (dpkg or rpm)."""
    scheme = "rpm" if after.get("format") == "rpm" else "dpkg"
    view = lambda p: {"name": p.get("name"), "arch": p.get("arch"), "version": p.get("version")}
    drift = keyed_diff(_items(before, "packages"), _items(after, "packages"),
                       lambda p: (p.get("name"), p.get("arch")), view,
                       same=lambda x, y: x.get("version") == y.get("version"))
    for c in drift.changed:
        order = _version_cmp(c["before"]["version"], c["after"]["version"], scheme)
        c["direction"] = "upgraded" if order < 0 else "downgraded" if order > 0 else "reformatted"
        if order > 0:
            drift.highlights.append(f"package {c['key']} downgraded: {c['before']['version']} -> "
                                    f"{c['after']['version']}")
    return drift


# -- persistence: cron, systemd units, binaries -----------------------------------------------------

def _entry_view(x: Any) -> Item:
    if not isinstance(x, dict):
        return {"entry": str(x)}
    return {k: v for k, v in x.items() if k not in ("line", "lineno")}  # a job moving down a file is no change


def cron(before: Item, after: Item) -> Drift:
    drift = keyed_diff(_items(before, "jobs", "entries"), _items(after, "jobs", "entries"),
                       lambda x: _canon(_entry_view(x)), _entry_view)
    for x in drift.added:
        if "command" in x:
            drift.highlights.append(f"new cron job as {x.get('user') or '?'} in {x.get('file') or '?'}: "
                                    f"{x.get('schedule', '')} {x['command']}"[:300])
        else:
            drift.highlights.append(f"new cron entry: {_canon(x)}"[:300])
    return drift


def _unit_name(x: Any) -> str:
    return str(x.get("name") or x.get("unit") or "") if isinstance(x, dict) else str(x)


def systemd_units(before: Item, after: Item) -> Drift:
    view = lambda x: dict(x) if isinstance(x, dict) else {"name": str(x)}
    drift = keyed_diff(_items(before, "units"), _items(after, "units"), _unit_name, view)
    drift.highlights.extend(f"new systemd unit: {_unit_name(x)}" for x in drift.added)
    for c in drift.changed:
        b, a = c["before"], c["after"]
        if a.get("enabled") and not b.get("enabled"):
            drift.highlights.append(f"systemd unit now enabled: {c['key']}")
        if a.get("exec_start") != b.get("exec_start"):
            drift.highlights.append(f"systemd unit {c['key']} now runs: {a.get('exec_start')}"[:300])
    return drift


def binary_integrity(before: Item, after: Item) -> Drift:
    view = lambda x: {"path": _path_of(x), "sha256": x.get("sha256") if isinstance(x, dict) else None}
    drift = keyed_diff(_items(before, "files", "binaries"), _items(after, "files", "binaries"), _path_of, view,
                       same=lambda x, y: view(x)["sha256"] == view(y)["sha256"])
    drift.highlights.extend(f"checksum changed: {c['key']}" for c in drift.changed)
    return drift


def package_integrity(before: Item, after: Item) -> Drift:
    """Package files that differ from the package database (``dpkg --verify``/``rpm -V``), night to night."""
    view = lambda x: {k: x.get(k) for k in ("path", "attributes", "missing", "digest_changed", "conffile")}
    drift = keyed_diff(_items(before, "changed"), _items(after, "changed"), _path_of, view)
    for x in drift.added:
        if x.get("digest_changed") and not x.get("conffile"):
            drift.highlights.append(f"now differs from its package: {x['path']}")
        elif x.get("missing"):
            drift.highlights.append(f"package file now missing: {x['path']}")
    return drift


DriftFn = Callable[[Item, Item], Drift]

#: fact name -> drift function. Facts absent on both sides are skipped silently.
DRIFT: dict[str, DriftFn] = {
    "accounts": accounts,
    "authorized_keys": authorized_keys,
    "suid_files": suid_files,
    "sockets": listeners,
    "net_ports": net_ports,
    "packages": packages,
    "cron": cron,
    "systemd_units": systemd_units,
    "package_integrity": package_integrity,
    "binary_integrity": binary_integrity,
}


def _data(host: dict[str, Any], name: str) -> tuple[Item | None, str]:
    fact = (host.get("facts") or {}).get(name)
    if fact is None:
        return None, "not collected"
    if fact.get("status") != "ok":
        return None, f"{fact.get('status')}: {fact.get('reason', '')}".rstrip(": ")
    return fact.get("data") or {}, ""


def host_drift(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every fact kind that drifted on one host (or could only be read on one side, with a note)."""
    out: dict[str, dict[str, Any]] = {}
    for name, fn in DRIFT.items():
        (b, b_why), (a, a_why) = _data(before, name), _data(after, name)
        if b is None and a is None:
            continue
        if b is None or a is None:
            side, why = ("baseline", b_why) if b is None else ("later run", a_why)
            out[name] = Drift(note=f"no drift: the {side} has no usable {name} fact ({why})").to_dict()
            continue
        drift = fn(b, a)
        if drift:
            out[name] = drift.to_dict()
    return out
