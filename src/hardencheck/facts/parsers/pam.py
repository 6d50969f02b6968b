"""Effective PAM stacks per service, as Linux-PAM 1.5 (Debian 12) would load them.

The question after a breach is rarely "is pam_faillock installed" but "does
it actually run, and does its failure stop a login". So each service's
stacks are flattened the way libpam flattens them (``@include``, ``include``,
``substack``), and every entry says whether it is ``enforcing`` and which
earlier modules can skip it (``bypassed_by``). Commented-out module lines are
kept too: "pam_google_authenticator is commented out" is a finding.

Reading follows libpam's ``_pam_assemble_line`` (1.5.x): ``#`` cuts the rest
of a line anywhere (even inside brackets), a trailing backslash continues the
line, and comment-only lines inside a continuation are skipped. Control-flow
rules are in :mod:`hardencheck.facts.parsers._pam_flow`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._pam_flow import Node, is_enforcing, is_optional, mark_bypasses, parse_control
from hardencheck.facts.parsers._text import as_text, excerpt, iter_lines, show, warn

TYPES = ("auth", "account", "password", "session")
DEFAULT_PAM_SERVICES = ("sshd", "sudo", "common-auth", "common-password", "login", "su")
MAX_INCLUDE_LEVEL = 16
"""libpam's PAM_SUBSTACK_MAX_LEVEL: deeper includes abort loading."""
MAX_LOADS = 256
"""File loads per service: a file including itself twice would otherwise cost 2**16 loads."""
MAX_ENTRIES = 1000
"""Entries per stack; real stacks have a few dozen, and bypass analysis is quadratic."""

INCLUDE_ONLY = frozenset(
    {
        "common-auth",
        "common-account",
        "common-password",
        "common-session",
        "common-session-noninteractive",
        "system-auth",
        "password-auth",
        "fingerprint-auth",
        "smartcard-auth",
        "postlogin",
        "system-login",
        "system-local-login",
        "system-remote-login",
        "system-services",
    }
)
"""Files that exist to be included, not services: no ``other`` fallback is applied to them."""

ReadFn = Callable[[str], "str | None"]
_COMMENTED = re.compile(
    r"#[#\s]*(-?)(auth|account|password|session)\s+(\[[^\]]*\]|\S+)\s+(\S+)", re.IGNORECASE
)


def parse_pam(read: ReadFn, services: list[str], pam_dir: str = "/etc/pam.d") -> ParsedFact:
    """Build ``data["services"][svc][type]`` (list of entries) for each named service.

    A missing service file gives ``None`` there, is listed in
    ``data["missing"]``, and — as libpam does — the ``other`` service is
    loaded in its place; a service file lacking a whole type also gets
    ``other``'s entries for it (``data["fallback"][svc]`` lists the types).
    ``data["errors"]`` lists lines libpam turns into an always-failing
    handler (e.g. an include of a missing file).
    """
    fact = ParsedFact()
    loader = _Loader(read, pam_dir.rstrip("/") or "/", fact)
    data: dict[str, Any] = {"services": {}, "commented": {}, "missing": [], "fallback": {}, "errors": []}
    fact.data = data
    for service in dict.fromkeys(services):
        stacks = loader.load_service(service)
        data["commented"][service] = loader.commented.pop(service, [])
        if stacks is None:
            data["services"][service] = None
            data["missing"].append(service)
            data["fallback"][service] = list(TYPES)
            warn(fact, f"{loader.path(service)}: missing; Linux-PAM uses {loader.path('other')} instead")
            continue
        empty = [kind for kind in TYPES if not stacks[kind]]
        if empty and service != "other" and service not in INCLUDE_ONLY:
            other = loader.load_service("other") or {}
            for kind in empty:
                stacks[kind] = [
                    dict(e, included_from=f"{loader.path('other')} (fallback)") for e in other.get(kind, [])
                ]
            data["fallback"][service] = empty
        data["services"][service] = stacks
    if any(data["fallback"].values()) and "other" not in data["services"]:
        data["services"]["other"] = loader.load_service("other")
        data["commented"]["other"] = loader.commented.pop("other", [])
    data["errors"] = loader.errors
    _record_locations(fact)
    return fact


@dataclass
class _Context:
    """Where a file is being loaded from: service, type filter, substack level, include chain."""

    service: str
    only: str | None
    level: int
    depth: int
    included_from: str | None


