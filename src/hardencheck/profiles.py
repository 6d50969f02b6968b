"""Profiles: which checks run, with which parameters; ``extends`` chains like ansible-lint's profiles.

A broken profile fails at start-up with file:line, never after a scan.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hardencheck.checks.loader import builtin_dir
from hardencheck.checks.model import Check, Severity
from hardencheck.checks.yamlsource import LineIndex, SourceError, SourceErrorList, load_yaml, schema_errors


@cache
def _schema() -> dict[str, Any]:
    return json.loads(resources.files("hardencheck").joinpath("schemas/profile.schema.json").read_text())


@dataclass
class Profile:
    """A resolved profile (its ``extends`` chain already merged)."""

    name: str
    description: str = ""
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    check_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameter_notes: dict[str, str] = field(default_factory=dict)
    probe_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    sha256: str = ""

    def selects(self, check: Check) -> bool:
        def hit(sel: str) -> bool:
            return selector_matches(sel, check)

        included = not self.include or any(hit(s) for s in self.include)
        return included and not any(hit(s) for s in self.exclude)

    def params_for(self, check: Check) -> dict[str, Any]:
        params = dict(check.parameters)
        params.update({k: v for k, v in self.parameters.items() if k in check.parameters})
        params.update(self.check_parameters.get(check.id, {}))
        return params

    def select(self, checks: dict[str, Check]) -> dict[str, Check]:
        return {cid: c for cid, c in sorted(checks.items()) if self.selects(c)}


def selector_matches(sel: str, check: Check) -> bool:
    """``tag:NAME``, ``severity:LEVEL``, ``severity>=LEVEL``, or a check id glob."""
    if sel.startswith("tag:"):
        return sel[4:] in check.tags
    if sel.startswith("severity>="):
        return check.severity.rank >= Severity(sel[len("severity>="):]).rank
    if sel.startswith("severity:"):
        return check.severity.value == sel[len("severity:"):]
    return fnmatch.fnmatchcase(check.id, sel)


def profile_dirs(extra: list[Path] | None = None) -> list[Path]:
    return [*(extra or []), builtin_dir("profiles")]


def available_profiles(dirs: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in reversed(dirs):
        if d.is_dir():
            found.update({p.stem: p for p in sorted(d.glob("*.yaml"))})
    return found


def load_profile(name_or_file: str, dirs: list[Path], checks: dict[str, Check] | None = None) -> Profile:
    """Resolve a profile by name (from ``dirs``) or path; raises SourceErrorList on any problem."""
    known = available_profiles(dirs)
    path = Path(name_or_file)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        if name_or_file not in known:
            raise SourceErrorList([SourceError(name_or_file, None, "profile",
                                               f"no such profile (available: {', '.join(sorted(known)) or 'none'})")])
        path = known[name_or_file]
    profile, origins = _resolve(path, known, [])
    if checks is not None:
        _check_references(profile, origins, str(path), checks)
    return profile


#: Where each include/exclude entry, parameter and check parameter of a resolved profile was written:
#: ``("include", i)``, ``("exclude", i)`` (indices into the merged lists), ``("parameters", name)``,
#: ``("check_parameters", id)`` and ``("check_parameters", id, name)`` -> (file, line).
_Origins = dict[tuple[Any, ...], tuple[str, int | None]]


def _resolve(path: Path, known: dict[str, Path], seen: list[str]) -> tuple[Profile, _Origins]:
    data, index = load_yaml(path)
    errors = schema_errors(data, _schema(), str(path), index)
    if errors:
        raise SourceErrorList(errors)
    if data["name"] in seen:
        raise SourceErrorList([SourceError(str(path), index.line_of(("extends",)), "extends",
                                           f"extends cycle: {' -> '.join(seen + [data['name']])}")])
    parents = data.get("extends") or []
    parents = [parents] if isinstance(parents, str) else parents
    merged = Profile(name=data["name"])
    origins: _Origins = {}
    for parent in parents:
        if parent not in known:
            raise SourceErrorList([SourceError(str(path), index.line_of(("extends",)), "extends",
                                               f"unknown parent profile '{parent}'")])
        base, base_origins = _resolve(known[parent], known, seen + [data["name"]])
        shift = {"include": len(merged.include), "exclude": len(merged.exclude)}
        origins.update({(key[0], key[1] + shift[key[0]]) if key[0] in shift else key: where
                        for key, where in base_origins.items()})
        merged.include += base.include
        merged.exclude += base.exclude
        merged.parameters.update(base.parameters)
        merged.parameter_notes.update(base.parameter_notes)
        for cid, p in base.check_parameters.items():
            merged.check_parameters.setdefault(cid, {}).update(p)
        for probe, o in base.probe_options.items():
            merged.probe_options.setdefault(probe, {}).update(o)
        merged.chain += base.chain
    origins.update(_own_origins(data, str(path), index, merged))
    merged.description = data["description"].strip()
    merged.include += data.get("include") or []
    merged.exclude += data.get("exclude") or []
    merged.parameters.update(data.get("parameters") or {})
    merged.parameter_notes.update(data.get("parameter_notes") or {})
    for cid, p in (data.get("check_parameters") or {}).items():
        merged.check_parameters.setdefault(cid, {}).update(p)
    for probe, o in (data.get("probe_options") or {}).items():
        merged.probe_options.setdefault(probe, {}).update(o)
    merged.chain.append(data["name"])
    resolved = {k: v for k, v in dataclasses.asdict(merged).items() if k != "sha256"}
    merged.sha256 = hashlib.sha256(json.dumps(resolved, sort_keys=True, default=str).encode()).hexdigest()
    return merged, origins


def _own_origins(data: dict[str, Any], file: str, index: LineIndex, merged: Profile) -> _Origins:
    """The origins of one file's own entries, before they are appended to what its parents gave."""
    out: _Origins = {}
    for kind, before in (("include", len(merged.include)), ("exclude", len(merged.exclude))):
        for i, _ in enumerate(data.get(kind) or []):
            out[(kind, before + i)] = (file, index.line_of((kind, i)))
    for name in data.get("parameters") or {}:
        out[("parameters", name)] = (file, index.line_of(("parameters", name)))
    for cid, params in (data.get("check_parameters") or {}).items():
        out[("check_parameters", cid)] = (file, index.line_of(("check_parameters", cid)))
        for name in params:
            out[("check_parameters", cid, name)] = (file, index.line_of(("check_parameters", cid, name)))
    return out


