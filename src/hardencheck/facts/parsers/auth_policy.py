"""The authentication policy PAM really enforces: MFA, and password settings merged with their files.

MFA: a second-factor module counts only if the sshd auth stack cannot
succeed without it (:mod:`hardencheck.facts.parsers._pam_paths`), and each
way it can fail to count is reported on its own (missing, commented out,
fail-open control, skipped by an earlier module, ``nullok``).

Passwords: a setting can live in three places — the module's built-in default, its
config file (pwquality.conf and its drop-ins, faillock.conf,
pwhistory.conf) and the module arguments in /etc/pam.d, which win — and
the module only matters if PAM runs it. This module combines the parsed PAM
stacks (:mod:`hardencheck.facts.parsers.pam`) with the parsed config files
into one effective value per setting, each with the file line (or
"default") it came from, so a finding can say *why* minlen is 8.

Everything here is computed from already-parsed data; nothing is read.
"""

from __future__ import annotations

from typing import Any

from hardencheck.facts.model import Location, ParsedFact
from hardencheck.facts.parsers._pam_paths import gate
from hardencheck.facts.parsers._text import to_int

MFA_MODULES = ("pam_google_authenticator.so", "pam_oath.so", "pam_duo.so", "pam_u2f.so", "pam_yubico.so")
QUALITY_MODULES = ("pam_pwquality.so", "pam_cracklib.so")
PWQUALITY_DEFAULTS = {"minlen": 8, "dcredit": 0, "ucredit": 0, "lcredit": 0, "ocredit": 0, "minclass": 0}
"""libpwquality 1.4 defaults (pwquality.conf(5))."""
CRACKLIB_DEFAULTS = {"minlen": 9, "dcredit": 1, "ucredit": 1, "lcredit": 1, "ocredit": 1, "minclass": 0}
"""pam_cracklib(8) defaults: every class earns one credit, so 5-character passwords can pass minlen=9."""
UNIX_MINLEN_DEFAULT = 6
FAILLOCK_DEFAULTS = {"deny": 3, "unlock_time": 600, "fail_interval": 900}
"""pam_faillock(8) / faillock.conf(5) defaults."""
PWHISTORY_REMEMBER_DEFAULT = 10
HASH_OPTIONS = ("yescrypt", "gost_yescrypt", "sha512", "sha256", "blowfish", "bigcrypt", "md5")
LOGIN_DEFS_METHODS = {"YESCRYPT": "yescrypt", "GOST_YESCRYPT": "gost_yescrypt", "SHA512": "sha512",
                      "SHA256": "sha256", "BCRYPT": "blowfish", "MD5": "md5", "DES": "des"}

Conf = tuple[dict[str, Any], dict[str, Location]]
"""A parsed key=value file set: values and where each was set."""


def build_policy(pam: dict[str, Any], pam_locations: dict[str, Location], pwquality: Conf, faillock: Conf,
                 pwhistory: Conf, login_defs: Conf, *, password_service: str, login_services: list[str],
                 mfa_services: list[str], mfa_modules: tuple[str, ...] = MFA_MODULES) -> ParsedFact:
    """Effective MFA, quality, history, lockout and hashing settings, with a location for every value."""
    fact = ParsedFact()
    services = pam.get("services", {})
    password_stack = ((services.get(password_service) or {}).get("password")) or []
    where = _Where(fact, pam_locations, f"services/{password_service}/password")
    fact.data = {
        "password_service": password_service,
        "password_stack_found": bool(password_stack),
        "quality": _quality(password_stack, pwquality, where),
        "history": _history(password_stack, pwhistory, where),
        "lockout": [],
        "hashing": _hashing(password_stack, login_defs, where),
        "mfa": {},
    }
    for service in mfa_services:
        stack = ((services.get(service) or {}).get("auth")) or []
        commented = (pam.get("commented") or {}).get(service) or []
        w = _Where(fact, pam_locations, f"services/{service}/auth", prefix=f"mfa/{service}")
        fact.data["mfa"][service] = _mfa(service, stack, commented, mfa_modules, w)
    for index, service in enumerate(login_services):
        stack = ((services.get(service) or {}).get("auth")) or []
        w = _Where(fact, pam_locations, f"services/{service}/auth", prefix=f"lockout/{index}")
        fact.data["lockout"].append(_lockout(service, stack, faillock, w))
    if not password_stack:
        fact.warnings.append(f"no password stack for PAM service {password_service!r}: quality, history and "
                             "hashing are unknown")
    return fact


