"""Find, validate and load check files; every error names file:line and the key, before any host is contacted."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from hardencheck.checks.model import Check
from hardencheck.checks.operators import OPERATORS
from hardencheck.checks.yamlsource import LineIndex, SourceError, SourceErrorList, load_yaml, schema_errors


@lru_cache(maxsize=None)
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
    """Schema errors plus the rules a schema cannot say: id == file name, known probes, declared params."""
    errors = schema_errors(data, check_schema(), str(file), index)
    if errors or not isinstance(data, dict):
        return errors
    if data["id"] != file.stem:
        errors.append(SourceError(str(file), index.line_of(("id",)), "id",
                                  f"id '{data['id']}' must equal the file name '{file.stem}'"))
    params = set((data.get("parameters") or {}).keys())
    for path, node in _walk(data["expect"], ("expect",)):
        if "param" in node and node["param"] not in params:
            errors.append(SourceError(str(file), index.line_of(path + ("param",)), ".".join(map(str, path)) + ".param",
                                      f"parameter '{node['param']}' is not declared under parameters:"))
        if "op" in node and node["op"] not in OPERATORS:
            errors.append(SourceError(str(file), index.line_of(path + ("op",)), "op", f"unknown operator {node['op']}"))
    check = Check.from_dict(data, str(file))
    if known_probes is not None:
        for fact in check.facts:
            if fact not in known_probes:
                errors.append(SourceError(str(file), index.line_of(("expect",)), "fact",
                                          f"no probe named '{fact}' is installed (known: {', '.join(sorted(known_probes))})"))
    if not check.facts:
        errors.append(SourceError(str(file), index.line_of(("expect",)), "expect", "no expectation names a fact"))
    return errors


def _walk(node: Any, path: tuple[Any, ...]):
    if isinstance(node, dict):
        yield path, node
        for key in ("all", "any"):
            for i, child in enumerate(node.get(key, [])):
                yield from _walk(child, path + (key, i))
        for key in ("not", "each", "some", "none", "where"):
            if key in node:
                yield from _walk(node[key], path + (key,))


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
