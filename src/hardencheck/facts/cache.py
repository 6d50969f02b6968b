"""Parse once per distinct answer: hosts cloned from one image share their parsed facts.

A POS estate is hundreds of terminals built from a handful of images, so most probes get
byte-identical raw answers from most hosts (the same PAM stack, login.defs, package database).
Parsing is a pure function of a probe's options and the raw answers it asked for, so the parsed
and redacted :class:`FactRecord` is kept under a digest of exactly those inputs and handed to
every host that returns the same bytes. The digest is also the record's ``identity``: checks
reading only identical facts evaluate identically, which lets the engine reuse their outcomes.

A probe whose parser reads anything it did not request is never shared (checked after each
parse), and the cache is bounded (least recently used out), so a fleet of all-different hosts
costs one digest per probe and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from hardencheck.facts.model import FactRecord
from hardencheck.facts.raw import ProbeRequest, RawBundle


class FactCache:
    """Parsed facts by digest of (probe, options, the raw answers it requested); thread-safe, LRU-bounded."""

    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._entries: OrderedDict[str, FactRecord] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self._options: dict[str, tuple[Mapping[str, Any], bytes]] = {}

    def _options_text(self, name: str, options: Mapping[str, Any]) -> bytes:
        """A probe's options as canonical JSON, encoded once per run (the plan's options object is reused)."""
        known = self._options.get(name)
        if known is None or known[0] is not options:
            known = (options, json.dumps(options, sort_keys=True, default=str).encode())
            self._options[name] = known
        return known[1]

    def get_or_parse(self, name: str, options: Mapping[str, Any], request: ProbeRequest, bundle: RawBundle,
                     parse: Callable[[], tuple[FactRecord, set[str]]]) -> FactRecord:
        """The shared record for these inputs, or ``parse()``'s (which returns the record and every
        source key the parser touched: file paths and ``cmd:KEY``)."""
        key, covered = answer_digest(name, self._options_text(name, options), request, bundle)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        record, touched = parse()
        if not touched <= covered:  # the parser read beyond its request: its result is this host's alone
            return record
        record.identity = key
        with self._lock:
            self._entries[key] = record
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return record


def answer_digest(name: str, options_text: bytes, request: ProbeRequest,
                  bundle: RawBundle) -> tuple[str, set[str]]:
    """sha256 over everything the probe asked for, as returned (status, flags and bytes), and the keys covered."""
    h = hashlib.sha256()
    h.update(name.encode() + b"\0")
    h.update(options_text + b"\0")
    h.update(b"meta\0" if bundle.meta else b"nometa\0")  # host vs config directory changes some parsers
    covered: set[str] = set()
    for spec in request.files:
        for path in bundle.glob(spec.path) if spec.is_glob else [spec.path]:
            f = bundle.files.get(path)
            covered.add(path)
            if f is None:
                h.update(b"F\0" + path.encode("utf-8", "surrogateescape") + b"\0-\0")
                continue
            h.update(b"F\0%s\0%s\0%s\0%d\0%d\0" % (path.encode("utf-8", "surrogateescape"), f.status.encode(),
                                                f.source.encode("utf-8", "surrogateescape"), f.truncated,
                                                len(f.content)))
            h.update(f.content)
    for cmd_spec in request.commands:
        covered.add("cmd:" + cmd_spec.key)
        h.update(json.dumps(cmd_spec.argv).encode() + b"\0")
        c = bundle.commands.get(cmd_spec.key)
        if c is None:
            h.update(b"C\0" + cmd_spec.key.encode() + b"\0-\0")
            continue
        h.update(b"C\0%s\0%s\0%s\0%d\0%d\0" % (cmd_spec.key.encode(), c.status.encode(), str(c.exit_code).encode(),
                                            c.truncated, len(c.stdout)))
        h.update(c.stdout)
    return h.hexdigest(), covered
