"""Read targets from the command line, hardencheck/Ansible YAML inventories and Ansible INI inventories.

The native YAML format *is* Ansible's YAML inventory shape (``all:`` /
``children:`` / ``hosts:`` / ``vars:``), so an Ansible inventory is accepted
as is; hardencheck reads ``ansible_host``, ``ansible_user``, ``ansible_port``,
``ansible_ssh_private_key_file`` and ``ansible_connection`` as well as its own
short names (``address``, ``user``, ``port``, ``key``, ``asset_class``).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.inventory.model import Target

_SPEC = re.compile(r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]]+\]|[^:@\s]+)(?::(?P<port>\d+))?$")


def parse_target_spec(spec: str, asset_class: str | None = None,
                      mappings: tuple[tuple[str, str], ...] = ()) -> Target:
    """``local``, ``dir:PATH``, ``ssh:ALIAS`` or ``[user@]host[:port]``."""
    if spec == "local":
        return Target(name="local", transport="local", address="localhost", asset_class=asset_class)
    if spec.startswith("dir:"):
        path = spec[4:]
        if not Path(path).is_dir():
            raise SourceErrorList([SourceError(spec, None, "target", f"{path} is not a directory")])
        if not mappings:
            mappings = read_map_file(Path(path))
        return Target(name=f"dir:{Path(path).resolve().name}", transport="dir", address=str(Path(path).resolve()),
                      path=str(Path(path).resolve()), asset_class=asset_class, mappings=mappings)
    if spec.startswith("ssh:"):
        spec = spec[4:]
    m = _SPEC.match(spec)
    if not m:
        raise SourceErrorList([SourceError(spec, None, "target", "expected local, dir:PATH or [user@]host[:port]")])
    host = m.group("host").strip("[]")
    return Target(name=host, transport="ssh", address=host, port=int(m.group("port")) if m.group("port") else None,
                  user=m.group("user"), asset_class=asset_class)


MAP_FILE = "hardencheck-map.yaml"


def read_map_file(repo: Path) -> tuple[tuple[str, str], ...]:
    """A repository may carry its own path mapping (``hardencheck-map.yaml``: ``mappings: {repo: target}``)."""
    f = repo / MAP_FILE
    if not f.is_file():
        return ()
    try:
        data = yaml.safe_load(f.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SourceErrorList([SourceError(str(f), None, "", f"invalid YAML: {exc}")]) from exc
    maps = data.get("mappings") if isinstance(data, dict) else None
    if not isinstance(maps, dict) or not all(str(t).startswith("/") for t in maps.values()):
        raise SourceErrorList([SourceError(str(f), None, "mappings",
                                           "expected mappings: {repo/path: /absolute/target/path}")])
    return tuple((str(k), str(v)) for k, v in maps.items())


def _target_from_vars(name: str, hostvars: dict[str, Any], groups: tuple[str, ...]) -> Target:
    v = hostvars
    connection = v.get("transport") or v.get("ansible_connection") or "ssh"
    if connection == "local":
        transport = "local"
    elif connection == "dir":
        transport = "dir"
    else:
        transport = "ssh"
    port = v.get("port", v.get("ansible_port"))
    key = v.get("key", v.get("ansible_ssh_private_key_file"))
    mappings = tuple((str(k), str(val)) for k, val in (v.get("mappings") or {}).items())
    return Target(
        name=name, transport=transport, address=str(v.get("address", v.get("ansible_host", name))),
        port=int(port) if port is not None else None, user=v.get("user", v.get("ansible_user")),
        identity_files=(str(Path(key).expanduser()),) if key else (),
        asset_class=v.get("asset_class", v.get("hardencheck_asset_class")), groups=groups,
        path=v.get("path"), mappings=mappings, vars=dict(v),
    )


def _walk_yaml_group(name: str, group: Any, inherited: dict[str, Any], groups: tuple[str, ...],
                     hosts: dict[str, tuple[dict[str, Any], tuple[str, ...]]], file: str) -> None:
    if group is None:
        return
    if not isinstance(group, dict):
        raise SourceErrorList([SourceError(file, None, name, "a group must be a mapping (hosts/children/vars)")])
    unknown = set(group) - {"hosts", "children", "vars"}
    if unknown:
        raise SourceErrorList([SourceError(file, None, name, f"unknown key(s) {sorted(unknown)} in group")])
    gvars = {**inherited, **(group.get("vars") or {})}
    path = groups + ((name,) if name != "all" else ())
    for host, hv in (group.get("hosts") or {}).items():
        prev_vars, prev_groups = hosts.get(str(host), ({}, ()))
        hosts[str(host)] = ({**prev_vars, **gvars, **(hv or {})}, tuple(dict.fromkeys(prev_groups + path)))
    for child, cg in (group.get("children") or {}).items():
        _walk_yaml_group(str(child), cg, gvars, path, hosts, file)


def _load_yaml_inventory(path: Path) -> list[Target]:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceErrorList([SourceError(str(path), mark.line + 1 if mark else None, "", f"invalid YAML: {exc}")])
    if not isinstance(data, dict):
        raise SourceErrorList([SourceError(str(path), 1, "", "an inventory is a mapping of groups")])
    hosts: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}
    top = data if "all" not in data else {"all": data["all"], **{k: v for k, v in data.items() if k != "all"}}
    for name, group in top.items():
        _walk_yaml_group(str(name), group, {}, (), hosts, str(path))
    return [_target_from_vars(h, v, g) for h, (v, g) in hosts.items()]


def _load_ini_inventory(path: Path) -> list[Target]:
    """Ansible's INI format: ``[group]`` host lines with k=v vars, ``[group:vars]``, ``[group:children]``."""
    host_vars: dict[str, dict[str, Any]] = {}
    group_hosts: dict[str, list[str]] = {}
    group_vars: dict[str, dict[str, Any]] = {}
    children: dict[str, list[str]] = {}
    section, kind = "ungrouped", "hosts"
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            m = re.match(r"^\[([^\]:]+)(?::(vars|children))?\]$", line)
            if not m:
                raise SourceErrorList([SourceError(str(path), lineno, "", f"bad section header {line!r}")])
            section, kind = m.group(1), m.group(2) or "hosts"
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise SourceErrorList([SourceError(str(path), lineno, section, str(exc))]) from exc
        if kind == "vars":
            k, _, v = line.partition("=")
            group_vars.setdefault(section, {})[k.strip()] = v.strip()
        elif kind == "children":
            children.setdefault(section, []).append(words[0])
        else:
            host, *pairs = words
            hv = dict(p.split("=", 1) for p in pairs if "=" in p)
            host_vars.setdefault(host, {}).update(hv)
            group_hosts.setdefault(section, []).append(host)

    def groups_of(host: str) -> list[str]:
        direct = [g for g, hs in group_hosts.items() if host in hs]
        out = list(direct)
        changed = True
        while changed:
            changed = False
            for parent, kids in children.items():
                if parent not in out and any(k in out for k in kids):
                    out.append(parent)
                    changed = True
        return out

    targets = []
    for host, hv in host_vars.items():
        gs = groups_of(host)
        merged: dict[str, Any] = {}
        for g in reversed(gs):  # parents first, then the host's own groups
            merged.update(group_vars.get(g, {}))
        merged.update(hv)
        targets.append(_target_from_vars(host, merged, tuple(g for g in gs if g != "ungrouped")))
    return targets


def load_inventory(path: Path) -> list[Target]:
    """Load a YAML (hardencheck/Ansible) or INI (Ansible) inventory; the format is told by content."""
    if not path.is_file():
        raise SourceErrorList([SourceError(str(path), None, "inventory", "no such file")])
    text = path.read_text(errors="replace")
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(("#", ";"))), "")
    if path.suffix in (".ini", ".cfg") or first.startswith("[") or (path.suffix == "" and "=" in first):
        return _load_ini_inventory(path)
    return _load_yaml_inventory(path)
