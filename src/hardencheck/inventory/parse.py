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

from hardencheck.checks.yamlsource import LineIndex, SourceError, SourceErrorList, load_yaml
from hardencheck.inventory.model import Target
from hardencheck.inventory.netspec import DEFAULT_MAX_HOSTS, expand_inventory

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
    spec = spec.removeprefix("ssh:")
    m = _SPEC.match(spec)
    if not m:
        raise SourceErrorList([SourceError(spec, None, "target", "expected local, dir:PATH or [user@]host[:port]")])
    host = m.group("host").strip("[]")
    try:
        port = _port(m.group("port"))
    except ValueError as exc:
        raise SourceErrorList([SourceError(spec, None, "target", f"port {exc}")]) from None
    return Target(name=host, transport="ssh", address=host, port=port, user=m.group("user"), asset_class=asset_class)


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


def _target_from_vars(name: str, hostvars: dict[str, Any], groups: tuple[str, ...], file: str,
                      line: int | None = None) -> Target:
    v = hostvars
    connection = v.get("transport") or v.get("ansible_connection") or "ssh"
    if connection == "local":
        transport = "local"
    elif connection == "dir":
        transport = "dir"
    elif connection == "network" or str(v.get("network_only", "")).lower() in ("true", "yes", "1"):
        transport = "network"  # reached by nmap only (PIN pads, printers); see inventory/netspec.py
    else:
        transport = "ssh"
    port_var = "port" if "port" in v else "ansible_port"
    try:
        port = _port(v.get(port_var))
    except ValueError as exc:
        raise SourceErrorList([SourceError(file, line, name, f"{port_var}: {exc}")]) from None
    key = v.get("key", v.get("ansible_ssh_private_key_file"))
    mappings = tuple((str(k), str(val)) for k, val in (v.get("mappings") or {}).items())
    return Target(
        name=name, transport=transport, address=str(v.get("address", v.get("ansible_host", name))),
        port=port, user=v.get("user", v.get("ansible_user")),
        identity_files=(str(Path(key).expanduser()),) if key else (),
        asset_class=v.get("asset_class", v.get("hardencheck_asset_class")), groups=groups,
        path=v.get("path"), mappings=mappings, vars=dict(v),
    )


def _port(value: Any) -> int | None:
    """A TCP port from an int or a digit string, None when unset; ValueError when it is not a port."""
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{value!r} is not a port number (1-65535)")
    return value


class _Groups:
    """Ansible's group model, shared by both formats: what each host gets from its groups.

    Vars are kept apart by owner so precedence does not depend on reading order: ``all``,
    then the host's groups from parents to children (siblings in the order first seen, the
    later one winning), then the host's own vars, which always win.
    """

    def __init__(self, file: str):
        self.file = file
        self.vars: dict[str, dict[str, Any]] = {}
        self.parents: dict[str, list[str]] = {}
        self.order: dict[str, int] = {}
        self.host_vars: dict[str, dict[str, Any]] = {}
        self.host_groups: dict[str, list[str]] = {}
        self.host_line: dict[str, int | None] = {}

    def group(self, name: str, parent: str | None = None, gvars: dict[str, Any] | None = None) -> None:
        self.order.setdefault(name, len(self.order))
        self.vars.setdefault(name, {}).update(gvars or {})
        if parent is not None and parent != name and parent not in self.parents.setdefault(name, []):
            self.parents[name].append(parent)

    def host(self, name: str, group: str, hvars: dict[str, Any] | None, line: int | None) -> None:
        self.group(group)
        self.host_vars.setdefault(name, {}).update(hvars or {})
        self.host_line.setdefault(name, line)
        if group not in self.host_groups.setdefault(name, []):
            self.host_groups[name].append(group)

    def groups_of(self, host: str) -> list[str]:
        """The host's own groups, then their ancestors (nearest first)."""
        out = list(self.host_groups.get(host, []))
        for g in out:  # grows while it is walked
            out.extend(p for p in self.parents.get(g, []) if p not in out)
        return out

    def merged_vars(self, host: str) -> dict[str, Any]:
        depth: dict[str, int] = {"all": 0}
        groups = [g for g in self.groups_of(host) if g != "all"]
        ranked = sorted(groups, key=lambda g: (self._depth(g, depth, ()), self.order.get(g, 0)))
        merged = dict(self.vars.get("all", {}))
        for g in ranked:
            merged.update(self.vars.get(g, {}))
        merged.update(self.host_vars.get(host, {}))
        return merged

    def _depth(self, group: str, depth: dict[str, int], stack: tuple[str, ...]) -> int:
        if group in depth:
            return depth[group]
        if group in stack:
            raise SourceErrorList([SourceError(self.file, None, group,
                                               f"group cycle: {' -> '.join(stack + (group,))}")])
        parents = [p for p in self.parents.get(group, []) if p != "all"]
        depth[group] = 1 + max((self._depth(p, depth, stack + (group,)) for p in parents), default=0)
        return depth[group]

    def targets(self, groups_shown: dict[str, list[str]] | None = None) -> list[Target]:
        """One target per host, in the order first seen; every bad host is reported, not just the first."""
        targets, errors = [], []
        for host in self.host_vars:
            shown = list((groups_shown or {}).get(host, []))
            shown += [g for g in self.groups_of(host) if g not in shown]
            try:
                targets.append(_target_from_vars(host, self.merged_vars(host),
                                                 tuple(g for g in shown if g not in ("all", "ungrouped")),
                                                 self.file, self.host_line.get(host)))
            except SourceErrorList as exc:
                errors.extend(exc.errors)
        if errors:
            raise SourceErrorList(errors)
        return targets


