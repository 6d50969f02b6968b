"""Where logs go and how long they stay: syslog forwarding and logrotate retention.

PCI DSS wants audit logs copied off the host promptly (10.3.3) and kept 12
months (10.5.1). An intruder with root can edit local logs, so forwarding
is the stronger control; local retention is the fallback. This module reads

* rsyslog: legacy ``*.* @@host:514`` (``@`` UDP, ``@@`` TCP) and
  RainerScript ``action(type="omfwd"|"omrelp" target=...)``; drop-ins
  count only when the main file includes /etc/rsyslog.d;
* syslog-ng: ``destination`` blocks using ``network()``/``tcp()``/``udp()``/
  ``syslog()`` that a ``log {}`` statement uses;
* systemd-journal-upload: ``URL=`` in journal-upload.conf (active when its
  unit is enabled);
* logrotate: per log file the ``rotate`` count and period in effect
  (globals of logrotate.conf apply to files included after them), giving
  ``retention_days`` = rotate x period, capped by ``maxage``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

PERIOD_DAYS = {"hourly": 1 / 24, "daily": 1.0, "weekly": 7.0, "monthly": 365 / 12, "yearly": 365.0}
UNLIMITED_DAYS = 36500
"""``rotate -1`` keeps every old log: reported as 100 years."""
_LEGACY_FWD = re.compile(r"^(?P<selector>\S+)\s+(?P<action>@@?(?:\([^)]*\))?(?P<target>\[[^\]]+\]|[^\s:;]+)"
                         r"(?::(?P<port>\d+))?)")
_OMRELP = re.compile(r"^(?P<selector>\S+)\s+:omrelp:(?P<target>[^\s:]+)(?::(?P<port>\d+))?")
_ACTION = re.compile(r"action\s*\(", re.IGNORECASE)
_PARAM = re.compile(r"""([A-Za-z.]+)\s*=\s*"([^"]*)\"""")
_USERINFO = re.compile(r"(://)[^/@\s]*@")


def parse_rsyslog(files: list[tuple[str, str]], fact: ParsedFact) -> list[dict[str, Any]]:
    """Forwarding actions in rsyslog.conf and the drop-ins it includes (``files[0]`` is the main file)."""
    out: list[dict[str, Any]] = []
    if not files:
        return out
    main_path, main_text = files[0]
    includes_dropins = bool(re.search(r"^\s*(\$IncludeConfig\s+/etc/rsyslog\.d/|include\s*\(\s*file\s*=\s*\"/etc/"
                                      r"rsyslog\.d/)", main_text, re.MULTILINE))
    used = files if includes_dropins else files[:1]
    if not includes_dropins and len(files) > 1:
        warn(fact, f"{main_path} does not include /etc/rsyslog.d: its drop-ins are not loaded")
    for path, text in used:
        lines = list(iter_lines(text, fact, path))
        body = "\n".join(_uncomment(line) for _, line in lines)
        for number, line in lines:
            stripped = _uncomment(line).strip()
            match = _LEGACY_FWD.match(stripped) or _OMRELP.match(stripped)
            if match:
                action = match.groupdict().get("action") or ":omrelp:"
                protocol = "relp" if action.startswith(":omrelp") else ("tcp" if action.startswith("@@") else "udp")
                out.append(_entry("rsyslog", match.group("target").strip("[]"), match.group("port"), protocol,
                                  match.group("selector"), path, number, line))
        for m in _ACTION.finditer(body):
            end = body.find(")", m.end())
            params = {k.lower(): v for k, v in _PARAM.findall(body[m.end(): end if end > 0 else len(body)])}
            if params.get("type", "").lower() not in ("omfwd", "omrelp") or not params.get("target"):
                continue
            number = body.count("\n", 0, m.start()) + 1
            line_text = dict(lines).get(number, "")
            before = body[body.rfind("\n", 0, m.start()) + 1: m.start()].strip()
            protocol = "relp" if params["type"].lower() == "omrelp" else params.get("protocol", "udp").lower()
            out.append(_entry("rsyslog", params["target"], params.get("port"), protocol, before or "*.*", path,
                              number, line_text))
    return out


def parse_syslog_ng(files: list[tuple[str, str]], fact: ParsedFact) -> list[dict[str, Any]]:
    """Network destinations that a ``log`` statement uses."""
    out: list[dict[str, Any]] = []
    texts: list[tuple[str, str, dict[int, str]]] = []
    for path, text in files:
        numbered = list(iter_lines(text, fact, path))
        texts.append((path, "\n".join(_uncomment(line) for _, line in numbered), dict(numbered)))
    used = {name for _, body, _ in texts for block in re.findall(r"\blog\s*\{(.*?)\}\s*;", body, re.DOTALL)
            for name in re.findall(r"destination\s*\(\s*([A-Za-z0-9_]+)\s*\)", block)}
    for path, body, lines in texts:
        for m in re.finditer(r"\bdestination\s+([A-Za-z0-9_]+)\s*\{(.*?)\}\s*;", body, re.DOTALL):
            name, block = m.group(1), m.group(2)
            for d in re.finditer(r"\b(network|tcp6?|udp6?|syslog)\s*\(\s*\"?([^\"\s)]+)\"?(.*?)\)\s*;", block, re.DOTALL):
                driver, target, rest = d.group(1), d.group(2), d.group(3)
                transport = re.search(r"transport\s*\(\s*\"?([a-z]+)", rest)
                protocol = transport.group(1) if transport else ("udp" if driver.startswith("udp") or
                                                                 driver == "network" else "tcp")
                port = re.search(r"port\s*\(\s*(\d+)", rest)
                number = body.count("\n", 0, m.start() + d.start()) + 1
                entry = _entry("syslog-ng", target, port.group(1) if port else None, protocol, name, path, number,
                               lines.get(number, ""))
                entry["active"] = name in used
                out.append(entry)
    return out


def parse_journal_upload(files: list[tuple[str, str]], enabled: bool, fact: ParsedFact) -> list[dict[str, Any]]:
    """``[Upload] URL=`` (the last one wins)."""
    found: tuple[str, int, str, str] | None = None
    for path, text in files:
        section = None
        for number, line in iter_lines(text, fact, path):
            stripped = line.strip()
            if stripped.startswith("[") and stripped.endswith("]"):
                section = stripped[1:-1]
            elif section == "Upload" and stripped.startswith("URL="):
                found = (path, number, line, stripped[4:].strip())
    if found is None or not found[3]:
        return []
    path, number, line, url = found
    url = _USERINFO.sub(r"\1", url)  # credentials in the URL are never kept
    line = _USERINFO.sub(r"\1<redacted>@", line)
    match = re.match(r"^(?:(https?)://)?(\[[^\]]+\]|[^/:]+)(?::(\d+))?", url)
    target = match.group(2).strip("[]") if match else url
    entry = _entry("journald", target, match.group(3) if match else None,
                   (match.group(1) or "https") if match else "https", "journal", path, number, line)
    entry["active"] = enabled
    return [entry]


def _entry(daemon: str, target: str, port: str | None, protocol: str, selector: str, path: str, number: int,
           line: str) -> dict[str, Any]:
    return {"daemon": daemon, "target": target, "port": int(port) if port and port.isdigit() else None,
            "protocol": protocol, "selector": selector, "covers_auth": _covers_auth(selector),
            "remote": not _loopback(target), "active": True, "source": path, "line": number,
            "excerpt": excerpt(line)}


def _covers_auth(selector: str) -> bool:
    if not re.search(r"[.;]", selector):
        return True  # a syslog-ng destination name or "journal": everything that reaches it
    covered = False
    for part in selector.split(";"):  # later parts refine earlier ones: "*.*;auth,authpriv.none" drops auth
        facilities, _, priority = part.partition(".")
        if any(f.strip() in ("*", "auth", "authpriv") for f in facilities.split(",")):
            covered = not (priority.startswith(("none", "!")))
    return covered


def _loopback(target: str) -> bool:
    if target.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(target).is_loopback
    except ValueError:
        return False


def _uncomment(line: str) -> str:
    return "" if line.lstrip().startswith("#") else line


def parse_logrotate(files: dict[str, str], main: str, dropin_dir: str, fact: ParsedFact) -> list[dict[str, Any]]:
    """Per log path: rotate, period and retention in effect. ``files`` maps path -> text (main + drop-ins)."""
    state: dict[str, Any] = {"rotate": 0, "period": None, "maxage": None, "size": None, "where": None}
    out: list[dict[str, Any]] = []
    _logrotate_file(main, files, dropin_dir, state, out, fact, depth=0)
    return out


def _logrotate_file(path: str, files: dict[str, str], dropin_dir: str, globals_: dict[str, Any],
                    out: list[dict[str, Any]], fact: ParsedFact, depth: int) -> None:
    text = files.get(path)
    if text is None or depth > 4:
        return
    pending: list[str] = []
    block: dict[str, Any] | None = None
    block_paths: list[str] = []
    in_script = False
    for number, line in iter_lines(text, fact, path):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if in_script:
            in_script = stripped != "endscript"
            continue
        words = stripped.split()
        keyword = words[0].lower()
        if keyword in ("postrotate", "prerotate", "firstaction", "lastaction", "preremove"):
            in_script = True
            continue
        if block is None and stripped.endswith("{"):
            block_paths = pending + [w for w in stripped[:-1].split() if w]
            pending = []
            block = dict(globals_)
            block["where"] = block["where"] or Location(path, number, excerpt(line))
            block["start"] = Location(path, number, excerpt(line))
            continue
        if block is not None and stripped == "}":
            for log in block_paths:
                out.append(_rotation(log.strip('"'), block, fact, len(out)))
            block, block_paths = None, []
            continue
        if block is None and keyword == "include":
            target = words[1] if len(words) > 1 else ""
            if target.rstrip("/") == dropin_dir:
                for name in sorted(p for p in files if p.startswith(dropin_dir + "/")):
                    _logrotate_file(name, files, dropin_dir, dict(globals_), out, fact, depth + 1)
            elif target in files:
                _logrotate_file(target, files, dropin_dir, dict(globals_), out, fact, depth + 1)
            else:
                warn(fact, f"{path}:{number}: include {show(target)} was not collected")
            continue
        if keyword.startswith("/") and block is None:
            pending.append(stripped)
            continue
        _directive(block if block is not None else globals_, keyword, words, Location(path, number, excerpt(line)))
    if block is not None:
        warn(fact, f"{path}: block not closed with '}}'")


def _directive(target: dict[str, Any], keyword: str, words: list[str], where: Location) -> None:
    if keyword in PERIOD_DAYS:
        target["period"] = keyword
    elif keyword == "rotate" and len(words) > 1 and re.fullmatch(r"-?\d+", words[1]):
        target["rotate"] = int(words[1])
        target["where"] = where
    elif keyword == "maxage" and len(words) > 1 and words[1].isdigit():
        target["maxage"] = int(words[1])
    elif keyword == "size" and len(words) > 1:
        target["size"] = words[1]


def _rotation(path: str, block: dict[str, Any], fact: ParsedFact, index: int) -> dict[str, Any]:
    period = block.get("period")
    rotate = block.get("rotate", 0)
    if period is None and block.get("size"):
        days = None
    else:
        days = PERIOD_DAYS[period or "daily"]
    if rotate < 0:
        retention: float | None = float(block["maxage"]) if block.get("maxage") else UNLIMITED_DAYS
    elif days is None:
        retention = None
    else:
        retention = rotate * days
        if block.get("maxage") is not None:
            retention = min(retention, block["maxage"])
    where = block.get("where") or block.get("start")
    if where is not None:
        fact.locations[f"rotation/{index}"] = where
    return {"path": path, "rotate": rotate, "period": period or ("size " + block["size"] if block.get("size")
                                                                 else "daily (default)"),
            "maxage": block.get("maxage"), "retention_days": None if retention is None else round(retention),
            "source": block["start"].source, "line": block["start"].line}