class _Where:
    """Records locations: a PAM entry's line, or a config line, under a data path."""

    def __init__(self, fact: ParsedFact, pam_locations: dict[str, Location], stack_path: str, prefix: str = ""):
        self.fact = fact
        self.pam_locations = pam_locations
        self.stack_path = stack_path
        self.prefix = prefix

    def path(self, key: str) -> str:
        return "/".join(p for p in (self.prefix, key) if p)

    def entry(self, key: str, stack: list[dict[str, Any]], entry: dict[str, Any]) -> None:
        loc = self.pam_locations.get(f"{self.stack_path}/{_index(stack, entry)}")
        if loc is None:
            loc = Location(entry.get("source", ""), entry.get("line"), entry.get("excerpt", ""))
        self.fact.locations[self.path(key)] = loc

    def copy(self, key: str, loc: Location | None) -> None:
        if loc is not None:
            self.fact.locations[self.path(key)] = loc


def _index(stack: list[dict[str, Any]], entry: dict[str, Any]) -> int:
    """Position of this very entry (an identical line included twice is two entries)."""
    return next(i for i, e in enumerate(stack) if e is entry)


def _find(stack: list[dict[str, Any]], modules: tuple[str, ...]) -> dict[str, Any] | None:
    return next((e for e in stack if e["module"] in modules), None)


def _effective(stack: list[dict[str, Any]], entry: dict[str, Any]) -> bool:
    """The stack cannot succeed when this module fails or is skipped."""
    return bool(gate(stack, _index(stack, entry))["enforced"])


def _mfa(service: str, stack: list[dict[str, Any]], commented: list[dict[str, Any]], modules: tuple[str, ...],
         where: _Where) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    for entry in stack:
        if entry["type"] != "auth" or entry["module"] not in modules:
            continue
        flow = gate(stack, _index(stack, entry))
        index = len(found)
        where.entry(f"modules/{index}", stack, entry)
        found.append({"module": entry["module"], "control": entry["control"], "source": entry["source"],
                      "line": entry["line"], "excerpt": entry["excerpt"], "fail_open": flow["fail_open"],
                      "skippable": flow["skippable"], "bypassed_by": list(entry["bypassed_by"]),
                      "nullok": "nullok" in entry["options"] or "nullok_secure" in entry["options"],
                      "dash": bool(entry.get("dash")), "enforced": flow["enforced"],
                      "approximate": flow["approximate"]})
    off = [c for c in commented if c["type"] == "auth" and c["module"] in modules]
    for index, c in enumerate(off):
        where.copy(f"commented/{index}", Location(c["source"], c["line"], c["excerpt"]))
    good = [m for m in found if m["enforced"] and not m["nullok"]]
    if good:
        status = "enforced"
        where.copy("status", where.fact.locations.get(where.path(f"modules/{found.index(good[0])}")))
    elif found:
        worst = found[0]
        status = ("nullok" if worst["enforced"] else "skippable" if worst["skippable"] and not worst["fail_open"]
                  else "fail-open")
        where.copy("status", where.fact.locations.get(where.path("modules/0")))
    else:
        status = "commented-out" if off else "missing"
        if off:
            where.copy("status", where.fact.locations.get(where.path("commented/0")))
    fallback = where.fact.locations.get(where.path("status"))
    if fallback is None and stack:
        where.entry("", stack, stack[0])  # nothing to show: point at the stack that lacks the module
    else:
        where.copy("", fallback)
    return {"service": service, "stack_found": bool(stack), "status": status, "enforced": bool(good),
            "modules": found, "commented": [{k: c[k] for k in ("module", "source", "line", "excerpt")} for c in off]}