def _walk_yaml_group(name: str, group: Any, parent: str | None, shown: tuple[str, ...], at: tuple[Any, ...],
                     model: _Groups, groups_shown: dict[str, list[str]], index: LineIndex) -> None:
    file = model.file
    if group is not None and not isinstance(group, dict):
        raise SourceErrorList([SourceError(file, index.line_of(at), name,
                                           "a group must be a mapping (hosts/children/vars)")])
    group = group or {}
    unknown = set(group) - {"hosts", "children", "vars"}
    if unknown:
        raise SourceErrorList([SourceError(file, index.line_of(at), name,
                                           f"unknown key(s) {sorted(map(str, unknown))} in group")])
    for key in ("hosts", "children", "vars"):
        if group.get(key) is not None and not isinstance(group[key], dict):
            raise SourceErrorList([SourceError(file, index.line_of(at + (key,)), f"{name}.{key}",
                                               f"{key} must be a mapping")])
    model.group(name, parent, group.get("vars"))
    shown = shown + ((name,) if name != "all" else ())
    for host, hv in (group.get("hosts") or {}).items():
        if hv is not None and not isinstance(hv, dict):
            raise SourceErrorList([SourceError(file, index.line_of(at + ("hosts", str(host))), str(host),
                                               "host vars must be a mapping")])
        model.host(str(host), name, hv, index.line_of(at + ("hosts", str(host))))
        groups_shown[str(host)] = list(dict.fromkeys(groups_shown.get(str(host), []) + list(shown)))
    for child, cg in (group.get("children") or {}).items():
        _walk_yaml_group(str(child), cg, name, shown, at + ("children", str(child)), model, groups_shown, index)


def _load_yaml_inventory(path: Path) -> list[Target]:
    data, index = load_yaml(path)
    if not isinstance(data, dict):
        raise SourceErrorList([SourceError(str(path), 1, "", "an inventory is a mapping of groups")])
    model = _Groups(str(path))
    model.group("all")
    groups_shown: dict[str, list[str]] = {}
    top = data if "all" not in data else {"all": data["all"], **{k: v for k, v in data.items() if k != "all"}}
    for name, group in top.items():
        _walk_yaml_group(str(name), group, None if name == "all" else "all", (), (str(name),), model,
                         groups_shown, index)
    return model.targets(groups_shown)


def _load_ini_inventory(path: Path) -> list[Target]:
    """Ansible's INI format: ``[group]`` host lines with k=v vars, ``[group:vars]``, ``[group:children]``."""
    file = str(path)
    model = _Groups(file)
    model.group("all")
    section, kind = "ungrouped", "hosts"
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            m = re.match(r"^\[([^\]:]+)(?::(vars|children))?\]$", line)
            if not m:
                raise SourceErrorList([SourceError(file, lineno, "", f"bad section header {line!r}")])
            section, kind = m.group(1), m.group(2) or "hosts"
            model.group(section, None if section == "all" else "all")
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise SourceErrorList([SourceError(file, lineno, section, str(exc))]) from exc
        if not words:
            continue
        if kind == "vars":
            k, sep, v = " ".join(words).partition("=")  # unquoted like host vars: a="b c" -> b c
            if not sep or not k.strip():
                raise SourceErrorList([SourceError(file, lineno, section, f"expected key=value, got {line!r}")])
            model.group(section, gvars={k.strip(): v.strip()})
        elif kind == "children":
            model.group(words[0], section)
        else:
            host, *pairs = words
            bad = [p for p in pairs if "=" not in p]
            if bad:
                raise SourceErrorList([SourceError(file, lineno, host, f"expected key=value, got {bad[0]!r}")])
            model.host(host, section, dict(p.split("=", 1) for p in pairs), lineno)
    return model.targets()


def load_inventory(path: Path, max_hosts: int = DEFAULT_MAX_HOSTS) -> list[Target]:
    """Load a YAML (hardencheck/Ansible) or INI (Ansible) inventory; the format is told by content.

    Network-only hosts whose address is a range or list become one target per address.
    """
    return expand_inventory(_load_inventory(path), str(path), max_hosts)


def _load_inventory(path: Path) -> list[Target]:
    if not path.is_file():
        raise SourceErrorList([SourceError(str(path), None, "inventory", "no such file")])
    text = path.read_text(errors="replace")
    if _is_ini(path, text):
        return _load_ini_inventory(path)
    return _load_yaml_inventory(path)


def _is_ini(path: Path, text: str) -> bool:
    """Tell the format by suffix, else by content: Ansible's classic ``hosts`` file has no suffix.

    Without a telling suffix, text that YAML reads as a scalar (``bastion`` or ``web1 ansible_port=22``
    on the first line) or as a mapping of scalars is INI; a mapping with groups, a list, an empty
    file or text that breaks YAML on a ``key:`` line stay YAML, so their errors are YAML's.
    """
    if path.suffix in (".yaml", ".yml", ".json"):
        return False
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(("#", ";"))), "")
    if path.suffix in (".ini", ".cfg") or first.startswith("["):
        return True
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        return not re.search(r":(\s|$)", first)
    if isinstance(data, dict):
        return bool(data) and all(v is not None and not isinstance(v, dict | list) for v in data.values())
    return isinstance(data, str | int | float)
