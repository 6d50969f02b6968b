"""Read sshd_config and its Includes into an ordered stream of directives.

This is the part of sshd's config reader that decides *which lines count and
in which context*: line tokenising (``servconf.c``/``misc.c`` argv_split),
``Include`` globbing relative to /etc/ssh, and ``Match`` scoping. Two facts
about OpenSSH 9.2, both checked against the real ``sshd -T``, shape it:

* a ``Match`` inside an included file ends at the end of that file; the
  including file continues in the context it was in before the Include;
* an ``Include`` inside a ``Match`` block puts the included lines in that block.

What the directives *mean* (first-wins, defaults) is decided in ``sshd.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn
from hardencheck.facts.parsers.sshd_tables import MAX_INCLUDE_DEPTH, SSH_DIR

ReadFn = Callable[[str], "str | None"]
GlobFn = Callable[[str], "list[str]"]

_WHITESPACE = " \t\r\n"
MAX_FILES = 256
"""Files read per walk: a file including itself twice would otherwise cost 2**16 reads."""
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Directive:
    """One effective config line: a keyword with its arguments, in a context."""

    keyword: str
    """Lower-cased as written (aliases are resolved by the caller)."""
    args: tuple[str, ...]
    source: str
    line: int
    excerpt: str
    block: int | None
    """Index into :attr:`Walk.matches`, or ``None`` for the global context."""


@dataclass(frozen=True)
class MatchHeader:
    """A ``Match`` line: the criteria and where it was written."""

    criteria: str
    source: str
    line: int
    excerpt: str

    @property
    def is_all(self) -> bool:
        """``Match all`` is active even in sshd's global pass, so it changes global values."""
        return self.criteria.strip().lower() == "all"


@dataclass
class Walk:
    """The ordered result of reading a config tree."""

    directives: list[Directive] = field(default_factory=list)
    matches: list[MatchHeader] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Every file read, in order, so a report can list what was inspected."""


def walk_config(read: ReadFn, glob: GlobFn, main_path: str, fact: ParsedFact) -> Walk:
    """Read ``main_path`` and everything it includes, warning about what sshd would reject."""
    walk = Walk()
    text = read(main_path)
    if text is None:
        warn(fact, f"{main_path}: not readable; every setting is an OpenSSH default")
        return walk
    _walk_file(read, glob, main_path, text, None, 0, walk, fact)
    return walk


def _walk_file(
    read: ReadFn,
    glob: GlobFn,
    path: str,
    text: str,
    block: int | None,
    depth: int,
    walk: Walk,
    fact: ParsedFact,
) -> None:
    walk.files.append(path)
    for number, line in iter_lines(text, fact, path):
        parsed = split_line(line)
        if parsed is None:
            continue
        keyword, args, error = parsed
        if error:
            warn(fact, f"{path}:{number}: {error} (sshd would refuse this file)")
            continue
        if keyword == "match":
            walk.matches.append(MatchHeader(" ".join(args), path, number, excerpt(line)))
            block = len(walk.matches) - 1
        elif keyword == "include":
            _include(read, glob, args, (path, number), block, depth, walk, fact)
        walk.directives.append(Directive(keyword, tuple(args), path, number, excerpt(line), block))


def _include(
    read: ReadFn,
    glob: GlobFn,
    patterns: list[str],
    where: tuple[str, int],
    block: int | None,
    depth: int,
    walk: Walk,
    fact: ParsedFact,
) -> None:
    if depth + 1 > MAX_INCLUDE_DEPTH:
        warn(fact, f"{where[0]}:{where[1]}: Include nested deeper than {MAX_INCLUDE_DEPTH}; not followed")
        return
    for pattern in patterns:
        if not pattern.startswith(("/", "~")):
            pattern = f"{SSH_DIR}/{pattern}"
        matches = sorted(glob(pattern) or [])
        if not matches and not _GLOB_CHARS.search(pattern):
            matches = [pattern]
        for path in matches:
            if len(walk.files) >= MAX_FILES:
                warn(fact, f"{where[0]}:{where[1]}: more than {MAX_FILES} files included; rest not followed")
                return
            text = read(path)
            if text is None:
                warn(fact, f"{where[0]}:{where[1]}: included file {show(path)} not readable")
                continue
            _walk_file(read, glob, path, text, block, depth + 1, walk, fact)


def split_line(line: str) -> tuple[str, list[str], str | None] | None:
    """Split a config line the way sshd 9.2 does; ``None`` for blanks and comments.

    Returns ``(keyword, args, error)``. The keyword ends at whitespace, a
    quote or one ``=`` (``Banner=/etc/issue.net`` is valid); the rest is split
    with quotes and backslash escapes, and an unquoted ``#`` starting a word
    ends the line (trailing comments are allowed since OpenSSH 8.x).
    """
    line = line.rstrip(_WHITESPACE + "\f").lstrip(_WHITESPACE)
    if not line or line.startswith("#"):
        return None
    match = re.match(r'([^\s"=]*)\s*=?\s*', line)
    keyword = match.group(1) if match else ""
    rest = line[match.end() :] if match else line
    if not keyword:
        return "", [], f"no keyword in {show(line)}"
    if any(ord(c) < 32 or ord(c) > 126 for c in keyword):
        return keyword.lower(), [], f"unreadable keyword {show(keyword)}"
    args, error = argv_split(rest)
    if error:
        return keyword.lower(), [], error
    if not args:
        return keyword.lower(), [], f"no argument after keyword {show(keyword)}"
    return keyword.lower(), args, None


def argv_split(text: str) -> tuple[list[str], str | None]:
    """Port of OpenSSH ``argv_split(..., terminate_on_comment=1)``."""
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        quote = ""
        arg: list[str] = []
        while i < n:
            ch = text[i]
            if ch == "\\" and i + 1 < n and (text[i + 1] in "'\"\\" or (not quote and text[i + 1] == " ")):
                arg.append(text[i + 1])
                i += 2
                continue
            if not quote and ch in " \t":
                break
            if not quote and ch in "\"'":
                quote = ch
            elif quote and ch == quote:
                quote = ""
            else:
                arg.append(ch)
            i += 1
        if quote:
            return args, "unterminated quote"
        args.append("".join(arg))
    return args, None
