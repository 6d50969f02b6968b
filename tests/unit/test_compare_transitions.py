"""Check transitions: every change kind, hosts added/removed, re-evaluation of the baseline's facts."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from test_compare_rundocs import assert_valid_comparison, host_facts, make_plan, make_run, pkg, user

from hardencheck.checks.operators import _version_cmp
from hardencheck.compare import CHANGES, classify, compare_runs
from hardencheck.facts.base import DerivedProbe, FactUnavailable
from hardencheck.facts.collect import derive_facts
from hardencheck.facts.model import ParsedFact

BEFORE, AFTER = "2026-01-10T02:00:00.000Z", "2026-01-20T02:00:00.000Z"
STATUSES = [None, "pass", "fail", "error", "skipped", "waived"]

#: The whole table, written out: (before, after) -> change.
EXPECTED = {
    (None, None): "removed", ("pass", None): "removed", ("fail", None): "removed", ("error", None): "removed",
    ("skipped", None): "removed", ("waived", None): "removed",
    (None, "pass"): "new_passing", (None, "fail"): "new_failing", (None, "error"): "error",
    (None, "skipped"): "skipped", (None, "waived"): "waived",
    ("pass", "pass"): "unchanged_pass", ("pass", "fail"): "regressed", ("pass", "error"): "error",
    ("pass", "skipped"): "skipped", ("pass", "waived"): "waived",
    ("fail", "pass"): "fixed", ("fail", "fail"): "still_failing", ("fail", "error"): "error",
    ("fail", "skipped"): "skipped", ("fail", "waived"): "waived",
    ("error", "pass"): "error", ("error", "fail"): "error", ("error", "error"): "error",
    ("error", "skipped"): "error", ("error", "waived"): "error",
    ("skipped", "pass"): "new_passing", ("skipped", "fail"): "new_failing", ("skipped", "error"): "error",
    ("skipped", "skipped"): "skipped", ("skipped", "waived"): "waived",
    ("waived", "pass"): "waived", ("waived", "fail"): "waived", ("waived", "error"): "error",
    ("waived", "skipped"): "waived", ("waived", "waived"): "waived",
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(STATUSES, STATUSES)))
def test_classify_table(before: str | None, after: str | None) -> None:
    assert classify(before, after) == EXPECTED[(before, after)]


def test_the_table_reaches_every_change_kind() -> None:
    assert set(EXPECTED.values()) == set(CHANGES)


def _by(comparison: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(t["host"], t["check_id"]): t for t in comparison["transitions"]}


@pytest.fixture
def scenario(tmp_path: Path) -> dict[str, Any]:
    """Two nights of a small fleet where every change kind happens at least once."""
    before_plan = make_plan(["uid0", "empty-pw", "root-login", "max-auth", "pos-only", "old-check"])
    after_plan = make_plan(["uid0", "empty-pw", "root-login", "max-auth", "pos-only", "openssl"])
    before = make_run(tmp_path / "b", before_plan, {
        "srv-a": host_facts(sshd={"permitrootlogin": "yes", "maxauthtries": "6", "x11forwarding": "no"}),
        "srv-b": host_facts(),
        "srv-gone": host_facts(),
        "pos-1": host_facts(),
    }, BEFORE, asset_classes={"pos-1": "pos-terminal"})
    after = make_run(tmp_path / "a", after_plan, {
        "srv-a": host_facts(users=[user("root", 0), user("toor", 0)],
                            sshd={"permitrootlogin": "no", "maxauthtries": "6"},
                            packages=[pkg("openssl", "3.0.11")]),
        "srv-b": host_facts(sshd_status="error", packages=[pkg("openssl", "3.0.15")]),
        "srv-new": host_facts(packages=[pkg("openssl", "3.0.15")]),
        "pos-1": host_facts(users=[user("root", 0), user("kiosk", 1001)], packages=[pkg("openssl", "3.0.15")]),
    }, AFTER, asset_classes={"pos-1": "pos-terminal"})
    comparison = compare_runs(before, after, after_plan)
    return {"before": before, "after": after, "comparison": assert_valid_comparison(comparison), "plan": after_plan}


def test_every_change_kind_in_one_comparison(scenario: dict[str, Any]) -> None:
    t = _by(scenario["comparison"])
    assert t[("srv-a", "uid0")]["change"] == "regressed"
    assert t[("srv-a", "root-login")]["change"] == "fixed"
    assert t[("srv-a", "max-auth")]["change"] == "still_failing"
    assert t[("srv-a", "empty-pw")]["change"] == "unchanged_pass"
    assert t[("srv-a", "openssl")]["change"] == "new_failing"
    assert t[("srv-a", "old-check")]["change"] == "removed"
    assert t[("srv-b", "root-login")]["change"] == "error"
    assert t[("srv-a", "pos-only")]["change"] == "skipped"
    assert t[("pos-1", "pos-only")]["change"] == "regressed"
    assert t[("srv-new", "uid0")]["change"] == "new_passing"
    assert t[("srv-gone", "uid0")]["change"] == "removed"
    counts = scenario["comparison"]["counts"]
    assert set(counts) == set(CHANGES)
    assert sum(counts.values()) == len(scenario["comparison"]["transitions"])
    assert all(counts[k] > 0 for k in CHANGES if k != "waived")  # waived: see test_compare_waivers


def test_hosts_added_and_removed(scenario: dict[str, Any]) -> None:
    c = scenario["comparison"]
    assert c["hosts_added"] == ["srv-new"]
    assert c["hosts_removed"] == ["srv-gone"]
    gone = [t for t in c["transitions"] if t["host"] == "srv-gone"]
    assert gone and all(t["change"] == "removed" and t["after_status"] is None for t in gone)
    new = [t for t in c["transitions"] if t["host"] == "srv-new"]
    assert new and all(t["before_status"] is None for t in new)


def test_transition_carries_the_later_evidence_and_observed(scenario: dict[str, Any]) -> None:
    t = _by(scenario["comparison"])[("srv-a", "root-login")]
    assert (t["before_observed"], t["after_observed"]) == ("yes", "no")
    assert t["evidence"] and t["evidence"][0]["source"] == "cmd:sshd -T"
    assert t["remediation"].startswith("Apply the SSH hardening baseline")
    assert t["compliance"]["pci-dss-4.0"] == ["8.2.2", "2.2.6"]
    assert len(t["fingerprint"]) == 32


def test_a_check_added_since_the_baseline_is_judged_on_the_baseline_facts(tmp_path: Path) -> None:
    """max-auth did not exist at the baseline; its facts did: the baseline is re-evaluated, not 'new'."""
    before = make_run(tmp_path / "b", make_plan(["uid0"]), {
        "srv-a": host_facts(sshd={"permitrootlogin": "no", "maxauthtries": "6"}),
        "srv-b": host_facts(sshd={"permitrootlogin": "no", "maxauthtries": "3"})}, BEFORE)
    assert {r["check_id"] for r in before["hosts"][0]["results"]} == {"uid0"}
    plan = make_plan(["uid0", "max-auth"])
    after = make_run(tmp_path / "a", plan, {
        "srv-a": host_facts(sshd={"permitrootlogin": "no", "maxauthtries": "6"}),
        "srv-b": host_facts(sshd={"permitrootlogin": "no", "maxauthtries": "8"})}, AFTER)
    t = _by(assert_valid_comparison(compare_runs(before, after, plan)))
    assert (t[("srv-a", "max-auth")]["before_status"], t[("srv-a", "max-auth")]["change"]) == ("fail", "still_failing")
    assert (t[("srv-b", "max-auth")]["before_status"], t[("srv-b", "max-auth")]["change"]) == ("pass", "regressed")
    assert t[("srv-a", "max-auth")]["before_observed"] == "6"
    assert not t[("srv-a", "max-auth")]["baseline_lacks_fact"]


def test_baseline_lacking_the_fact_is_marked_not_failed(scenario: dict[str, Any]) -> None:
    t = _by(scenario["comparison"])
    for host in ("srv-a", "pos-1"):
        tr = t[(host, "openssl")]
        assert tr["baseline_lacks_fact"] is True
        assert tr["before_status"] is None
    assert t[("srv-a", "openssl")]["change"] == "new_failing"
    assert t[("pos-1", "openssl")]["change"] == "new_passing"
    assert not any(tr["baseline_lacks_fact"] for (h, c), tr in t.items() if c != "openssl")


def test_a_changed_check_definition_re_evaluates_the_later_run_too(tmp_path: Path) -> None:
    """Comparing with other checks than the later run used: both sides are judged by the given plan."""
    plan = make_plan(["uid0"])
    before = make_run(tmp_path / "b", plan, {"srv": host_facts(sshd={"permitrootlogin": "yes"})}, BEFORE)
    after = make_run(tmp_path / "a", plan, {"srv": host_facts(sshd={"permitrootlogin": "yes"})}, AFTER)
    other = make_plan(["uid0", "root-login"])
    t = _by(assert_valid_comparison(compare_runs(before, after, other)))
    assert t[("srv", "root-login")]["after_status"] == "fail"
    assert t[("srv", "root-login")]["change"] == "still_failing"


def test_matching_is_by_fingerprint_not_by_position(tmp_path: Path) -> None:
    plan = make_plan(["uid0", "root-login"])
    before = make_run(tmp_path / "b", plan, {"srv": host_facts(sshd={"permitrootlogin": "yes"})}, BEFORE)
    after = make_run(tmp_path / "a", plan, {"srv": host_facts()}, AFTER)
    after["hosts"][0]["results"].reverse()
    t = _by(compare_runs(before, after, plan))
    assert t[("srv", "root-login")]["change"] == "fixed"
    assert t[("srv", "uid0")]["change"] == "unchanged_pass"


def test_an_unreachable_baseline_host_is_an_error_transition_never_a_pass(tmp_path: Path) -> None:
    plan = make_plan(["uid0"])
    before = make_run(tmp_path / "b", plan, {"srv": "connection refused"}, BEFORE)
    after = make_run(tmp_path / "a", plan, {"srv": host_facts()}, AFTER)
    t = _by(assert_valid_comparison(compare_runs(before, after, plan)))[("srv", "uid0")]
    assert (t["before_status"], t["change"]) == ("error", "error")


def test_interrupted_later_run_reports_unfinished_hosts_as_errors(tmp_path: Path) -> None:
    plan = make_plan(["uid0"])
    before = make_run(tmp_path / "b", plan, {"srv": host_facts(), "slow": host_facts()}, BEFORE)
    after = make_run(tmp_path / "a", plan, {"srv": host_facts()}, AFTER)
    after.update(complete=False, interrupted=True, unfinished_targets=["slow"])
    c = assert_valid_comparison(compare_runs(before, after, plan))
    t = _by(c)[("slow", "uid0")]
    assert (t["after_status"], t["change"]) == ("error", "error")
    assert c["hosts_removed"] == [] and c["after"]["complete"] is False


class VulnsProbe(DerivedProbe):
    """A derived fact like ``advisories``: installed packages x a feed the auditor holds (``fixed`` versions)."""

    name = "vulns"
    description = "packages older than the feed's fixed version"
    derived_from = ("packages",)

    def derive(self, facts: Any, options: Any) -> ParsedFact:
        if "fixed" not in options:
            raise FactUnavailable("no advisory feed given", not_applicable=True)
        fixed = options["fixed"]
        hits = [p["name"] for p in facts["packages"].fact.data["packages"]
                if p["name"] in fixed and _version_cmp(p["version"], fixed[p["name"]], "dpkg") < 0]
        return ParsedFact(data={"count": len(hits), "packages": hits})


def test_derived_facts_of_the_baseline_are_recomputed_with_todays_feed(tmp_path: Path) -> None:
    """Like `hardencheck evaluate`: a CVE published since the baseline is not a regression of the host."""
    probe = VulnsProbe()
    old_feed = make_plan(["no-known-vulns"], probes={"vulns": (probe, {"fixed": {}})})
    new_feed = make_plan(["no-known-vulns"], probes={"vulns": (probe, {"fixed": {"openssl": "3.0.13"}})})

    def facts(plan: Any, packages: list[dict[str, Any]] | None) -> dict[str, Any]:
        f = host_facts(packages=packages)
        f.update(derive_facts(f, plan.probes))
        return f

    before = make_run(tmp_path / "b", old_feed, {"srv": facts(old_feed, [pkg("openssl", "3.0.11")]),
                                                 "old": facts(old_feed, None)}, BEFORE)
    assert {h["target"]["id"]: h["results"][0]["status"] for h in before["hosts"]} == {"srv": "pass", "old": "error"}
    after = make_run(tmp_path / "a", new_feed, {"srv": facts(new_feed, [pkg("openssl", "3.0.11")]),
                                                "old": facts(new_feed, [pkg("openssl", "3.0.11")])}, AFTER)
    t = _by(assert_valid_comparison(compare_runs(before, after, new_feed)))
    assert (t[("srv", "no-known-vulns")]["before_status"], t[("srv", "no-known-vulns")]["change"]) == \
        ("fail", "still_failing")
    assert t[("old", "no-known-vulns")]["baseline_lacks_fact"] is True  # no packages: nothing to derive from
    assert t[("old", "no-known-vulns")]["change"] == "new_failing"

    # without the feed, each run keeps what it knew then: the new advisory shows as a change over time
    no_feed = make_plan(["no-known-vulns"], probes={"vulns": (probe, {})})
    t = _by(assert_valid_comparison(compare_runs(before, after, no_feed)))
    assert (t[("srv", "no-known-vulns")]["before_status"], t[("srv", "no-known-vulns")]["after_status"]) == \
        ("pass", "fail")
