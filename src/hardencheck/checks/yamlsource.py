"""YAML loading that remembers line numbers, so every error names file:line and the key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class SourceError:
    """One problem in a user's file, located."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key + ': ' if self.key else ''}{self.message}"


class LineIndex:
    """Maps a JSON path (tuple of keys/indices) to the line where it starts in the YAML file."""

    def __init__(self, node: yaml.Node | None):
        self.lines: dict[tuple[Any, ...], int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value
                self.lines[path + (key,)] = k.start_mark.line + 1
                self._walk(v, path + (key,))
                self.lines[path + (key,)] = k.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, path + (i,))

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)


# libyaml's C scanner and parser where PyYAML was built with it (10x faster on the check library);
# the constructors, and so the behaviour, are the same Python code either way.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that keeps timestamps as the strings written.

    PyYAML turns a bare ``2030-02-30`` into a ``ValueError`` from ``datetime`` (not a YAMLError, so it has
    no line), and a bare ``2030-01-31`` into a ``date``; as strings, dates are checked by whoever reads
    them (schema ``format``/``pattern``, ``date.fromisoformat``) and every error keeps its line.
    """


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def load_yaml(path: Path) -> tuple[Any, LineIndex]:
    """Parse one YAML document; raises :class:`SourceErrorList` with a located message on bad syntax."""
    text = path.read_text(encoding="utf-8", errors="replace")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceErrorList([SourceError(str(path), mark.line + 1 if mark else None, "",
                                           f"invalid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    except ValueError as exc:  # a constructor's own error; no mark to point at
        raise SourceErrorList([SourceError(str(path), None, "", f"invalid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    return data, LineIndex(node)


class SourceErrorList(Exception):
    """Every error found in one or more files; the CLI prints them all and exits 2."""

    def __init__(self, errors: list[SourceError]):
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


@lru_cache(maxsize=16)
def _validator(schema_json: str) -> Any:
    """One compiled validator per schema, not one per file validated."""
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(schema_json))


def schema_errors(data: Any, schema: dict[str, Any], file: str, index: LineIndex) -> list[SourceError]:
    """Validate against a JSON Schema; one located error per problem, the most specific first."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        leaf = _most_specific(err)
        path = tuple(leaf.absolute_path)
        if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
            allowed = set(leaf.schema.get("properties", {}))
            for extra in (k for k in leaf.instance if k not in allowed):
                hint = _closest(str(extra), allowed)
                out.append(SourceError(file, index.line_of(path + (extra,)), ".".join(map(str, path + (extra,))),
                                       "unknown key" + (f" (did you mean '{hint}'?)" if hint else "")))
            continue
        key = ".".join(map(str, path)) or "(top level)"
        out.append(SourceError(file, index.line_of(path), key, leaf.message))
    return out


def _closest(word: str, candidates: set[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.75)
    return match[0] if match else None


def _most_specific(err: Any) -> Any:
    """For oneOf/anyOf failures, report the branch that got furthest, not 'is not valid under any'.

    A branch that failed only on ``type`` did not get anywhere, so among equally deep errors one from a
    branch whose type fits the instance wins (``hosts: []`` is a too-short list, not a non-string).
    """
    best = err
    while best.context:
        best = max(best.context, key=lambda e: (len(e.absolute_path), e.validator != "type",
                                                -len(e.context or [])))
    return best
