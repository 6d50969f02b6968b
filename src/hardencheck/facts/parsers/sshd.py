"""The effective OpenSSH server configuration, from ``sshd -T`` or from the files.

``sshd -T`` is the truth when it can run: it has already applied Includes,
first-wins, defaults and aliases. When it cannot (a config repository, a
broken host), :func:`parse_sshd_config` reproduces OpenSSH 9.2's rules so the
two give the same keys and value shapes, and :func:`locate_sshd_settings`
lets ``sshd -T`` values still point at the file line that set them.

Value shapes (both parsers): strings as ``sshd -T`` prints them; the
repeatable keywords in ``LIST_KEYWORDS`` are lists of strings; the algorithm
keywords are lists of names; ``authenticationmethods`` is a list of
alternatives, each a list of required steps (``any`` -> ``[["any"]]``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers import sshd_tables as t
from hardencheck.facts.parsers._sshd_walk import Directive, GlobFn, ReadFn, Walk, walk_config
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

SSHD_T_SOURCE = "cmd:sshd -T"
_MATCH_OVERRIDES = t.MATCH_ALLOWED - {"include"}


def parse_sshd_t(text: str, source: str = SSHD_T_SOURCE) -> ParsedFact:
    """Parse ``sshd -T`` output: one ``keyword value`` per line, keywords lower case."""
    fact = ParsedFact()
    for number, line in iter_lines(text, fact, source):
        stripped = line.strip()
        if not stripped:
            continue
        keyword, _, value = stripped.partition(" ")
        if not re.fullmatch(r"[a-z][a-z0-9]*", keyword):
            warn(fact, f"{source}:{number}: not a keyword line: {show(stripped)}")
            continue
        keyword = t.ALIASES.get(keyword, keyword)
        value = value.strip()
        where = Location(source, number, excerpt(line))
        if keyword in t.LIST_KEYWORDS:
            items = fact.data.setdefault(keyword, [])
            fact.locations.setdefault(keyword, where)
            fact.locations[f"{keyword}/{len(items)}"] = where
            items.append(value)
        elif keyword in fact.data:
            _duplicate_in_t(fact, keyword, value, number, source)
        else:
            fact.data[keyword] = _shape(keyword, value)
            fact.locations[keyword] = where
    return fact


def _duplicate_in_t(fact: ParsedFact, keyword: str, value: str, number: int, source: str) -> None:
    """Old sshd printed both an option and its alias; keep the more permissive ``yes``."""
    if value.lower() == "yes" and fact.data[keyword] == "no":
        fact.data[keyword] = "yes"
        fact.locations[keyword] = Location(source, number, f"{keyword} {value}")
    warn(fact, f"{source}:{number}: {keyword} printed twice; kept {fact.data[keyword]!r}")


def _shape(keyword: str, value: str) -> Any:
    """Turn one printed value into the shape checks read."""
    if keyword in t.COMMA_LISTS:
        return [name for name in value.split(",") if name]
    if keyword == "authenticationmethods":
        return [alternative.split(",") for alternative in value.split()]
    return value


def parse_sshd_config(read: ReadFn, glob: GlobFn, main_path: str = "/etc/ssh/sshd_config") -> ParsedFact:
    """Compute the effective global config from the files, as OpenSSH 9.2 would.

    Global lines are first-wins (repeatable keywords accumulate); ``Match``
    blocks are reported in ``data["match_blocks"]`` and not applied, except
    ``Match all``, which sshd applies to every connection (and ``sshd -T``
    prints), so its settings override the global ones here too. Keywords left
    unset get the 9.2 default and are listed in ``data["defaulted"]``.
    """
    fact = ParsedFact()
    walk = walk_config(read, glob, main_path, fact)
    resolved = _resolve(walk, fact)
    for keyword, setting in resolved.globals.items():
        fact.data[keyword] = setting.value
        fact.locations[keyword] = _loc(setting.origins[0])
        if keyword in t.LIST_KEYWORDS:
            for index, origin in enumerate(setting.item_origins):
                fact.locations[f"{keyword}/{index}"] = _loc(origin)
    _apply_defaults(fact)
    _expand_listen_addresses(fact, resolved.globals.get("listenaddress"))
    fact.data["match_blocks"] = _match_blocks(walk, resolved, fact)
    fact.data["files"] = walk.files
    return fact


def locate_sshd_settings(
    fact: ParsedFact, read: ReadFn, glob: GlobFn, main_path: str = "/etc/ssh/sshd_config"
) -> None:
    """Point ``sshd -T`` values at the config line that set them.

    The file location replaces the ``cmd:sshd -T`` one, since the line to fix
    is what an auditor needs. ``match_blocks`` (which ``sshd -T`` cannot
    show without a connection spec) is added when absent.
    """
    scratch = ParsedFact()
    walk = walk_config(read, glob, main_path, scratch)
    resolved = _resolve(walk, scratch)
    for keyword, setting in resolved.globals.items():
        if keyword in fact.data:
            fact.locations[keyword] = _loc(setting.origins[0])
    if "match_blocks" not in fact.data:
        fact.data["match_blocks"] = _match_blocks(walk, resolved, fact)
    for message in scratch.warnings:
        warn(fact, message)


@dataclass
class _Setting:
    """A keyword's value with the directive(s) it came from."""

    value: Any
    origins: list[Directive]
    item_origins: list[Directive] = field(default_factory=list)