def _settings(keys: dict[str, int], defaults_name: str, conf: Conf | None, args: dict[str, Any],
              entry: dict[str, Any] | None, where: _Where, section: str) -> tuple[dict[str, int | None], dict[str, str]]:
    """Default -> config file -> module argument, each value with where it came from."""
    values: dict[str, int | None] = dict(keys)
    sources = {k: defaults_name for k in keys}
    conf_values, conf_locs = conf if conf is not None else ({}, {})
    for key in keys:
        if key in conf_values:
            values[key] = to_int(str(conf_values[key]))
            loc = conf_locs.get(key)
            sources[key] = f"{loc.source}:{loc.line}" if loc else "config"
            where.copy("/".join(p for p in (section, key) if p), loc)
        if key in args and args[key] is not True:
            values[key] = to_int(str(args[key]))
            sources[key] = f"{entry['source']}:{entry['line']}" if entry else "module argument"
            if entry is not None:
                where.copy("/".join(p for p in (section, key) if p),
                           Location(entry["source"], entry["line"], entry["excerpt"]))
    return values, sources


def _quality(stack: list[dict[str, Any]], pwquality: Conf, where: _Where) -> dict[str, Any]:
    entry = _find(stack, QUALITY_MODULES)
    if entry is None:
        unix = _find(stack, ("pam_unix.so",))
        minlen = to_int(str(unix["options"].get("minlen", ""))) if unix else None
        out: dict[str, Any] = {"module": "pam_unix.so" if unix else None, "present": False, "effective": False,
               "minlen": minlen if minlen is not None else (UNIX_MINLEN_DEFAULT if unix else None),
               "requires_digit": False, "requires_letter": False, "sources": {}}
        out["effective_minlen"] = out["minlen"]
        if unix:
            where.entry("quality", stack, unix)
            where.entry("quality/minlen", stack, unix)
            where.entry("quality/effective_minlen", stack, unix)
        return out
    cracklib = entry["module"] == "pam_cracklib.so"
    defaults = CRACKLIB_DEFAULTS if cracklib else PWQUALITY_DEFAULTS
    values, sources = _settings(defaults, "default", None if cracklib else pwquality, entry["options"], entry,
                                where, "quality")
    where.entry("quality", stack, entry)
    minlen = values["minlen"]
    credits = sum(max(values[k] or 0, 0) for k in ("dcredit", "ucredit", "lcredit", "ocredit"))
    effective_minlen = None if minlen is None else max(6, minlen - credits)
    where.copy("quality/effective_minlen", where.fact.locations.get(where.path("quality/minlen"))
               or where.fact.locations.get(where.path("quality")))
    minclass = values["minclass"] or 0
    enforce_root = "enforce_for_root" in entry["options"] or (
        not cracklib and "enforce_for_root" in pwquality[0])
    return {
        "module": entry["module"], "present": True, "effective": _effective(stack, entry),
        "control": entry["control"],
        "bypassed_by": entry["bypassed_by"], **values, "credits": credits, "effective_minlen": effective_minlen,
        "requires_digit": (values["dcredit"] or 0) < 0 or minclass >= 4,
        "requires_letter": (values["ucredit"] or 0) < 0 or (values["lcredit"] or 0) < 0 or minclass >= 3,
        "enforce_for_root": enforce_root, "sources": sources,
    }


def _history(stack: list[dict[str, Any]], pwhistory: Conf, where: _Where) -> dict[str, Any]:
    hist = _find(stack, ("pam_pwhistory.so",))
    unix = _find(stack, ("pam_unix.so",))
    candidates: list[dict[str, Any]] = []
    if hist is not None:
        values, sources = _settings({"remember": PWHISTORY_REMEMBER_DEFAULT}, "default", pwhistory,
                                    hist["options"], hist, where, "history")
        if "history/remember" not in where.fact.locations:
            where.entry("history/remember", stack, hist)
        candidates.append({"module": "pam_pwhistory.so", "remember": values["remember"],
                           "effective": _effective(stack, hist), "bypassed_by": hist["bypassed_by"],
                           "source": sources["remember"]})
        where.entry("history", stack, hist)
    if unix is not None and "remember" in unix["options"]:
        remember = to_int(str(unix["options"]["remember"]))
        candidates.append({"module": "pam_unix.so", "remember": remember, "effective": _effective(stack, unix),
                           "bypassed_by": unix["bypassed_by"], "source": f"{unix['source']}:{unix['line']}"})
        if hist is None:
            where.entry("history", stack, unix)
            where.entry("history/remember", stack, unix)
    if not candidates and stack:
        where.entry("history", stack, unix or stack[0])  # no history module: point at the password stack
    working = [c for c in candidates if c["effective"] and c["remember"] is not None]
    best = max(working, key=lambda c: c["remember"], default=None)
    return {"present": bool(candidates), "effective": best is not None,
            "module": best["module"] if best else (candidates[0]["module"] if candidates else None),
            "remember": best["remember"] if best else 0, "mechanisms": candidates}


