"""``file``: existence, size, hash and (bounded) text of files that checks name in ``collect``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers

_TEXT_LIMIT = 64 * 1024


class FileContentProbe(Probe):
    name = "file"
    description = "Existence, size, sha256 and first lines of files named by checks (e.g. /etc/ld.so.preload)."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=tuple(FileSpec(p, max_bytes=1024 * 1024) for p in options.get("paths", [])))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        fact = ParsedFact(data={"files": {}})
        for path in options.get("paths", []):
            for p in (raw.glob(path) if FileSpec(path).is_glob else [path]):
                f = raw.file(p)
                status = f.status if f is not None else "incomplete"
                entry: dict[str, Any] = {"exists": status in ("ok", "unreadable", "not-a-file"), "status": status}
                if f is not None and status == "ok":
                    text = f.content[:_TEXT_LIMIT].decode("utf-8", "replace")
                    entry.update(size=len(f.content), sha256=f.sha256, lines=[ln.rstrip("\r") for ln in
                                                                             text.splitlines()][:500])
                    first = next((i for i, ln in enumerate(entry["lines"]) if ln.strip()), None)
                    fact.locate(f"files/{p}", p, None if first is None else first + 1,
                                "" if first is None else entry["lines"][first])
                else:
                    fact.locate(f"files/{p}", p, None, f"({status})")
                fact.data["files"][p] = entry
        return fact