@dataclass
class _Resolved:
    globals: dict[str, _Setting]
    blocks: dict[int, dict[str, _Setting]]


def _resolve(walk: Walk, fact: ParsedFact) -> _Resolved:
    """Apply sshd's precedence to the directive stream."""
    directives = _canonical(walk, fact)
    by_block: dict[int, list[Directive]] = {}
    global_lines: list[Directive] = []
    for directive in directives:
        if directive.block is None or walk.matches[directive.block].is_all:
            global_lines.append(directive)
        if directive.block is not None:
            by_block.setdefault(directive.block, []).append(directive)
    settings = _collect(global_lines, fact)
    blocks = {
        index: _collect(lines, fact, quiet=walk.matches[index].is_all) for index, lines in by_block.items()
    }
    overriding = [d for d in global_lines if d.block is not None and d.keyword in _MATCH_OVERRIDES]
    settings.update(_collect(overriding, fact, quiet=True))
    return _Resolved(settings, blocks)


def _canonical(walk: Walk, fact: ParsedFact) -> list[Directive]:
    """Resolve aliases and drop what sshd ignores or rejects, warning once per line."""
    kept = []
    for d in walk.directives:
        keyword = t.ALIASES.get(d.keyword, d.keyword)
        if keyword in t.IGNORED:
            warn(fact, f"{d.source}:{d.line}: {keyword} is deprecated/unsupported in OpenSSH 9.2; ignored")
            continue
        if keyword not in t.KNOWN_KEYWORDS:
            warn(
                fact, f"{d.source}:{d.line}: unknown keyword {show(d.keyword)} (sshd would refuse this file)"
            )
            continue
        if keyword in ("match", "include"):
            continue
        if d.block is not None and keyword not in t.MATCH_ALLOWED and not walk.matches[d.block].is_all:
            warn(
                fact,
                f"{d.source}:{d.line}: {keyword} is not allowed in a Match block "
                "(sshd would refuse this file)",
            )
        kept.append(Directive(keyword, d.args, d.source, d.line, d.excerpt, d.block))
    return kept


def _collect(lines: list[Directive], fact: ParsedFact, quiet: bool = False) -> dict[str, _Setting]:
    """First value wins; repeatable keywords accumulate (sshd's rules within one context)."""
    out: dict[str, _Setting] = {}
    for d in lines:
        if d.keyword in t.LIST_KEYWORDS:
            _accumulate(out, d, fact, quiet)
            continue
        if d.keyword in out:
            continue
        value = _value(d, fact, quiet)
        if value is not None:
            out[d.keyword] = _Setting(value, [d])
    return out


def _accumulate(out: dict[str, _Setting], d: Directive, fact: ParsedFact, quiet: bool) -> None:
    setting = out.get(d.keyword)
    if setting is None:
        setting = out[d.keyword] = _Setting([], [])
    elif d.keyword in t.FIRST_LINE_ONLY:
        return
    if d.keyword in t.SPLIT_ARGS:
        items = list(d.args)
    elif d.keyword == "subsystem":
        name = d.args[0]
        if any(existing.split(" ", 1)[0] == name for existing in setting.value):
            if not quiet:
                warn(
                    fact,
                    f"{d.source}:{d.line}: Subsystem {show(name)} already defined (sshd 9.2 refuses this)",
                )
            return
        items = [" ".join(d.args)]
    else:
        items = [d.args[0]]
    setting.value.extend(items)
    setting.origins.append(d)
    setting.item_origins.extend([d] * len(items))


def _value(d: Directive, fact: ParsedFact, quiet: bool) -> Any:
    """Normalise one directive's value to what ``sshd -T`` would print."""
    keyword, args = d.keyword, d.args
    if keyword in t.ALGORITHM_DEFAULTS:
        return _assemble(keyword, args[0], d, fact, quiet)
    if keyword == "gssapikexalgorithms":
        return [name for name in args[0].split(",") if name]
    if keyword == "authenticationmethods":
        return [alternative.split(",") for alternative in args]
    if keyword in t.JOINED_ARGS:
        return " ".join(args)
    if len(args) > 1 and not quiet:
        warn(fact, f"{d.source}:{d.line}: extra arguments after {keyword} value ignored")
    value = args[0]
    if keyword in t.ENUM_KEYWORDS and value.lower() in t.ENUM_WORDS:
        value = value.lower()
        return t.ENUM_SYNONYMS.get((keyword, value), value)
    if keyword in t.UPPER_KEYWORDS:
        value = value.upper()
        return t.ENUM_SYNONYMS.get((keyword, value), value)
    if keyword in t.TIME_KEYWORDS:
        seconds = _seconds(value)
        if seconds is None and not quiet:
            warn(fact, f"{d.source}:{d.line}: {keyword} {show(value)} is not a time value")
        return value if seconds is None else str(seconds)
    if keyword == "maxstartups":
        return _maxstartups(value)
    return value