@dataclass
class _Loader:
    read: ReadFn
    pam_dir: str
    fact: ParsedFact
    commented: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    _seen_comments: set[tuple[str, str, int]] = field(default_factory=set)
    _cache: dict[str, list[tuple[int, str, list[tuple[str, bool]]]] | None] = field(default_factory=dict)
    _comment_cache: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _loads: int = 0
    _error_keys: set[tuple[str, str, int, str]] = field(default_factory=set)

    def path(self, name: str) -> str:
        return name if name.startswith("/") else f"{self.pam_dir}/{name}"

    def load_service(self, service: str) -> dict[str, list[dict[str, Any]]] | None:
        nodes: dict[str, list[Node]] = {kind: [] for kind in TYPES}
        self.commented.setdefault(service, [])
        self._loads = 0
        if not self._load(service, _Context(service, None, 0, 0, None), nodes):
            return None
        for kind in TYPES:
            mark_bypasses(nodes[kind])
        return {kind: [n.entry for n in nodes[kind] if n.entry is not None] for kind in TYPES}

    def _load(self, name: str, ctx: _Context, nodes: dict[str, list[Node]]) -> bool:
        path = self.path(name)
        lines = self._lines(path, ctx.service)
        if lines is None:
            return False
        self._loads += 1
        if self._loads > MAX_LOADS:
            warn(
                self.fact,
                f"{path}: more than {MAX_LOADS} includes for service {show(ctx.service)}; rest not followed",
            )
            return True
        for number, line, tokens in lines:
            if self._loads > MAX_LOADS:
                break
            self._line(tokens, line, number, path, ctx, nodes)
        return True

    def _lines(self, path: str, service: str) -> list[tuple[int, str, list[tuple[str, bool]]]] | None:
        """Read and assemble a file once, however often it is included."""
        if path not in self._cache:
            raw = self.read(path)
            text = None if raw is None else as_text(raw)
            if text is not None and "\r\n" in text:
                warn(
                    self.fact,
                    f"{path}: CRLF line endings; libpam does not strip '\\r', "
                    "so module names on these lines would not load",
                )
            self._cache[path] = (
                None
                if text is None
                else [(n, line, _tokens(line)) for n, line in _logical_lines(text, self.fact, path)]
            )
            if text is not None:
                self._comment_cache[path] = _commented_lines(text, path)
        if self._cache[path] is not None:
            self._add_comments(path, service)
        return self._cache[path]

    def _line(
        self,
        tokens: list[tuple[str, bool]],
        line: str,
        number: int,
        path: str,
        ctx: _Context,
        nodes: dict[str, list[Node]],
    ) -> None:
        if not tokens:
            return
        where = f"{path}:{number}"
        if tokens[0][0] == "@include":
            target = tokens[1][0] if len(tokens) > 1 else None
            self._include(target, where, ctx, ctx.only, ctx.level, nodes)
            return
        dash = tokens[0][0].startswith("-")
        kind = tokens[0][0][dash:].lower()
        if kind not in TYPES:
            self._error(
                ctx,
                path,
                number,
                f"illegal module type {show(tokens[0][0])}; libpam installs an always-failing handler",
            )
            return
        if ctx.only is not None and kind != ctx.only:
            return
        if len(tokens) < 3:
            self._error(
                ctx, path, number, "no control flag or module; libpam installs an always-failing handler"
            )
            return
        control, actions, problem = parse_control(*tokens[1])
        if problem:
            warn(self.fact, f"{where}: {show(problem, 120)}")
        if control in ("include", "substack"):
            level = ctx.level + (control == "substack")
            if control == "substack":
                nodes[kind].append(Node(None, ctx.level))
            self._include(tokens[2][0], where, ctx, kind, level, nodes)
            return
        if len(nodes[kind]) >= MAX_ENTRIES:
            warn(
                self.fact,
                f"{where}: {kind} stack of {show(ctx.service)} longer than {MAX_ENTRIES} entries; "
                "rest ignored",
            )
            return
        nodes[kind].append(
            Node(self._entry(tokens, kind, dash, control, actions, path, number, line, ctx), ctx.level)
        )

    def _include(
        self,
        target: str | None,
        where: str,
        ctx: _Context,
        only: str | None,
        level: int,
        nodes: dict[str, list[Node]],
    ) -> None:
        path, _, number = where.rpartition(":")
        if not target:
            self._error(ctx, path, int(number), "include without a file name")
            return
        if ctx.depth + 1 >= MAX_INCLUDE_LEVEL:
            self._error(ctx, path, int(number), f"includes nested {MAX_INCLUDE_LEVEL} deep; libpam aborts")
            return
        child = _Context(ctx.service, only, level, ctx.depth + 1, where)
        if not self._load(target, child, nodes):
            self._error(
                ctx,
                path,
                int(number),
                f"included file {show(self.path(target))} missing; libpam installs an always-failing handler",
            )

    def _entry(
        self,
        tokens: list[tuple[str, bool]],
        kind: str,
        dash: bool,
        control: str,
        actions: dict[str, str],
        path: str,
        number: int,
        line: str,
        ctx: _Context,
    ) -> dict[str, Any]:
        module_path = tokens[2][0]
        args = [token for token, _ in tokens[3:]]
        return {
            "module": module_path.rsplit("/", 1)[-1],
            "path": module_path,
            "type": kind,
            "control": control,
            "actions": actions,
            "args": args,
            "options": _options(args),
            "source": path,
            "line": number,
            "excerpt": excerpt(line),
            "included_from": ctx.included_from,
            "stack_level": ctx.level,
            "dash": dash,
            "enforcing": is_enforcing(actions),
            "optional": is_optional(actions),
            "bypassed_by": [],
        }

    def _error(self, ctx: _Context, path: str, number: int, reason: str) -> None:
        warn(self.fact, f"{path}:{number}: {reason}")
        key = (ctx.service, path, number, reason)
        if key not in self._error_keys and len(self.errors) < MAX_ENTRIES:
            self._error_keys.add(key)
            self.errors.append({"service": ctx.service, "source": path, "line": number, "reason": reason})

    def _add_comments(self, path: str, service: str) -> None:
        for item in self._comment_cache.get(path, []):
            key = (service, path, item["line"])
            if key not in self._seen_comments:
                self._seen_comments.add(key)
                self.commented[service].append(dict(item))


