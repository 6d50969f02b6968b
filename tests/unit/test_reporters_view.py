"""The read every reporter shares: counts from the results themselves, PCI DSS verdicts, the plan."""

from __future__ import annotations

from typing import Any

from reporters_helpers import fixture_comparison, fixture_run

from hardencheck.reporters.view import build_view
from hardencheck.results.document import summarise
from hardencheck.results.model import finding_fingerprint


def _result(check: str, status: str, severity: str = "high", pci: tuple[str, ...] = ("8.2.1",)) -> dict[str, Any]:
    return {"check_id": check, "title": check, "severity": severity, "status": status, "evidence": [],
            "remediation": f"fix {check}", "compliance": {"pci-dss-4.0": list(pci)}, "fingerprint": "0" * 32}


def _run(*hosts: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"run_id": "r", "hosts": [{"target": {"id": h, "transport": "ssh"}, "status": "ok", "results": rs}
                                     for h, rs in hosts]}


def test_counts_agree_with_the_run_summary() -> None:
    run = fixture_run()
    view = build_view(run)
    summary = summarise(run["hosts"])
    assert view.status_counts == summary["results"]
    assert view.failed_by_severity == summary["failed_by_severity"]
    assert (len(view.run_hosts), view.audited, view.unreachable) == (4, 3, 1)


def test_a_requirement_fails_if_any_check_naming_it_fails() -> None:
    view = build_view(_run(("a", [_result("c1", "pass", pci=("8.2.1", "2.2.6")), _result("c2", "pass")]),
                           ("b", [_result("c1", "pass", pci=("8.2.1", "2.2.6")), _result("c2", "fail")])))
    state = {r.id: r.state for r in view.requirements}
    assert state == {"2.2.6": "met", "8.2.1": "failed"}
    failed = next(r for r in view.requirements if r.id == "8.2.1")
    assert failed.failing_hosts == 1 and failed.checks == ("c1", "c2")


def test_an_error_leaves_a_requirement_not_verified_never_met() -> None:
    view = build_view(_run(("a", [_result("c1", "pass"), _result("c2", "error")]),
                           ("b", [_result("c3", "waived", pci=("3.4.1",)), _result("c4", "skipped", pci=("9.9",))])))
    assert {r.id: r.state for r in view.requirements} == {"3.4.1": "waived", "8.2.1": "not_verified",
                                                          "9.9": "not_applicable"}
    assert view.requirement_counts == {"failed": 0, "not_verified": 1, "waived": 1, "met": 0, "not_applicable": 1}


def test_plan_without_a_comparison_is_worst_first_then_most_hosts() -> None:
    view = build_view(_run(("a", [_result("low-1", "fail", "low"), _result("high-1", "fail"),
                                  _result("high-2", "fail")]),
                           ("b", [_result("high-2", "fail"), _result("high-1", "pass")])))
    assert [(p.item, p.checks, p.hosts) for p in view.plan] == [
        (1, ("high-2",), ("a", "b")), (2, ("high-1",), ("a",)), (3, ("low-1",), ("a",))]
    assert view.plan[0].remediation == "fix high-2"


def test_comparison_annotates_findings_and_adds_removed_results() -> None:
    view = build_view(fixture_run(), fixture_comparison())
    by_key = {(f.host, f.check_id): f for f in view.findings}
    regressed = by_key[("pos-001", "accounts-uid0-only-root")]
    assert (regressed.change, regressed.before_status, regressed.before_observed) == ("regressed", "pass", '["root"]')
    gone = by_key[("pos-003", "ssh-permit-root-login")]
    assert (gone.status, gone.change, gone.before_status) == ("none", "removed", "fail")
    assert "pos-003" not in {h.id for h in view.run_hosts}  # the baseline's host is not counted as ours
    assert view.status_counts == summarise(fixture_run()["hosts"])["results"]
    assert view.comparison is not None and view.comparison.counts["removed"] == 5
    assert [p.item for p in view.plan] == [1, 2, 3, 4, 5]  # the comparison's own plan


def test_unknown_statuses_and_severities_are_not_trusted() -> None:
    run = _run(("a", [_result("c1", "compliant", "catastrophic")]))
    finding = build_view(run).findings[0]
    assert (finding.status, finding.severity) == ("error", "info")  # an unknown verdict is never a pass


def test_an_incomplete_run_from_the_journal_renders() -> None:
    run = {"schema_version": "1.0", "run_id": "x", "complete": False, "hosts": fixture_run()["hosts"][:1]}
    view = build_view(run)
    assert len(view.findings) == 5 and view.counts_document()["hosts"] == 1


def test_fingerprints_come_from_the_results() -> None:
    view = build_view(fixture_run())
    f = next(f for f in view.findings if f.host == "pos-001" and f.check_id == "ssh-permit-root-login")
    assert f.fingerprint == finding_fingerprint("ssh-permit-root-login", "pos-001")


def test_checks_with_the_same_fix_share_a_plan_item() -> None:
    same = [_result("ssh-a", "fail"), _result("ssh-b", "fail", "critical")]
    for r in same:
        r["remediation"] = "Edit sshd_config and reload sshd."
    view = build_view(_run(("a", same), ("b", [_result("other", "fail", "medium")])))
    assert [(p.checks, p.severity) for p in view.plan] == [(("ssh-b", "ssh-a"), "critical"), (("other",), "medium")]
