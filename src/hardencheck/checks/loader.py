"""Find, validate and load check files; every error names file:line and the key, before any host is contacted."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hardencheck.checks.model import Check
from hardencheck.checks.operators import OPERATORS
from hardencheck.checks.yamlsource import LineIndex, SourceError, SourceErrorList, load_yaml, schema_errors


@cache
def check_schema() -> dict[str, Any]:
    return json.loads(resources.files("hardencheck").joinpath("schemas/check.schema.json").read_text())


def builtin_dir(kind: str) -> Path:
    """The shipped ``checks`` or ``profiles`` folder: inside the wheel, or at the top of a source tree."""
    packaged = Path(str(resources.files("hardencheck"))) / "_builtin" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / kind


def check_files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.y*ml") if q.suffix in (".yaml", ".yml")))
        else:
            out.append(p)
    return out


def validate_check(data: Any, file: Path, index: LineIndex, known_probes: set[str] | None) -> list[SourceError]:
    """Schema errors plus the rules a schema cannot say: id == file name, known probes, declared params,
    and a fact (own or inherited) for every leaf and quantifier, each reported at its own line."""
    errors = schema_errors(data, check_schema(), str(file), index)
    if errors or not isinstance(data, dict):
        return errors
    if data["id"] != file.stem:
        errors.append(SourceError(str(file), index.line_of(("id",)), "id",
                                  f"id '{data['id']}' must equal the file name '{file.stem}'"))
    params = set((data.get("parameters") or {}).keys())
    where = str(file)
    unread: list[tuple[Any, ...]] = []
    for path, node, fact in _walk(data["expect"], ("expect",), None):
        if "param" in node and node["param"] not in params:
            errors.append(SourceError(where, index.line_of(path + ("param",)), _key(path + ("param",)),
                                      f"parameter '{node['param']}' is not declared under parameters:"))
        if "op" in node and node["op"] not in OPERATORS:
            errors.append(SourceError(where, index.line_of(path + ("op",)), "op", f"unknown operator {node['op']}"))
        if fact is None and ("op" in node or "path" in node):
            unread.append(path)
        for at, name in _named_facts(node, path):
            if known_probes is not None and name not in known_probes:
                errors.append(SourceError(where, index.line_of(at), "fact", _unknown_probe(name, known_probes)))
    if unread and next(_named_facts_anywhere(data["expect"]), None) is None:
        errors.append(SourceError(where, index.line_of(("expect",)), "expect", "no expectation names a fact"))
    else:
        errors.extend(SourceError(where, index.line_of(path), _key(path),
                                  "this condition reads no fact: give it (or a node above it) a fact:")
                      for path in unread)
    if known_probes is not None:
        for name in data.get("collect") or {}:
            if name not in known_probes:
                errors.append(SourceError(where, index.line_of(("collect", name)), f"collect.{name}",
                                          _unknown_probe(name, known_probes)))
        if (data.get("applies_to") or {}).get("os_family") and "os_release" not in known_probes:
            errors.append(SourceError(where, index.line_of(("applies_to", "os_family")), "applies_to.os_family",
                                      _unknown_probe("os_release", known_probes)))
    return errors


def _key(path: tuple[Any, ...]) -> str:
    return ".".join(map(str, path))


def _unknown_probe(name: str, known: set[str]) -> str:
    return f"no probe named '{name}' is installed (known: {', '.join(sorted(known))})"


def _named_facts(node: dict[str, Any], path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    """The probe names one node spells out, each with the path of its own ``fact:`` key."""
    out = []
    if isinstance(node.get("fact"), str):
        out.append((path + ("fact",), node["fact"]))
    ref = node.get("value_from")
    if isinstance(ref, dict) and isinstance(ref.get("fact"), str):
        out.append((path + ("value_from", "fact"), ref["fact"]))
    return out


def _named_facts_anywhere(expect: Any):
    for path, node, _ in _walk(expect, (), None):
        yield from _named_facts(node, path)


def _walk(node: Any, path: tuple[Any, ...], fact: str | None):
    """Every node of an expectation with its path and the fact it reads (its own, else inherited)."""
    if isinstance(node, dict):
        fact = node.get("fact", fact)
        yield path, node, fact
        for key in ("all", "any"):
            for i, child in enumerate(node.get(key, [])):
                yield from _walk(child, path + (key, i), fact)
        for key in ("not", "each", "some", "none", "where"):
            if key in node:
                yield from _walk(node[key], path + (key,), fact)


def load_checks(paths: list[Path], known_probes: set[str] | None = None) -> dict[str, Check]:
    """Load every check under ``paths``; raise :class:`SourceErrorList` with *all* errors if any file is bad."""
    checks: dict[str, Check] = {}
    errors: list[SourceError] = []
    for file in check_files(paths):
        try:
            data, index = load_yaml(file)
        except SourceErrorList as exc:
            errors.extend(exc.errors)
            continue
        errs = validate_check(data, file, index, known_probes)
        if errs:
            errors.extend(errs)
            continue
        if data["id"] in checks:
            errors.append(SourceError(str(file), index.line_of(("id",)), "id",
                                      f"duplicate id, also in {checks[data['id']].source_file}"))
            continue
        checks[data["id"]] = Check.from_dict(data, str(file))
    if errors:
        raise SourceErrorList(errors)
    return checks