def _assemble(keyword: str, spec: str, d: Directive, fact: ParsedFact, quiet: bool) -> list[str]:
    """OpenSSH ``kex_assemble_names``: ``+`` appends, ``-`` removes, ``^`` prepends to the default."""
    default = t.ALGORITHM_DEFAULTS[keyword]
    supported = t.ALGORITHM_SUPPORTED[keyword]
    if spec.startswith("-"):
        patterns = [p for p in spec[1:].split(",") if p]
        return [name for name in default if not any(fnmatchcase(name, p) for p in patterns)]
    if spec.startswith("+"):
        wanted = default + spec[1:].split(",")
    elif spec.startswith("^"):
        wanted = spec[1:].split(",") + default
    else:
        wanted = spec.split(",")
    result: list[str] = []
    for pattern in filter(None, wanted):
        expanded = [name for name in supported if fnmatchcase(name, pattern)]
        if not expanded:
            expanded = [pattern]
            if not quiet:
                warn(fact, f"{d.source}:{d.line}: {show(pattern)} is not a {keyword} name OpenSSH 9.2 knows")
        result.extend(name for name in expanded if name not in result)
    return result


def _seconds(value: str) -> int | None:
    """OpenSSH ``convtime``: ``90``, ``1m30s``, ``2h``."""
    if not re.fullmatch(r"(\d+[sSmMhHdDwW]?)+", value):
        return None
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return sum(int(n) * scale[u.lower()] for n, u in re.findall(r"(\d+)([sSmMhHdDwW]?)", value))


def _maxstartups(value: str) -> str:
    """A bare ``MaxStartups 5`` means start:rate:full = 5:30:5."""
    return f"{value}:30:{value}" if value.isdigit() else value


def _apply_defaults(fact: ParsedFact) -> None:
    defaulted = []
    defaults: dict[str, Any] = {k: _shape(k, v) for k, v in t.SCALAR_DEFAULTS.items()}
    defaults.update({k: list(v) for k, v in t.ALGORITHM_DEFAULTS.items()})
    defaults["gssapikexalgorithms"] = list(t.GSSAPI_KEX_DEFAULT)
    defaults["port"] = list(t.DEFAULT_PORTS)
    defaults["hostkey"] = list(t.DEFAULT_HOSTKEYS)
    for keyword, value in defaults.items():
        if keyword not in fact.data:
            fact.data[keyword] = value
            defaulted.append(keyword)
    fact.data["defaulted"] = sorted(defaulted)


def _expand_listen_addresses(fact: ParsedFact, setting: _Setting | None) -> None:
    """Expand ListenAddress like sshd: an address without a port listens on every Port.

    With no ListenAddress at all sshd listens on ``[::]`` and ``0.0.0.0`` for
    each port (a default, so no location).
    """
    ports: list[str] = fact.data["port"]
    if setting is None:
        fact.data["listenaddress"] = [f"{host}:{port}" for port in ports for host in ("[::]", "0.0.0.0")]
        return
    out: list[str] = []
    for address, origin in zip(setting.value, setting.item_origins):
        host, port = _split_host_port(address)
        for expanded in [f"{host}:{port}"] if port else [f"{host}:{p}" for p in ports]:
            fact.locations[f"listenaddress/{len(out)}"] = _loc(origin)
            out.append(expanded)
    fact.data["listenaddress"] = out


def _split_host_port(address: str) -> tuple[str, str | None]:
    match = re.fullmatch(r"\[(.+)\]:(\d+)", address)
    if match:
        return f"[{match.group(1)}]", match.group(2)
    try:
        if isinstance(ipaddress.ip_address(address), ipaddress.IPv6Address):
            return f"[{address}]", None
        return address, None
    except ValueError:
        pass
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, port
    return address, None


def _match_blocks(walk: Walk, resolved: _Resolved, fact: ParsedFact) -> list[dict[str, Any]]:
    blocks = []
    for index, header in enumerate(walk.matches):
        settings = resolved.blocks.get(index, {})
        fact.locations[f"match_blocks/{index}"] = Location(header.source, header.line, header.excerpt)
        for keyword, setting in settings.items():
            fact.locations[f"match_blocks/{index}/settings/{keyword}"] = _loc(setting.origins[0])
        blocks.append(
            {
                "criteria": header.criteria,
                "settings": {k: s.value for k, s in settings.items()},
                "source": header.source,
                "line": header.line,
                "applies_globally": header.is_all,
            }
        )
    return blocks


def _loc(d: Directive) -> Location:
    return Location(d.source, d.line, d.excerpt)
