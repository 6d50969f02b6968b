"""OSV advisories (the format Debian, Ubuntu and Alpine publish on osv.dev) matched against installed packages.

Pure functions: the probe reads the feed, this module decides. Rules:

* a record applies to a host through ``affected[].package.ecosystem``
  (``Debian:12``, ``Ubuntu:22.04:LTS``, ``Alpine:v3.18``) and the *source*
  package name, which is how these distributions name packages in OSV;
* versions are compared with the distribution's own ordering (dpkg, rpm;
  apk uses the dpkg-style comparison) through the operator table's
  ``_version_cmp``;
* ``ECOSYSTEM`` ranges are evaluated as the OSV specification describes
  (events sorted by version; ``introduced`` opens, ``fixed``/``limit``
  close, ``last_affected`` closes after that version), plus ``versions``;
* severity is the highest of: Ubuntu's priority, CVSS v3/v2 base scores
  (computed from the vector), ``database_specific.severity``, Debian's
  tracker urgency; an advisory without any (most DSAs) borrows it from
  another record for the same CVE, else it is ``unknown``;
* withdrawn records are ignored.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_PER_CVE = re.compile(r"^(DEBIAN|UBUNTU|ALPINE)-CVE-")


@dataclass(frozen=True)
class Affected:
    """One ``affected`` entry, reduced to what matching needs."""

    record: int
    ecosystem: str
    package: str
    events: tuple[tuple[str, str], ...]  # per range, flattened with ("|", "") separators
    versions: frozenset[str]
    urgency: str | None


@dataclass
class Advisory:
    id: str
    cves: tuple[str, ...]
    aliases: tuple[str, ...]
    published: str | None
    summary: str
    url: str | None
    severity: str
    severity_source: str
    score: float | None


@dataclass
class FeedIndex:
    """Advisories and an index ``ecosystem -> package -> [Affected]``."""

    advisories: list[Advisory] = field(default_factory=list)
    by_package: dict[str, dict[str, list[Affected]]] = field(default_factory=dict)
    cve_severity: dict[str, tuple[str, str, float | None]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    withdrawn: int = 0


# ---- CVSS --------------------------------------------------------------------------------------

_V3 = {"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}, "AC": {"L": 0.77, "H": 0.44},
       "UI": {"N": 0.85, "R": 0.62}, "C": {"H": 0.56, "L": 0.22, "N": 0.0}}
_V2 = {"AV": {"L": 0.395, "A": 0.646, "N": 1.0}, "AC": {"H": 0.35, "M": 0.61, "L": 0.71},
       "Au": {"M": 0.45, "S": 0.56, "N": 0.704}, "C": {"N": 0.0, "P": 0.275, "C": 0.660}}


def _roundup(x: float) -> float:
    i = round(x * 100000)
    return i / 100000.0 if i % 10000 == 0 else (math.floor(i / 10000) + 1) / 10.0


def cvss3_score(vector: str) -> float | None:
    """CVSS v3.0/v3.1 base score from a vector string; None if the vector is incomplete."""
    m = dict(p.split(":", 1) for p in vector.split("/")[1:] if ":" in p)
    try:
        scope_changed = m["S"] == "C"
        pr = {"N": 0.85, "L": 0.68 if scope_changed else 0.62, "H": 0.5 if scope_changed else 0.27}[m["PR"]]
        av, ac, ui = _V3["AV"][m["AV"]], _V3["AC"][m["AC"]], _V3["UI"][m["UI"]]
        c, i, a = (_V3["C"][m[k]] for k in ("C", "I", "A"))
    except KeyError:
        return None
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    exploitability = 8.22 * av * ac * pr * ui
    total = 1.08 * (impact + exploitability) if scope_changed else impact + exploitability
    return _roundup(min(total, 10.0))


def cvss2_score(vector: str) -> float | None:
    m = dict(p.split(":", 1) for p in vector.split("/") if ":" in p)
    try:
        av, ac, au = _V2["AV"][m["AV"]], _V2["AC"][m["AC"]], _V2["Au"][m["Au"]]
        c, i, a = (_V2["C"][m[k]] for k in ("C", "I", "A"))
    except KeyError:
        return None
    impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a))
    exploitability = 20 * av * ac * au
    return round((0.6 * impact + 0.4 * exploitability - 1.5) * (0 if impact == 0 else 1.176), 1)


def rating(score: float, v2: bool = False) -> str:
    if score == 0:
        return "none"
    if v2:
        return "low" if score < 4 else "medium" if score < 7 else "high"
    return "low" if score < 4 else "medium" if score < 7 else "high" if score < 9 else "critical"


def record_severity(record: Mapping[str, Any]) -> tuple[str, str, float | None]:
    """(severity, where it came from, CVSS score) for a whole record, highest source wins."""
    found: list[tuple[str, str, float | None]] = []
    severities = list(record.get("severity") or [])
    for aff in record.get("affected") or []:
        if isinstance(aff, dict):
            severities += aff.get("severity") or []
            urgency = (aff.get("ecosystem_specific") or {}).get("urgency") if isinstance(
                aff.get("ecosystem_specific"), dict) else None
            mapped = {"high": "high", "medium": "medium", "low": "low", "unimportant": "low"}.get(str(urgency).lower())
            if mapped:
                found.append((mapped, "debian urgency", None))
    for sev in severities:
        if not isinstance(sev, dict):
            continue
        kind, score = str(sev.get("type", "")), str(sev.get("score", ""))
        if kind == "Ubuntu" and score.lower() in ("negligible", "low", "medium", "high", "critical"):
            found.append(({"negligible": "low"}.get(score.lower(), score.lower()), "ubuntu priority", None))
        elif kind == "CVSS_V3":
            s = cvss3_score(score)
            if s is not None:
                found.append((rating(s), "cvss v3", s))
        elif kind == "CVSS_V2":
            s = cvss2_score(score)
            if s is not None:
                found.append((rating(s, v2=True), "cvss v2", s))
    db = record.get("database_specific")
    if isinstance(db, dict) and isinstance(db.get("severity"), str):
        mapped = {"moderate": "medium", "important": "high"}.get(db["severity"].lower(), db["severity"].lower())
        if mapped in SEVERITY_RANK:
            found.append((mapped, "database severity", None))
    if not found:
        return "unknown", "none in the advisory", None
    return max(found, key=lambda f: SEVERITY_RANK[f[0]])


# ---- records -----------------------------------------------------------------------------------

def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def add_record(index: FeedIndex, record: Any, origin: str) -> None:
    """Add one OSV record; malformed ones become an error line naming ``origin``."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        index.errors.append(f"{origin}: not an OSV record (no id)")
        return
    if record.get("withdrawn"):
        index.withdrawn += 1
        return
    ids = [record["id"], *_strings(record.get("aliases")), *_strings(record.get("upstream")),
           *_strings(record.get("related"))]
    cves = tuple(dict.fromkeys(i for i in ids if _CVE.match(i)))
    aliases = tuple(dict.fromkeys(i for i in ids[1:] if not _CVE.match(i)))
    severity, source, score = record_severity(record)
    refs = [r.get("url") for r in record.get("references") or [] if isinstance(r, dict)
            and r.get("type") == "ADVISORY" and isinstance(r.get("url"), str)]
    published = record.get("published") if isinstance(record.get("published"), str) else record.get("modified")
    adv = Advisory(record["id"][:100], cves, aliases, published if isinstance(published, str) else None,
                   str(record.get("summary") or "")[:300], refs[0] if refs else None, severity, source, score)
    number = len(index.advisories)
    index.advisories.append(adv)
    if severity != "unknown":
        for cve in cves:
            old = index.cve_severity.get(cve)
            if old is None or SEVERITY_RANK[severity] > SEVERITY_RANK[old[0]]:
                index.cve_severity[cve] = (severity, f"{source} of {adv.id}", score)
    for aff in record.get("affected") or []:
        if not isinstance(aff, dict) or not isinstance(aff.get("package"), dict):
            continue
        eco, name = aff["package"].get("ecosystem"), aff["package"].get("name")
        if not isinstance(eco, str) or not isinstance(name, str):
            continue
        events: list[tuple[str, str]] = []
        for rng in aff.get("ranges") or []:
            if not isinstance(rng, dict) or rng.get("type") != "ECOSYSTEM":
                continue
            for ev in rng.get("events") or []:
                if isinstance(ev, dict) and len(ev) == 1:
                    (kind, value), = ev.items()
                    if kind in ("introduced", "fixed", "last_affected", "limit") and isinstance(value, str):
                        events.append((kind, value))
            events.append(("|", ""))
        urgency = (aff.get("ecosystem_specific") or {}).get("urgency") if isinstance(
            aff.get("ecosystem_specific"), dict) else None
        entry = Affected(number, eco, name, tuple(events), frozenset(_strings(aff.get("versions"))),
                         str(urgency) if urgency else None)
        index.by_package.setdefault(eco, {}).setdefault(name, []).append(entry)


