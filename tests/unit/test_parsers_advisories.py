"""OSV matching: ranges per the OSV spec, dpkg ordering, ecosystems, severity, and the derived fact end to end."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest

from hardencheck.checks.operators import _version_cmp
from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.model import FactRecord, Location, ParsedFact
from hardencheck.facts.parsers.osv import (
    FeedIndex,
    add_record,
    cvss2_score,
    cvss3_score,
    host_ecosystems,
    match_packages,
    record_severity,
)
from hardencheck.facts.probes.advisories import AdvisoriesProbe

FEED = Path(__file__).resolve().parents[1] / "fixtures" / "osv"
TODAY = dt.date(2025, 8, 1)


def dpkg(a: str, b: str) -> int:
    return _version_cmp(a, b, "dpkg")


def _record(rid: str, events: list[dict[str, str]], **extra: object) -> dict[str, object]:
    return {"id": rid, "modified": "2024-01-01T00:00:00Z", "published": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "foo"},
                          "ranges": [{"type": "ECOSYSTEM", "events": events}]}], **extra}


def _match(records: list[dict[str, object]], version: str) -> tuple[list[dict], list[dict]]:
    index = FeedIndex()
    for r in records:
        add_record(index, r, "test")
    return match_packages(index, [{"name": "foo", "version": version, "source_package": "foo"}],
                          ["Debian:12"], dpkg, TODAY)


def test_cvss_scores_match_the_specification_examples() -> None:
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") == 10.0
    assert cvss3_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H") == 8.8
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N") == 7.5
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N") == 0.0
    assert cvss3_score("CVSS:3.1/AV:N") is None
    assert cvss2_score("AV:N/AC:L/Au:N/C:C/I:C/A:C") == 10.0
    assert cvss2_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5


def test_ranges_introduced_fixed_last_affected_and_versions() -> None:
    rng = [{"introduced": "0"}, {"fixed": "1.2-3"}, {"introduced": "2.0-1"}, {"fixed": "2.0-4"}]
    assert _match([_record("R", rng)], "1.2-2")[0][0]["fixed"] == "1.2-3"
    assert _match([_record("R", rng)], "1.2-3") == ([], [])
    assert _match([_record("R", rng)], "2.0-2")[0][0]["fixed"] == "2.0-4"
    assert _match([_record("R", rng)], "1:0.9") == ([], [])  # an epoch wins in dpkg ordering
    fixed, unfixed = _match([_record("L", [{"introduced": "0"}, {"last_affected": "1.5-1"}])], "1.5-1")
    assert fixed == [] and unfixed[0]["id"] == "L"
    assert _match([_record("L", [{"introduced": "0"}, {"last_affected": "1.5-1"}])], "1.5-2") == ([], [])
    exact = _record("V", [{"introduced": "9"}])
    exact["affected"][0]["versions"] = ["1.0-1"]  # type: ignore[index]
    assert _match([exact], "1.0-1")[1][0]["id"] == "V"


def test_withdrawn_and_other_ecosystems_are_ignored() -> None:
    gone = _record("W", [{"introduced": "0"}, {"fixed": "9"}], withdrawn="2024-02-01T00:00:00Z")
    other = _record("U", [{"introduced": "0"}, {"fixed": "9"}])
    other["affected"][0]["package"]["ecosystem"] = "Ubuntu:22.04:LTS"  # type: ignore[index]
    assert _match([gone, other], "1.0") == ([], [])


def test_severity_sources() -> None:
    assert record_severity({"severity": [{"type": "Ubuntu", "score": "negligible"}]})[0] == "low"
    assert record_severity({"database_specific": {"severity": "MODERATE"}})[0] == "medium"
    assert record_severity({"affected": [{"ecosystem_specific": {"urgency": "high"}}]})[0] == "high"
    assert record_severity({"id": "DSA-1-1"}) == ("unknown", "none in the advisory", None)


def test_host_ecosystems() -> None:
    assert host_ecosystems({"id": "debian", "version_id": "12"}) == (("Debian:12",), "dpkg")
    assert host_ecosystems({"id": "ubuntu", "version_id": "22.04"}) == (("Ubuntu:22.04", "Ubuntu:22.04:LTS"), "dpkg")
    assert host_ecosystems({"id": "alpine", "version_id": "3.18.4"}) == (("Alpine:v3.18",), "apk")
    with pytest.raises(ValueError):
        host_ecosystems({"id": "debian", "version_id": None})


def _facts(os_release: dict[str, str], packages: list[dict[str, str]]) -> dict[str, FactRecord]:
    pkg = ParsedFact({"format": "dpkg", "packages": packages},
                     {f"packages/{i}": Location("/var/lib/dpkg/status", 10 * i + 1, f"Package: {p['name']}")
                      for i, p in enumerate(packages)})
    return {"os_release": FactRecord("os_release", "ok", fact=ParsedFact(os_release)),
            "packages": FactRecord("packages", "ok", fact=pkg)}


WEAK = [{"name": "openssl", "version": "3.0.11-1~deb12u1", "source_package": "openssl"},
        {"name": "libssl3", "version": "3.0.11-1~deb12u1", "source_package": "openssl"},
        {"name": "sudo", "version": "1.9.13p3-1+deb12u1", "source_package": "sudo"},
        {"name": "bash", "version": "5.2.15-2+b8", "source_package": "bash"}]


@pytest.mark.parametrize("feed_kind", ["dir", "zip", "file"])
def test_fixture_feed_on_a_debian_12_host(feed_kind: str, tmp_path: Path) -> None:
    feed = FEED
    if feed_kind == "zip":
        feed = tmp_path / "all.zip"
        with zipfile.ZipFile(feed, "w") as z:
            for f in FEED.rglob("*.json"):
                z.write(f, f.name)
    elif feed_kind == "file":
        feed = tmp_path / "all.json"
        feed.write_text(json.dumps([json.loads(f.read_text()) for f in FEED.rglob("*.json")]))
    fact = AdvisoriesProbe().derive(_facts({"id": "debian", "version_id": "12"}, WEAK),
                                    {"feed": str(feed), "today": "2025-08-01"})
    vulns = {v["id"]: v for v in fact.data["vulnerabilities"]}
    assert set(vulns) == {"DSA-5532-1", "DSA-5764-1", "DEBIAN-CVE-2025-32462"}  # DEBIAN-CVE-2023-5363 is covered
    dsa = vulns["DSA-5532-1"]
    assert dsa["binaries"] == ["openssl", "libssl3"] and dsa["fixed"] == "3.0.11-1~deb12u2"
    assert (dsa["severity"], dsa["cvss_score"]) == ("high", 7.5)  # borrowed from DEBIAN-CVE-2023-5363
    assert dsa["cves"] == ["CVE-2023-5363"] and dsa["days_since_published"] == (TODAY - dt.date(2023, 10, 24)).days
    assert vulns["DSA-5764-1"]["severity"] == "unknown"
    assert vulns["DEBIAN-CVE-2025-32462"]["days_since_published"] == 32
    assert fact.data["feed"]["records"] == 6 and fact.data["ecosystem"] == "Debian:12"
    loc = fact.locations[f"vulnerabilities/{fact.data['vulnerabilities'].index(dsa)}"]
    assert loc.source == "/var/lib/dpkg/status" and loc.line == 1
    assert loc.excerpt == "openssl 3.0.11-1~deb12u1 < 3.0.11-1~deb12u2: DSA-5532-1 (CVE-2023-5363)"


def test_patched_host_and_hosts_the_feed_does_not_cover() -> None:
    patched = [{"name": "openssl", "version": "3.0.19-1~deb12u2", "source_package": "openssl"},
               {"name": "sudo", "version": "1.9.13p3-1+deb12u4", "source_package": "sudo"}]
    fact = AdvisoriesProbe().derive(_facts({"id": "debian", "version_id": "12"}, patched), {"feed": str(FEED)})
    assert fact.data["vulnerabilities"] == []
    with pytest.raises(FactUnavailable, match="no record for Debian:10"):
        AdvisoriesProbe().derive(_facts({"id": "debian", "version_id": "10"}, patched), {"feed": str(FEED)})
    with pytest.raises(FactUnavailable, match="no OSV ecosystem"):
        AdvisoriesProbe().derive(_facts({"id": "rocky", "version_id": "9.3"}, patched), {"feed": str(FEED)})


def test_no_feed_is_not_applicable_and_a_broken_feed_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FactUnavailable) as exc:
        AdvisoriesProbe().derive(_facts({"id": "debian", "version_id": "12"}, WEAK), {})
    assert exc.value.not_applicable
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "ok.json").write_text((FEED / "debian" / "DSA-5532-1.json").read_text())
    fact = AdvisoriesProbe().derive(_facts({"id": "debian", "version_id": "12"}, WEAK), {"feed": str(tmp_path)})
    assert [v["id"] for v in fact.data["vulnerabilities"]] == ["DSA-5532-1"]
    assert fact.warnings == ["bad.json: not valid JSON"]
