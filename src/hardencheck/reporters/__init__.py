"""Reporters: pure ``render(run, comparison=None) -> str | bytes`` plugins, found by entry point.

Third-party packages add formats under the ``hardencheck.reporters`` entry-point group; the
built-in ones are also listed here so an uninstalled source tree still has them.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from hardencheck.reporters.base import Reporter

ENTRY_POINT_GROUP = "hardencheck.reporters"

#: Built-in reporters: format name -> "module:Class" (the same lines as pyproject's entry points).
BUILTIN = {
    "html": "hardencheck.reporters.htmlreport:HtmlReporter",
    "json": "hardencheck.reporters.jsondoc:JsonReporter",
    "md": "hardencheck.reporters.markdown:MarkdownReporter",
    "junit": "hardencheck.reporters.junit:JunitReporter",
    "sarif": "hardencheck.reporters.sarif:SarifReporter",
    "csv": "hardencheck.reporters.csvfile:CsvReporter",
}


def reporter_names() -> list[str]:
    """Every available format name, without importing any reporter (cheap enough for ``--help``)."""
    return sorted({*BUILTIN, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})


def _load_builtin(spec: str) -> type[Reporter]:
    module, _, attr = spec.partition(":")
    cls: type[Reporter] = getattr(import_module(module), attr)
    return cls


def get_reporter(name: str) -> Reporter:
    """The reporter for ``name``: an installed plugin of that name wins over the built-in one."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        return ep.load()()  # type: ignore[no-any-return]
    if name in BUILTIN:
        return _load_builtin(BUILTIN[name])()
    raise KeyError(f"no reporter named {name!r}; available: {', '.join(reporter_names())}")


def load_reporters() -> dict[str, Reporter]:
    """Every reporter by name: the built-in ones plus any installed plugin's."""
    return {name: get_reporter(name) for name in reporter_names()}


__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "Reporter", "get_reporter", "load_reporters", "reporter_names"]
