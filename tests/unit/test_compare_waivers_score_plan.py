"""Waiver flags, the posture score formula, and the remediation plan's grouping and order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from test_compare_rundocs import SSH_FIX, assert_valid_comparison, host_facts, make_plan, make_run, user

from hardencheck.compare import compare_runs
from hardencheck.compare.remediation import plan_items
from hardencheck.compare.score import score_of
from hardencheck.waivers import Waiver

BEFORE, AFTER = "2026-01-10T02:00:00.000Z", "2026-01-20T02:00:00.000Z"
WEAK_SSHD = {"permitrootlogin": "yes", "maxauthtries": "6"}


def waiver(check: str, hosts: list[str], expires: str) -> Waiver:
    return Waiver(check, tuple(hosts), f"accepted for {check}", dt.date.fromisoformat(expires), "ciso", "RISK-1")


def _by(c: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(t["host"], t["check_id"]): t for t in c["transitions"]}


# -- waivers ----------------------------------------------------------------------------------------

@pytest.fixture
def waived(tmp_path: Path) -> dict[str, Any]:
    plan = make_plan(["uid0", "max-auth", "root-login"])
    lapsing = waiver("max-auth", ["srv-a"], "2026-01-15")       # valid on the 10th, expired by the 20th
    lasting = waiver("root-login", ["srv-*"], "2026-06-30")     # valid on both dates
    hiding = waiver("uid0", ["srv-a"], "2026-12-31")            # only in the later run, over a regression
    before = make_run(tmp_path / "b", plan, {"srv-a": host_facts(sshd=WEAK_SSHD), "srv-b": host_facts()},
                      BEFORE, waivers=[lapsing, lasting])
    after = make_run(tmp_path / "a", plan, {
        "srv-a": host_facts(users=[user("root", 0), user("toor", 0)], sshd=WEAK_SSHD),
        "srv-b": host_facts(sshd=WEAK_SSHD)}, AFTER, waivers=[lapsing, lasting, hiding])
    return {"plan": plan, "comparison": assert_valid_comparison(compare_runs(before, after, plan))}


def test_baseline_is_judged_with_its_own_waivers_as_of_its_date(waived: dict[str, Any]) -> None:
    t = _by(waived["comparison"])
    assert (t[("srv-a", "max-auth")]["before_status"], t[("srv-a", "max-auth")]["after_status"]) == ("waived", "fail")
    assert t[("srv-a", "max-auth")]["change"] == "waived"
    assert (t[("srv-a", "root-login")]["before_status"], t[("srv-a", "root-login")]["after_status"]) == \
        ("waived", "waived")
    assert t[("srv-b", "root-login")]["change"] == "waived"  # pass -> waived (the waiver covers srv-*)


def test_waiver_expired_between_the_runs_is_flagged(waived: dict[str, Any]) -> None:
    flags = waived["comparison"]["waivers"]["expired_between"]
    assert [(f["check"], f["expires"]) for f in flags] == [("max-auth", "2026-01-15")]
    assert flags[0]["affected"] == [{"host": "srv-a", "check_id": "max-auth"}]
    assert flags[0]["ticket"] == "RISK-1"


def test_waiver_covering_a_regression_is_flagged(waived: dict[str, Any]) -> None:
    flags = waived["comparison"]["waivers"]["covering_regressions"]
    by_check = {f["check"]: f for f in flags}
    assert set(by_check) == {"uid0", "root-login"}  # uid0: passed, now hidden; root-login on srv-b likewise
    assert by_check["uid0"]["affected"] == [{"host": "srv-a", "check_id": "uid0"}]
    assert by_check["root-login"]["affected"] == [{"host": "srv-b", "check_id": "root-login"}]


def test_waived_findings_are_not_in_the_remediation_plan(waived: dict[str, Any]) -> None:
    items = waived["comparison"]["plan"]
    assert [(i["checks"], i["hosts"]) for i in items] == [(["max-auth"], ["srv-a", "srv-b"])]


# -- score ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("results", "expected"), [
    ([("critical", "pass")], 100.0),
    ([("critical", "fail")], 0.0),
    ([("critical", "pass"), ("high", "fail")], 66.7),                      # 100 * (1 - 5/15)
    ([("critical", "pass"), ("high", "fail"), ("medium", "error"), ("low", "skipped"), ("info", "fail"),
      ("high", "waived")], 58.8),                                         # 100 * (1 - 7/17)
    ([("medium", "pass"), ("low", "fail"), ("low", "pass")], 75.0),        # 100 * (1 - 1/4)
    ([("low", "skipped"), ("high", "waived")], None),                      # nothing applicable
    ([("info", "fail")], None),                                            # info weighs nothing
    ([("high", "fail"), ("high", None)], 0.0),                             # no result: left out
])
def test_score_formula(results: list[tuple[str, str | None]], expected: float | None) -> None:
    assert score_of(results) == expected


def test_fleet_score_weighs_every_finding_not_every_host(tmp_path: Path) -> None:
    plan = make_plan(["uid0", "root-login", "max-auth"])  # critical 10, high 5, medium 2: 17 per host
    before = make_run(tmp_path / "b", plan, {"a": host_facts(sshd=WEAK_SSHD), "b": host_facts()}, BEFORE)
    after = make_run(tmp_path / "a", plan, {"a": host_facts(), "b": host_facts(),
                                            "c": "connection refused"}, AFTER)
    s = assert_valid_comparison(compare_runs(before, after, plan))["score"]
    assert s["hosts"]["a"] == {"before": round(100 * (1 - 7 / 17), 1), "after": 100.0}
    assert s["hosts"]["b"] == {"before": 100.0, "after": 100.0}
    assert s["hosts"]["c"] == {"before": None, "after": 0.0}  # unreachable: errors count as failed
    assert s["fleet"] == {"before": round(100 * (1 - 7 / 34), 1), "after": round(100 * (1 - 17 / 51), 1)}
    assert s["weights"] == {"critical": 10, "high": 5, "medium": 2, "low": 1, "info": 0}


# -- remediation plan -------------------------------------------------------------------------------

def _t(host: str, cid: str, severity: str, remediation: str, status: str = "fail",
       compliance: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"host": host, "check_id": cid, "title": cid.title(), "severity": severity, "after_status": status,
            "remediation": remediation, "compliance": compliance or {}}


def test_plan_groups_by_fix_and_orders_by_severity_then_hosts() -> None:
    items = plan_items([
        _t("h1", "tls", "medium", "Disable TLS 1.0", compliance={"pci-dss-4.0": ["4.2.1"]}),
        _t("h2", "tls", "medium", "Disable TLS 1.0", compliance={"pci-dss-4.0": ["4.2.1"]}),
        _t("h3", "tls", "medium", "Disable TLS 1.0", compliance={"pci-dss-4.0": ["4.2.1"]}),
        _t("h1", "ntp", "medium", "Configure NTP"),
        _t("h1", "root-login", "high", SSH_FIX, compliance={"pci-dss-4.0": ["8.2.2", "2.2.6"]}),
        _t("h2", "max-auth", "medium", SSH_FIX, compliance={"pci-dss-4.0": ["8.3.4", "2.2.6"],
                                                             "cis-debian-12": ["5.1.14"]}),
        _t("h9", "uid0", "critical", "userdel", status="waived"),
        _t("h9", "empty-pw", "critical", "passwd -l", status="pass"),
        _t("h4", "banner", "low", ""),
        _t("h5", "motd", "low", ""),
    ])
    assert [(i["item"], i["checks"], i["hosts"]) for i in items] == [
        (1, ["root-login", "max-auth"], ["h1", "h2"]),   # high first; one fix closes two checks
        (2, ["tls"], ["h1", "h2", "h3"]),                # then medium by hosts affected
        (3, ["ntp"], ["h1"]),
        (4, ["banner"], ["h4"]),                         # no remediation text: one item per check
        (5, ["motd"], ["h5"]),
    ]
    first = items[0]
    assert first["severity"] == "high" and first["remediation"] == SSH_FIX
    assert first["requirements"] == {"cis-debian-12": ["5.1.14"], "pci-dss-4.0": ["2.2.6", "8.2.2", "8.3.4"]}
    assert first["title"] == "Root-Login; Max-Auth"


def test_requirements_sort_numerically() -> None:
    items = plan_items([_t("h", "c", "low", "fix", compliance={"pci-dss-4.0": ["10.2.1", "8.3.10", "8.3.9", "2.2"]})])
    assert items[0]["requirements"]["pci-dss-4.0"] == ["2.2", "8.3.9", "8.3.10", "10.2.1"]


def test_plan_in_a_real_comparison(tmp_path: Path) -> None:
    plan = make_plan(["uid0", "root-login", "max-auth"])
    before = make_run(tmp_path / "b", plan, {"a": host_facts()}, BEFORE)
    after = make_run(tmp_path / "a", plan, {"a": host_facts(sshd=WEAK_SSHD), "b": host_facts(sshd=WEAK_SSHD),
                                            "c": host_facts(users=[user("root", 0), user("toor", 0)])}, AFTER)
    items = assert_valid_comparison(compare_runs(before, after, plan))["plan"]
    assert [(i["severity"], i["checks"], i["hosts"]) for i in items] == [
        ("critical", ["uid0"], ["c"]), ("high", ["root-login", "max-auth"], ["a", "b"])]
    assert items[1]["requirements"]["pci-dss-4.0"] == ["2.2.6", "8.2.2", "8.3.4"]