def _check_references(profile: Profile, origins: _Origins, file: str, checks: dict[str, Check]) -> None:
    """A selector or parameter that matches nothing is almost always a typo: fail early, at its line."""
    errors = []

    def error(at: tuple[Any, ...], key: str, message: str) -> None:
        errors.append(SourceError(*origins.get(at, (file, None)), key, message))

    for kind in ("include", "exclude"):
        for i, sel in enumerate(getattr(profile, kind)):
            if sel.startswith("severity"):
                level = sel.split(":", 1)[1] if sel.startswith("severity:") else sel[len("severity>="):]
                if not sel.startswith(("severity:", "severity>=")) or level not in {s.value for s in Severity}:
                    error((kind, i), kind, f"bad selector '{sel}': use severity:LEVEL or severity>=LEVEL "
                                           f"with LEVEL one of {', '.join(s.value for s in Severity)}")
                    continue
            if not any(selector_matches(sel, c) for c in checks.values()):
                what = f"has tag '{sel[4:]}'" if sel.startswith("tag:") else f"matches '{sel}'"
                error((kind, i), kind, f"no check {what}")
    declared = {p for c in checks.values() for p in c.parameters}
    for name in profile.parameters:
        if name not in declared:
            error(("parameters", name), "parameters", f"no check declares parameter '{name}'")
    for cid, params in profile.check_parameters.items():
        if cid not in checks:
            error(("check_parameters", cid), "check_parameters", f"unknown check '{cid}'")
            continue
        for name in params:
            if name not in checks[cid].parameters:
                error(("check_parameters", cid, name), f"check_parameters.{cid}",
                      f"check '{cid}' has no parameter '{name}'")
    if errors:
        raise SourceErrorList(errors)
