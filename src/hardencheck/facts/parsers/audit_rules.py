"""Linux audit rules as auditd loads them at boot (``augenrules`` over /etc/audit/rules.d/*.rules).

Rules are kept as written (watches ``-w``, syscall rules ``-a ... -S ...
-F ...``, control lines ``-e``/``-D``/``-b``), and summarised into the few
questions PCI DSS 10.2 asks (``covers``): are logins and failed logins
recorded (watches on lastlog/faillog/faillock), changes to sudoers, and
commands run with privilege (``execve`` by a changed effective user, or
execution of sudo/su)? A ``-D`` after rules deletes them, as auditctl does;
``-e 2`` makes the set immutable until reboot.
"""

from __future__ import annotations

import shlex
from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._text import excerpt, iter_lines, show, warn

LOGIN_FILES = ("/var/log/lastlog", "/var/log/faillog", "/var/log/tallylog", "/var/run/faillock", "/run/faillock",
               "/var/log/wtmp", "/var/log/btmp", "/var/run/utmp", "/run/utmp")
SUDOERS_FILES = ("/etc/sudoers", "/etc/sudoers.d", "/etc/sudoers.d/")
PRIV_COMMANDS = ("/usr/bin/sudo", "/bin/sudo", "/usr/bin/su", "/bin/su", "/usr/bin/pkexec")
MAX_RULES = 10000


def parse_audit_rules(files: list[tuple[str, str]]) -> ParsedFact:
    """``files``: ``(path, text)`` in load order (augenrules sorts rules.d by name)."""
    fact = ParsedFact()
    rules: list[dict[str, Any]] = []
    immutable = None
    for path, text in files:
        for number, line in iter_lines(text, fact, path):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            try:
                args = shlex.split(stripped, comments=True)
            except ValueError:
                warn(fact, f"{path}:{number}: unbalanced quotes; line skipped")
                continue
            if not args:
                continue
            rule = _rule(args, path, number, fact)
            if rule is None:
                continue
            if rule["kind"] == "control" and rule.get("option") == "-D":
                if rules:
                    warn(fact, f"{path}:{number}: -D deletes the {len(rules)} rule(s) loaded before it")
                rules = []
                continue
            if rule["kind"] == "control" and rule.get("option") == "-e":
                immutable = (rule, line, number, path)
            if len(rules) >= MAX_RULES:
                warn(fact, f"more than {MAX_RULES} audit rules; the rest were not listed")
                break
            rule["excerpt"] = excerpt(line)
            rules.append(rule)
    for index, rule in enumerate(rules):
        fact.locations[f"rules/{index}"] = Location(rule["source"], rule["line"], rule["excerpt"])
    watches: dict[str, dict[str, Any]] = {}
    for index, rule in enumerate(rules):
        if rule["kind"] == "watch":
            watches.setdefault(rule["path"], {k: rule[k] for k in ("perms", "key", "source", "line")})
            fact.locations.setdefault(f"watches/{rule['path']}", fact.locations[f"rules/{index}"])
    covers: dict[str, bool] = {}
    for name, test in (("logins", _logins), ("sudoers", _sudoers), ("privileged_exec", _privileged)):
        hit = next((i for i, r in enumerate(rules) if test(r)), None)
        covers[name] = hit is not None
        if hit is not None:
            fact.locations[f"covers/{name}"] = fact.locations[f"rules/{hit}"]
    fact.data = {
        "files": [p for p, _ in files],
        "rules": [{k: v for k, v in r.items() if k != "excerpt"} for r in rules],
        "watches": watches,
        "syscall_rules": sum(1 for r in rules if r["kind"] == "syscall"),
        "covers": covers,
        "immutable": bool(immutable and immutable[0].get("value") == "2"),
    }
    if immutable is not None:
        fact.locations["immutable"] = Location(immutable[3], immutable[2], excerpt(immutable[1]))
    return fact


def _rule(args: list[str], path: str, number: int, fact: ParsedFact) -> dict[str, Any] | None:
    base: dict[str, Any] = {"source": path, "line": number}
    head = args[0]
    if head in ("-w", "-W"):
        rule = {**base, "kind": "watch" if head == "-w" else "unwatch", "path": None, "perms": "rwxa", "key": None}
        it = iter(args)
        for arg in it:
            if arg in ("-w", "-W"):
                rule["path"] = next(it, None)
            elif arg == "-p":
                rule["perms"] = next(it, "") or ""
            elif arg == "-k":
                rule["key"] = next(it, None)
        if not rule["path"]:
            warn(fact, f"{path}:{number}: watch without a path")
            return None
        return rule
    if head in ("-a", "-A"):
        rule = {**base, "kind": "syscall", "action": None, "list": None, "syscalls": [], "fields": [],
                "key": None}
        it = iter(args)
        for arg in it:
            if arg in ("-a", "-A"):
                parts = (next(it, "") or "").split(",")
                for part in parts:
                    if part in ("always", "never"):
                        rule["action"] = part
                    elif part:
                        rule["list"] = part
            elif arg == "-S":
                rule["syscalls"].extend(s for s in (next(it, "") or "").split(",") if s)
            elif arg in ("-F", "-C"):
                rule["fields"].append(_field(next(it, "") or "", arg))
            elif arg == "-k":
                rule["key"] = next(it, None)
        for f in rule["fields"]:
            if f["name"] == "key" and rule["key"] is None:
                rule["key"] = f["value"]
        return rule
    if head.startswith("-"):
        return {**base, "kind": "control", "option": head, "value": args[1] if len(args) > 1 else None}
    warn(fact, f"{path}:{number}: not an audit rule: {show(' '.join(args))}")
    return None


def _field(text: str, flag: str) -> dict[str, str]:
    for op in ("!=", ">=", "<=", "&=", "=", ">", "<", "&"):
        name, sep, value = text.partition(op)
        if sep:
            return {"name": name, "op": op, "value": value, "flag": flag}
    return {"name": text, "op": "", "value": "", "flag": flag}


def _path_of(rule: dict[str, Any]) -> str | None:
    if rule["kind"] == "watch":
        return rule["path"]
    if rule["kind"] == "syscall":
        return next((f["value"] for f in rule["fields"] if f["name"] in ("path", "dir")), None)
    return None


def _writes(rule: dict[str, Any]) -> bool:
    if rule["kind"] == "watch":
        return any(p in rule["perms"] for p in "wa")
    perm = next((f["value"] for f in rule["fields"] if f["name"] == "perm"), "wa")
    return any(p in perm for p in "wa")


def _logins(rule: dict[str, Any]) -> bool:
    return rule.get("action") != "never" and (_path_of(rule) or "").rstrip("/") in LOGIN_FILES and _writes(rule)


def _sudoers(rule: dict[str, Any]) -> bool:
    return rule.get("action") != "never" and (_path_of(rule) or "") in SUDOERS_FILES and _writes(rule)


def _privileged(rule: dict[str, Any]) -> bool:
    if rule.get("action") == "never":
        return False
    path = _path_of(rule)
    if path in PRIV_COMMANDS:
        if rule["kind"] == "watch":
            return "x" in rule["perms"]
        return any(f["name"] == "perm" and "x" in f["value"] for f in rule["fields"])
    if rule["kind"] == "syscall" and any(s in ("execve", "execveat", "all") for s in rule["syscalls"]):
        fields = {(f["name"], f["op"], f["value"]) for f in rule["fields"]}
        changed_user = ("uid", "!=", "euid") in fields or ("euid", "!=", "uid") in fields or (
            "gid", "!=", "egid") in fields
        as_root = ("euid", "=", "0") in fields
        return changed_user or as_root
    return False
