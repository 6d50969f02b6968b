"""Feed a probe the raw answers a target would give, without a transport (for probe-level unit tests)."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.raw import RawAnswers, RawBundle, RawCommand, RawFile


def answers(probe: Probe, files: Mapping[str, str | bytes | None], commands: Mapping[str, Any] | None = None,
            *, host: bool = True, options: Mapping[str, Any] | None = None) -> RawAnswers:
    """Raw answers for ``probe``'s request. ``files``: path -> text/bytes (``None``: unreadable).

    ``commands``: key -> stdout text, or ``(stdout, exit_code[, status])``; commands not given are "not-found" on a
    host and "unsupported" on a config directory (``host=False``), as the collector reports them.
    """
    request = probe.request(options or {})
    bundle = RawBundle(meta={"uid": "0", "complete": "yes"} if host else {})
    for spec in request.files:
        wanted = [p for p in files if (fnmatch.fnmatchcase(p, spec.path) and posixpath.dirname(p) ==
                                       posixpath.dirname(spec.path))] if spec.is_glob else [spec.path]
        for path in wanted:
            content = files.get(path, "")
            if path not in files:
                bundle.files[path] = RawFile(path, "missing", source=path)
            elif content is None:
                bundle.files[path] = RawFile(path, "unreadable", source=path)
            else:
                data = content.encode() if isinstance(content, str) else content
                bundle.files[path] = RawFile(path, "ok", data, source=path)
    for spec in request.commands:
        given = (commands or {}).get(spec.key)
        if given is None:
            bundle.commands[spec.key] = RawCommand(spec.key, spec.argv, "not-found" if host else "unsupported")
            continue
        out, code, status = (*given, "ok")[:3] if isinstance(given, tuple) else (given, 0, "ok")
        data = out.encode() if isinstance(out, str) else out
        bundle.commands[spec.key] = RawCommand(spec.key, spec.argv, status, data, exit_code=code)
    return RawAnswers(bundle, request)


def parse(probe: Probe, files: Mapping[str, str | bytes | None], commands: Mapping[str, Any] | None = None,
          *, host: bool = True, options: Mapping[str, Any] | None = None) -> ParsedFact:
    return probe.parse(answers(probe, files, commands, host=host, options=options), options or {})
