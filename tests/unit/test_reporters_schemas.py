"""Every machine-readable report validates against its schema: SARIF 2.1.0, JUnit XSD, run and comparison."""

from __future__ import annotations

import json
from typing import Any

import pytest
from reporters_helpers import SCHEMAS, fixture_comparison, fixture_run, shared_schema

from hardencheck.reporters import get_reporter

jsonschema = pytest.importorskip("jsonschema")
INPUTS = {"run": lambda: (fixture_run(), None), "comparison": lambda: (fixture_run(), fixture_comparison())}


def _errors(schema: dict[str, Any], doc: Any, validator: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(schema).iter_errors(doc)]


def test_fixtures_follow_the_run_and_comparison_schemas() -> None:
    run_schema = json.loads((SCHEMAS / "run.schema.json").read_text())
    assert _errors(run_schema, fixture_run(), jsonschema.Draft202012Validator) == []
    comparison_schema = SCHEMAS / "comparison.schema.json"
    if not comparison_schema.is_file():
        pytest.skip("schemas/comparison.schema.json not written yet (the compare package owns it)")
    assert _errors(json.loads(comparison_schema.read_text()), fixture_comparison(),
                   jsonschema.Draft202012Validator) == []


@pytest.mark.parametrize("case", sorted(INPUTS))
def test_sarif_validates(case: str) -> None:
    schema = json.loads(shared_schema("sarif-schema-2.1.0.json").read_text())
    doc = json.loads(get_reporter("sarif").render(*INPUTS[case]()))
    assert _errors(schema, doc, jsonschema.Draft4Validator) == []


@pytest.mark.parametrize("case", sorted(INPUTS))
def test_junit_validates_against_the_xsd(case: str) -> None:
    etree = pytest.importorskip("lxml.etree", reason="lxml is needed for XSD validation (test extra)")
    xsd = etree.XMLSchema(etree.parse(str(shared_schema("junit.xsd"))))
    doc = etree.fromstring(get_reporter("junit").render(*INPUTS[case]()).encode())
    assert xsd.validate(doc), [str(e) for e in xsd.error_log]


def test_json_reporter_returns_the_documents_as_they_are() -> None:
    run, comparison = fixture_run(), fixture_comparison()
    json_reporter = get_reporter("json")
    assert json.loads(json_reporter.render(run)) == run
    assert json.loads(json_reporter.render(run, comparison)) == comparison
    run_schema = json.loads((SCHEMAS / "run.schema.json").read_text())
    assert _errors(run_schema, json.loads(json_reporter.render(run)), jsonschema.Draft202012Validator) == []


def test_sarif_rules_results_and_locations() -> None:
    doc = json.loads(get_reporter("sarif").render(fixture_run()))
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert len(rules) == 5
    rule = rules["ssh-permit-root-login"]
    assert rule["help"]["text"].startswith("Set `PermitRootLogin no`")
    assert rule["properties"]["security-severity"] == "8.0"
    assert rule["properties"]["pci-dss-4.0"] == ["2.2.6", "8.2.1"]
    by_key = {(r["properties"]["host"], r["ruleId"]): r for r in run["results"]}
    # a dir: target points at the repository file and line, for pull-request annotations
    repo = by_key[("dir:config-repo", "ssh-max-auth-tries")]
    physical = repo["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "roles/pos/files/sshd_config"
    assert physical["region"]["startLine"] == 9
    # a host: a logical location, with the evidence source in the message
    host = by_key[("pos-001", "ssh-permit-root-login")]
    assert "physicalLocation" not in host["locations"][0]
    assert host["locations"][0]["logicalLocations"][0]["name"] == "pos-001"
    assert "/etc/ssh/sshd_config:5" in host["message"]["text"]
    # the finding fingerprint (check + target, no line or value) identifies the alert across runs
    fp = next(r["fingerprint"] for h in fixture_run()["hosts"] if h["target"]["id"] == "pos-001"
              for r in h["results"] if r["check_id"] == "ssh-permit-root-login")
    assert host["partialFingerprints"] == {"hardencheck/v1": fp}
    # waived findings are suppressed with their justification; errors are open (never pass); passes absent
    waived = by_key[("pos-001", "login-defs-pass-max-days")]
    assert waived["suppressions"][0]["status"] == "accepted"
    assert "SEC-1234" in waived["suppressions"][0]["justification"]
    assert by_key[("srv-db-01", "ssh-permit-root-login")]["kind"] == "open"
    assert ("pos-001", "ssh-max-auth-tries") not in by_key


def test_sarif_baseline_state_from_the_comparison() -> None:
    doc = json.loads(get_reporter("sarif").render(fixture_run(), fixture_comparison()))
    state = {(r["properties"]["host"], r["ruleId"]): r.get("baselineState") for r in doc["runs"][0]["results"]}
    assert state[("pos-001", "accounts-uid0-only-root")] == "new"  # regressed
    assert state[("pos-001", "ssh-permit-root-login")] == "unchanged"  # still failing
    assert state[("pos-001", "ssh-max-auth-tries")] == "absent"  # fixed
    assert state[("pos-003", "ssh-permit-root-login")] == "absent"  # host gone, failed before
    assert ("pos-003", "accounts-uid0-only-root") not in state  # host gone, passed before


def test_junit_maps_statuses_to_elements() -> None:
    etree = pytest.importorskip("lxml.etree", reason="lxml is needed to read the XML")
    doc = etree.fromstring(get_reporter("junit").render(fixture_run()).encode())
    cases = {(c.get("classname"), c.get("name")): c for c in doc.iter("testcase")}
    assert len(cases) == sum(len(h["results"]) for h in fixture_run()["hosts"])
    assert cases[("pos-001", "ssh-permit-root-login")][0].tag == "failure"
    assert cases[("srv-db-01", "ssh-permit-root-login")][0].tag == "error"
    waived = cases[("pos-001", "login-defs-pass-max-days")][0]
    assert waived.tag == "skipped" and waived.get("message").startswith("waived: ")
    assert cases[("pos-002\\x1b[31mred", "ssh-max-auth-tries")][0].tag == "skipped"
    assert len(cases[("pos-001", "ld-so-preload-absent")]) == 0  # pass
    suite = next(s for s in doc.iter("testsuite") if s.get("name") == "pos-001")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("5", "2", "0", "1")