def _commented_lines(text: str, path: str) -> list[dict[str, Any]]:
    """Module lines someone commented out, e.g. ``#auth required pam_google_authenticator.so``."""
    found = []
    for number, line in iter_lines(text, ParsedFact(), path):
        match = _COMMENTED.match(line.strip())
        if match and _looks_like_module(match.group(4)):
            found.append(
                {
                    "module": match.group(4).rsplit("/", 1)[-1],
                    "type": match.group(2).lower(),
                    "source": path,
                    "line": number,
                    "excerpt": excerpt(line),
                }
            )
    return found


def _looks_like_module(word: str) -> bool:
    return word.endswith(".so") or "pam_" in word


def _logical_lines(text: str, fact: ParsedFact, path: str) -> Iterator[tuple[int, str]]:
    """Join continuations and cut comments, yielding ``(first line number, text)``."""
    start: int | None = None
    parts: list[str] = []
    for number, raw in iter_lines(text, fact, path):
        body = raw.lstrip(" \t")
        if not body or body.startswith("#"):
            continue
        start = number if start is None else start
        if "#" in body:
            parts.append(body.split("#", 1)[0])
        else:
            body = body.rstrip(" \t\r")
            if body.endswith("\\"):
                parts.append(body[:-1])
                continue
            parts.append(body)
        yield start, " ".join(parts)
        start, parts = None, []
    if start is not None:
        warn(fact, f"{path}:{start}: file ends inside a line continuation; libpam rejects the file")


def _tokens(line: str) -> list[tuple[str, bool]]:
    """libpam ``_pam_StrTok``: whitespace-separated, ``[...]`` at a word start is one token.

    Returns ``(token, was_bracketed)``; inside brackets ``\\]`` is a literal ``]``.
    """
    out: list[tuple[str, bool]] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in " \t\n\r":
            i += 1
            continue
        if line[i] == "[":
            i += 1
            buf: list[str] = []
            while i < n and line[i] != "]":
                if line[i] == "\\" and i + 1 < n and line[i + 1] == "]":
                    i += 1
                buf.append(line[i])
                i += 1
            out.append(("".join(buf), True))
            i += 1
            continue
        j = i
        while j < n and line[j] not in " \t\n\r":
            j += 1
        out.append((line[i:j], False))
        i = j
    return out


def _options(args: list[str]) -> dict[str, Any]:
    """``remember=5`` -> ``{"remember": "5"}``, ``nullok`` -> ``{"nullok": True}``; last one wins."""
    options: dict[str, Any] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        options[key] = value if sep else True
    return options


def _record_locations(fact: ParsedFact) -> None:
    for service, stacks in fact.data["services"].items():
        for kind, entries in (stacks or {}).items():
            for index, entry in enumerate(entries):
                fact.locations[f"services/{service}/{kind}/{index}"] = Location(
                    entry["source"], entry["line"], entry["excerpt"]
                )
    for service, lines in fact.data["commented"].items():
        for index, item in enumerate(lines):
            fact.locations[f"commented/{service}/{index}"] = Location(
                item["source"], item["line"], item["excerpt"]
            )
