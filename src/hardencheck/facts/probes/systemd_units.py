"""``systemd_units``: unit files under /etc/systemd/system and which units start at boot.

No systemd is needed (a config directory, a rescue image, a stopped host):
"enabled" means a link in one of the ``*.wants/`` folders, and reading that
link reads the unit wherever it lives, so ``ExecStart`` is known too. On
targets that can run commands, one ``find`` adds what links point to (masked
units point to /dev/null; a dangling link is a unit that cannot start).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers._text import clean, warn
from hardencheck.facts.parsers.systemd import parse_unit, unit_type
from hardencheck.facts.probes.common import command_output
from hardencheck.facts.raw import CommandSpec, FileSpec, ProbeRequest, RawAnswers

ETC = "/etc/systemd/system"
WANTS_TARGETS = ("multi-user.target", "timers.target", "sysinit.target", "sockets.target", "default.target",
                 "graphical.target", "basic.target", "network-online.target", "getty.target", "paths.target",
                 "local-fs.target", "remote-fs.target", "network.target")
_UNIT_BYTES = 256 * 1024
_LIST = ("find", ETC, "-maxdepth", "2", "-printf", "%y\\t%p\\t%l\\0")


class SystemdUnitsProbe(Probe):
    name = "systemd_units"
    description = "systemd units defined in /etc/systemd/system and those enabled through *.wants/ links."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        targets = [*WANTS_TARGETS, *[t for t in options.get("wants_targets", []) if _safe_name(t)]]
        files = [FileSpec(f"{ETC}/*", max_bytes=_UNIT_BYTES)]
        files += [FileSpec(f"{ETC}/{t}.wants/*", max_bytes=_UNIT_BYTES) for t in dict.fromkeys(targets)]
        return ProbeRequest(files=tuple(files),
                            commands=(CommandSpec("systemd_find", _LIST, timeout=10, max_bytes=1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        fact = ParsedFact()
        links = _links(raw, fact)
        read_from = {posixpath.basename(p): p for p in raw.glob(f"{ETC}/*")
                     if unit_type(posixpath.basename(p)) != "unknown"}
        wanted = _wanted(raw, links, read_from, options)
        names = sorted(set(read_from) | set(wanted) | {posixpath.basename(p) for p, (kind, _) in links.items()
                                                         if posixpath.dirname(p) == ETC and kind == "l"
                                                         and unit_type(posixpath.basename(p)) != "unknown"})
        if not names:
            raise FactUnavailable(f"no systemd unit files or enabled units found under {ETC}")
        units = [self._unit(raw, fact, f"units/{index}", name, read_from.get(name), wanted.get(name, []), links)
                 for index, name in enumerate(names)]
        fact.data = {"units": units, "listing": "find" if links else "files only"}
        return fact

    @staticmethod
    def _unit(raw: RawAnswers, fact: ParsedFact, prefix: str, name: str, path: str | None, wanted_by: list[str],
              links: dict[str, tuple[str, str]]) -> dict[str, Any]:
        text = raw.text(path) if path else None
        parsed = parse_unit(text, path, name, fact, prefix) if text is not None and path else None
        link = links.get(f"{ETC}/{name}") or next(
            (links[p] for t in wanted_by if (p := f"{ETC}/{t}.wants/{name}") in links), None)
        link_target = clean(link[1]) if link and link[0] == "l" else None
        unit = {
            "name": clean(name),
            "type": unit_type(name),
            "path": clean(path) if path else None,
            "link_target": link_target,
            "enabled": bool(wanted_by),
            "wanted_by": sorted(wanted_by),
            "masked": link_target == "/dev/null",
            "readable": parsed is not None,
            **(parsed or {"description": None, "exec_start": [], "exec_other": [], "user": None,
                          "install_wanted_by": [], "timer": None}),
        }
        if parsed is None:
            source = path or f"{ETC}/{name}"
            fact.locate(prefix, source, None, f"-> {link_target}" if link_target else "(not readable)")
            if not unit["masked"]:
                warn(fact, f"{source}: unit text not readable (dangling link or not collected)")
        return unit


def _wanted(raw: RawAnswers, links: dict[str, tuple[str, str]], read_from: dict[str, str],
            options: Mapping[str, Any]) -> dict[str, list[str]]:
    """Unit name -> targets whose ``.wants/`` folder links it (from the files read, and the find listing)."""
    wanted: dict[str, list[str]] = {}
    targets = [*WANTS_TARGETS, *[t for t in options.get("wants_targets", []) if _safe_name(t)]]
    for target in dict.fromkeys(targets):
        for path in raw.glob(f"{ETC}/{target}.wants/*"):
            name = posixpath.basename(path)
            wanted.setdefault(name, []).append(target)
            read_from.setdefault(name, path)
    for path in links:
        parent = posixpath.dirname(path)
        if parent.endswith(".wants") and posixpath.dirname(parent) == ETC:
            target = posixpath.basename(parent)[: -len(".wants")]
            name = posixpath.basename(path)
            if target not in wanted.get(name, []):
                wanted.setdefault(name, []).append(target)
    return wanted


def _links(raw: RawAnswers, fact: ParsedFact) -> dict[str, tuple[str, str]]:
    """``path -> (type letter, link target)`` from ``find -printf``; empty where it could not run."""
    try:
        cmd = command_output(raw, "systemd_find")
    except FactUnavailable as exc:
        warn(fact, exc.reason)
        return {}
    if cmd is None or cmd.exit_code != 0:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for record in cmd.stdout.split(b"\0"):
        fields = record.decode("utf-8", "replace").split("\t")
        if len(fields) != 3 or not fields[1].startswith(ETC):
            continue
        out[fields[1]] = (fields[0], fields[2])
    return out


def _safe_name(target: Any) -> bool:
    return isinstance(target, str) and bool(target) and "/" not in target and not target.startswith(".") \
        and all(c.isalnum() or c in "._@-" for c in target)
