"""``advisories``: known vulnerabilities of the installed packages, from an OSV advisory feed.

A :class:`~hardencheck.facts.base.DerivedProbe`: it asks the target for
nothing and reads the ``packages`` and ``os_release`` facts plus a local feed
(``--advisories PATH``: a directory of OSV JSON files, a zip of them as
osv.dev publishes per ecosystem, or one JSON file), so ``hardencheck
evaluate --advisories NEWER_FEED`` re-judges a stored run against today's
advisories without touching the host. No feed: the fact is not applicable
and the checks reading it are skipped, saying why; a feed with no record for
the host's release is an error, never a clean bill of health.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from hardencheck.checks.operators import _version_cmp
from hardencheck.facts.base import DerivedProbe, FactUnavailable
from hardencheck.facts.model import FactRecord, Location, ParsedFact
from hardencheck.facts.parsers.osv import FeedIndex, add_record, host_ecosystems, match_packages

MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_RECORDS = 2_000_000


def _load_json(data: bytes, origin: str, index: FeedIndex) -> None:
    if len(data) > MAX_RECORD_BYTES:
        index.errors.append(f"{origin}: larger than {MAX_RECORD_BYTES} bytes, skipped")
        return
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        index.errors.append(f"{origin}: not valid JSON")
        return
    for record in doc if isinstance(doc, list) else [doc]:
        if len(index.advisories) >= MAX_RECORDS:
            index.errors.append(f"more than {MAX_RECORDS} records; the rest of the feed was not read")
            return
        add_record(index, record, origin)


@lru_cache(maxsize=4)
def load_feed(path: str, _stamp: tuple[int, int]) -> tuple[FeedIndex, str, int]:
    """(index, sha256 of the feed's files, files read); cached per path and modification stamp."""
    index = FeedIndex()
    digest = hashlib.sha256()
    root = Path(path)
    count = 0
    if root.is_dir():
        for f in sorted(root.rglob("*.json")):
            if f.is_file() and not f.is_symlink():
                data = f.read_bytes()
                digest.update(f.relative_to(root).as_posix().encode() + b"\0" + data)
                _load_json(data, str(f.relative_to(root)), index)
                count += 1
    elif zipfile.is_zipfile(root):
        with zipfile.ZipFile(root) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if info.filename.endswith(".json") and not info.is_dir():
                    if info.file_size > MAX_RECORD_BYTES:
                        index.errors.append(f"{info.filename}: larger than {MAX_RECORD_BYTES} bytes, skipped")
                        continue
                    data = z.read(info)
                    digest.update(info.filename.encode() + b"\0" + data)
                    _load_json(data, info.filename, index)
                    count += 1
    else:
        data = root.read_bytes()
        digest.update(data)
        _load_json(data, root.name, index)
        count = 1
    return index, digest.hexdigest(), count


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    newest = st.st_mtime_ns
    if path.is_dir():
        newest = max([newest, *(f.stat().st_mtime_ns for f in path.rglob("*.json"))])
    return newest, st.st_size


class AdvisoriesProbe(DerivedProbe):
    name = "advisories"
    description = ("Known vulnerabilities of installed packages from an OSV feed (--advisories), compared with "
                   "the distribution's version ordering; recomputed by `hardencheck evaluate`.")
    derived_from = ("packages", "os_release")

    def derive(self, facts: Mapping[str, FactRecord], options: Mapping[str, Any]) -> ParsedFact:
        feed = options.get("feed")
        if not feed:
            raise FactUnavailable("no advisory feed given (scan or evaluate with --advisories PATH)",
                                  not_applicable=True)
        path = Path(str(feed))
        if not path.exists():
            raise FactUnavailable(f"the advisory feed {path} does not exist")
        os_data = facts["os_release"].fact.data
        try:
            ecosystems, scheme = host_ecosystems(os_data)
        except ValueError as exc:
            raise FactUnavailable(str(exc)) from None
        index, sha256, files = load_feed(str(path.resolve()), _stamp(path))
        covered = [e for e in ecosystems if e in index.by_package]
        if not covered:
            raise FactUnavailable(f"the advisory feed has no record for {' or '.join(ecosystems)}: "
                                  "it cannot tell whether this host is patched")
        packages_fact = facts["packages"]
        packages = packages_fact.fact.data.get("packages") or []
        fmt = packages_fact.fact.data.get("format", "dpkg")
        scheme = {"rpm": "rpm", "apk": "apk"}.get(fmt, scheme)
        today = dt.date.fromisoformat(options["today"]) if options.get("today") else dt.date.today()
        fixed, unfixed = match_packages(index, packages, covered,
                                        lambda a, b: _version_cmp(a, b, scheme), today)
        fact = ParsedFact(data={
            "vulnerabilities": fixed, "unfixed": unfixed,
            "feed": {"path": str(path), "sha256": sha256, "files": files, "records": len(index.advisories),
                     "withdrawn": index.withdrawn, "ecosystems": covered},
            "ecosystem": covered[0], "packages_checked": len(packages), "evaluated_on": today.isoformat()})
        rows = {p.get("name"): i for i, p in enumerate(packages) if isinstance(p, dict)}
        for key, entries in (("vulnerabilities", fixed), ("unfixed", unfixed)):
            for i, entry in enumerate(entries):
                binary = entry["binaries"][0]
                loc = packages_fact.fact.locations.get(f"packages/{rows.get(binary)}")
                cves = ", ".join(entry["cves"][:6]) or "no CVE id"
                text = (f"{binary} {entry['installed']} < {entry['fixed']}" if entry["fixed"]
                        else f"{binary} {entry['installed']} (no fix yet)") + f": {entry['id']} ({cves})"
                fact.locations[f"{key}/{i}"] = Location(loc.source if loc else "fact:packages",
                                                        loc.line if loc else None, text[:300])
        fact.locations["vulnerabilities"] = Location(f"osv:{path}", None, (
            f"{len(packages)} installed packages ({covered[0]}) checked against {len(index.advisories)} "
            f"advisories, feed sha256 {sha256[:16]}"))
        fact.locations["unfixed"] = fact.locations["vulnerabilities"]
        fact.warnings.extend(index.errors[:50])
        return fact