def _lockout(service: str, stack: list[dict[str, Any]], faillock: Conf, where: _Where) -> dict[str, Any]:
    entries = [e for e in stack if e["module"] == "pam_faillock.so"]
    tally = _find(stack, ("pam_tally2.so", "pam_tally.so"))
    out: dict[str, Any] = {"service": service, "stack_found": bool(stack), "module": None, "present": False,
                           "active": False, "deny": None, "unlock_time": None, "fail_interval": None,
                           "sources": {}}
    if entries:
        preauth = next((e for e in entries if "preauth" in e["options"]), None)
        authfail = next((e for e in entries if "authfail" in e["options"]), None)
        first = preauth or entries[0]
        where.entry("", stack, first)
        merged: dict[str, Any] = {}
        for e in entries:  # each faillock line may carry its own deny=; the preauth one decides the lock
            merged.update({k: v for k, v in e["options"].items() if k in FAILLOCK_DEFAULTS})
        if preauth is not None:
            merged.update({k: v for k, v in preauth["options"].items() if k in FAILLOCK_DEFAULTS})
        values, sources = _settings(FAILLOCK_DEFAULTS, "default", faillock, merged, first, where, "")
        out.update(module="pam_faillock.so", present=True,
                   active=bool(preauth and _effective(stack, preauth) and authfail is not None), **values,
                   sources=sources,
                   preauth=preauth is not None, authfail=authfail is not None)
        for key in FAILLOCK_DEFAULTS:
            if where.path(key) not in where.fact.locations:
                where.entry(key, stack, first)
    elif tally is not None:
        where.entry("", stack, tally)
        deny = to_int(str(tally["options"].get("deny", "")))
        unlock = to_int(str(tally["options"].get("unlock_time", "0")))
        out.update(module=tally["module"], present=True, active=_effective(stack, tally) and bool(deny), deny=deny,
                   unlock_time=unlock, sources={"deny": f"{tally['source']}:{tally['line']}"})
        for key in ("deny", "unlock_time"):
            where.entry(key, stack, tally)
    elif stack:
        where.entry("", stack, stack[0])  # no lockout module: point at the stack that lacks it
    return out


def _hashing(stack: list[dict[str, Any]], login_defs: Conf, where: _Where) -> dict[str, Any]:
    unix = _find(stack, ("pam_unix.so",))
    defs, defs_locs = login_defs
    method = str(defs.get("ENCRYPT_METHOD", "")).upper() or None
    where.copy("hashing/encrypt_method", defs_locs.get("ENCRYPT_METHOD"))
    where.copy("hashing/encrypt_method_algorithm", defs_locs.get("ENCRYPT_METHOD"))
    algorithm: str | None = None
    source = None
    if unix is not None:
        chosen = [a for a in unix["args"] if a in HASH_OPTIONS]
        where.entry("hashing/pam_unix_algorithm", stack, unix)
        if chosen:
            algorithm, source = chosen[-1], f"{unix['source']}:{unix['line']}"
        elif method:
            algorithm, source = LOGIN_DEFS_METHODS.get(method, method.lower()), "login.defs ENCRYPT_METHOD"
            where.copy("hashing/pam_unix_algorithm", defs_locs.get("ENCRYPT_METHOD"))
        else:
            algorithm, source = "des", "pam_unix default (no hashing option, no ENCRYPT_METHOD)"
    return {"pam_unix_algorithm": algorithm, "pam_unix_source": source, "encrypt_method": method,
            "encrypt_method_algorithm": LOGIN_DEFS_METHODS.get(method or "", None) if method else None}