# ---- matching ----------------------------------------------------------------------------------

def host_ecosystems(os_release: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """The OSV ecosystems a host's packages belong to, and the version scheme; ValueError if unknown."""
    os_id = str(os_release.get("id") or "")
    version = str(os_release.get("version_id") or "")
    major = re.match(r"^\d+", version)
    if os_id == "debian" and major:
        return (f"Debian:{major.group(0)}",), "dpkg"
    if os_id == "ubuntu" and re.match(r"^\d+\.\d+$", version):
        return (f"Ubuntu:{version}", f"Ubuntu:{version}:LTS"), "dpkg"
    if os_id == "alpine" and re.match(r"^\d+\.\d+", version):
        return (f"Alpine:v{'.'.join(version.split('.')[:2])}",), "apk"
    raise ValueError(f"no OSV ecosystem is known for {os_id or 'this system'} {version}".strip())


def _affected(version: str, aff: Affected, cmp: Callable[[str, str], int]) -> tuple[bool, str | None]:
    """(affected?, the fix that ends the affecting range or None)."""
    if version in aff.versions:
        fixes = [v for k, v in aff.events if k == "fixed" and cmp(v, version) > 0]
        return True, min(fixes, key=functools.cmp_to_key(cmp)) if fixes else None

    def order(a: tuple[str, str], b: tuple[str, str]) -> int:
        a0, b0 = a == ("introduced", "0"), b == ("introduced", "0")
        return 0 if a0 and b0 else -1 if a0 else 1 if b0 else cmp(a[1], b[1])

    start = 0
    events = list(aff.events)
    while start < len(events):
        end = next((i for i in range(start, len(events)) if events[i][0] == "|"), len(events))
        rng = events[start:end]
        start = end + 1
        ordered = sorted(rng, key=functools.cmp_to_key(order))
        vulnerable, fix = False, None
        for kind, value in ordered:
            if kind == "introduced" and (value == "0" or cmp(version, value) >= 0):
                vulnerable, fix = True, None
            elif kind in ("fixed", "limit") and cmp(version, value) >= 0 or kind == "last_affected" and cmp(version, value) > 0:
                vulnerable = False
            elif kind == "fixed" and vulnerable and fix is None:
                fix = value
        if vulnerable:
            return True, fix
    return False, None


def _days(published: str | None, today: dt.date) -> int | None:
    if not published:
        return None
    try:
        return (today - dt.date.fromisoformat(published[:10])).days
    except ValueError:
        return None


def match_packages(index: FeedIndex, packages: Iterable[Mapping[str, Any]], ecosystems: Iterable[str],
                   cmp: Callable[[str, str], int], today: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(vulnerabilities with a fix, vulnerabilities without one) for the installed packages.

    One entry per advisory and source package, naming the installed binary
    packages built from it.
    """
    groups: dict[tuple[int, str, str], dict[str, Any]] = {}
    ecos = [e for e in ecosystems if e in index.by_package]
    for pkg in packages:
        version, name = pkg.get("version"), pkg.get("name")
        if not isinstance(version, str) or not isinstance(name, str):
            continue
        source = pkg.get("source_package") or name
        for eco in ecos:
            for aff in index.by_package[eco].get(source, []) + ([] if source == name
                                                               else index.by_package[eco].get(name, [])):
                hit, fix = _affected(version, aff, cmp)
                if not hit:
                    continue
                entry = groups.setdefault((aff.record, aff.package, version), {
                    "record": aff.record, "package": aff.package, "installed": version, "fixed": fix,
                    "binaries": [], "ecosystem": eco})
                if name not in entry["binaries"]:
                    entry["binaries"].append(name)
    fixed: list[dict[str, Any]] = []
    unfixed: list[dict[str, Any]] = []
    for entry in groups.values():
        adv = index.advisories[entry.pop("record")]
        severity, source, score = adv.severity, adv.severity_source, adv.score
        if severity == "unknown":
            borrowed = [index.cve_severity[c] for c in adv.cves if c in index.cve_severity]
            if borrowed:
                severity, source, score = max(borrowed, key=lambda b: SEVERITY_RANK[b[0]])
        entry.update(id=adv.id, cves=list(adv.cves), aliases=list(adv.aliases), severity=severity,
                     severity_source=source, cvss_score=score, published=(adv.published or "")[:10] or None,
                     days_since_published=_days(adv.published, today), summary=adv.summary, url=adv.url)
        (fixed if entry["fixed"] else unfixed).append(entry)
    return _drop_covered(fixed), _drop_covered(unfixed)


def _drop_covered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A per-CVE record (DEBIAN-CVE-...) adds nothing when an advisory for the same package names its CVEs."""
    covered: dict[str, set[str]] = {}
    for e in entries:
        if not _PER_CVE.match(e["id"]):
            covered.setdefault(e["package"], set()).update(e["cves"])
    kept = [e for e in entries if not (_PER_CVE.match(e["id"]) and e["cves"]
                                       and set(e["cves"]) <= covered.get(e["package"], set()))]
    return sorted(kept, key=lambda e: (-SEVERITY_RANK.get(e["severity"], 5), e["package"], e["id"]))
