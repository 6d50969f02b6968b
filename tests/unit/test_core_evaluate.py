"""evaluate_check over hand-built facts: tree nodes, quantifiers, paths, params, applicability, evidence."""

from __future__ import annotations

import pytest
from core_helpers import fact, failed_fact, make_check

from hardencheck.checks.evaluate import TargetContext, evaluate_check, locate
from hardencheck.checks.operators import MISSING
from hardencheck.facts.model import Location

SSH = TargetContext(asset_class=None, transport="ssh")

SSHD = fact("sshd", {"permitrootlogin": "no", "maxauthtries": "6",
                     "ciphers": ["aes128-ctr", "3des-cbc", "chacha20-poly1305@openssh.com"]})
ACCOUNTS = fact("accounts", {"users": [
    {"name": "root", "uid": 0, "shell": "/bin/bash", "password": {"empty": False}},
    {"name": "toor", "uid": "0", "shell": "/bin/sh", "password": {"empty": False}},
    {"name": "bob", "uid": 1000, "shell": "/bin/bash", "password": {"empty": True}},
    {"name": "daemon", "uid": 1, "shell": "/usr/sbin/nologin", "password": {"empty": False}},
]})
FILES = fact("file", {"files": {
    "/etc/ld.so.preload": {"exists": False, "status": "missing"},
    "/etc/ssh/sshd_config.d/a.b.conf": {"exists": True, "status": "ok", "size": 12},
}})
FACTS = {"sshd": SSHD, "accounts": ACCOUNTS, "file": FILES}


def run(expect, facts=None, params=None, ctx=SSH, **extra):
    return evaluate_check(make_check(expect, **extra), FACTS if facts is None else facts, ctx, params or {})


# --- leaves, all / any / not -------------------------------------------------------------------------------

def test_leaf_pass_records_observed_and_expected():
    out = run({"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"})
    assert out.status == "pass"
    assert [(lf.fact, lf.path, lf.observed, lf.expected, lf.passed) for lf in out.leaves] == [
        ("sshd", "permitrootlogin", "no", "equals 'no'", True)]


def test_leaf_fail_with_numeric_coercion():
    out = run({"fact": "sshd", "path": "maxauthtries", "op": "<=", "value": 4})
    assert out.status == "fail"
    assert out.leaves[0].observed == "6"
    assert out.leaves[0].expected == "<= 4"


def test_operator_error_fails_with_its_message():
    facts = {"sshd": fact("sshd", {"maxauthtries": "yes"})}
    out = run({"fact": "sshd", "path": "maxauthtries", "op": "<=", "value": 4}, facts)
    assert out.status == "fail"
    assert out.leaves[0].message == "'yes' is not a number"


def test_all_passes_only_when_every_child_passes_and_reports_the_failing_ones():
    out = run({"fact": "sshd", "all": [
        {"path": "permitrootlogin", "op": "equals", "value": "no"},
        {"path": "maxauthtries", "op": "<=", "value": 4},
    ]})
    assert out.status == "fail"
    assert [lf.path for lf in out.leaves] == ["maxauthtries"]
    out = run({"fact": "sshd", "all": [
        {"path": "permitrootlogin", "op": "equals", "value": "no"},
        {"path": "maxauthtries", "op": "<=", "value": 6},
    ]})
    assert out.status == "pass"
    assert [lf.path for lf in out.leaves] == ["permitrootlogin", "maxauthtries"]


def test_any_passes_when_one_child_passes_and_reports_the_passing_ones():
    out = run({"fact": "sshd", "any": [
        {"path": "permitrootlogin", "op": "equals", "value": "yes"},
        {"path": "maxauthtries", "op": "<=", "value": 6},
    ]})
    assert out.status == "pass"
    assert [lf.path for lf in out.leaves] == ["maxauthtries"]
    out = run({"fact": "sshd", "any": [
        {"path": "permitrootlogin", "op": "equals", "value": "yes"},
        {"path": "maxauthtries", "op": "<=", "value": 3},
    ]})
    assert out.status == "fail"
    assert [lf.path for lf in out.leaves] == ["permitrootlogin", "maxauthtries"]


def test_not_inverts_and_rewrites_the_expectation():
    out = run({"not": {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "yes"}})
    assert out.status == "pass"
    assert out.leaves[0].expected == "not (equals 'yes')"
    assert out.leaves[0].passed is True
    out = run({"not": {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}})
    assert out.status == "fail"


def test_fact_set_on_a_branch_is_inherited_by_its_children():
    out = run({"all": [
        {"fact": "sshd", "any": [{"path": "permitrootlogin", "op": "equals", "value": "no"}]},
        {"fact": "accounts", "path": "users.0.name", "op": "equals", "value": "root"},
    ]})
    assert out.status == "pass"
    assert [(lf.fact, lf.path) for lf in out.leaves] == [("sshd", "permitrootlogin"), ("accounts", "users/0/name")]


# --- missing data never passes ------------------------------------------------------------------------------

def test_missing_path_fails_not_passes():
    out = run({"fact": "sshd", "path": "loglevel", "op": "not_equals", "value": "QUIET"})
    assert out.status == "fail"
    assert out.leaves[0].observed is MISSING
    assert out.leaves[0].path == "loglevel"


def test_missing_path_satisfies_absent():
    out = run({"fact": "sshd", "path": "loglevel", "op": "absent"})
    assert out.status == "pass"


def test_default_replaces_a_missing_value():
    out = run({"fact": "sshd", "path": "loglevel", "op": "equals", "value": "INFO", "default": "INFO"})
    assert out.status == "pass"
    assert out.leaves[0].observed == "INFO"
    out = run({"fact": "sshd", "path": "loglevel", "op": "equals", "value": "VERBOSE", "default": "INFO"})
    assert out.status == "fail"


def test_default_does_not_replace_a_present_value():
    out = run({"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "yes", "default": "yes"})
    assert out.status == "fail"
    assert out.leaves[0].observed == "no"


def test_not_over_a_missing_value_does_not_pass():
    out = run({"not": {"fact": "sshd", "path": "loglevel", "op": "equals", "value": "QUIET"}})
    assert out.status != "pass"


def test_not_over_an_operator_error_does_not_pass():
    facts = {"sshd": fact("sshd", {"maxauthtries": "yes"})}
    out = run({"not": {"fact": "sshd", "path": "maxauthtries", "op": ">", "value": 4}}, facts)
    assert out.status != "pass"


def test_none_over_items_missing_the_inner_path_does_not_pass():
    facts = {"accounts": fact("accounts", {"users": [{"name": "alice"}, {"name": "bob"}]})}
    out = run({"fact": "accounts", "path": "users", "none": {"path": "password.empty", "op": "equals", "value": True}},
              facts)
    assert out.status != "pass"


# --- paths ---------------------------------------------------------------------------------------------------

def test_list_path_with_keys_containing_dots_and_slashes():
    out = run({"fact": "file", "path": ["files", "/etc/ld.so.preload", "exists"], "op": "equals", "value": False})
    assert out.status == "pass"
    assert out.leaves[0].path == "files//etc/ld.so.preload/exists"
    out = run({"fact": "file", "path": ["files", "/etc/ssh/sshd_config.d/a.b.conf", "size"], "op": ">", "value": 10})
    assert out.status == "pass"
    assert out.leaves[0].observed == 12


def test_dotted_string_path_splits_on_dots_so_such_keys_are_missing():
    out = run({"fact": "file", "path": "files./etc/ld.so.preload.exists", "op": "equals", "value": False})
    assert out.status == "fail"
    assert out.leaves[0].observed is MISSING
    assert out.leaves[0].path == "files//etc/ld"


@pytest.mark.parametrize(("path", "observed"), [
    ("users.1.name", "toor"),
    (["users", 2, "name"], "bob"),
    (["users", "3", "uid"], 1),
    ("users.-1.name", "daemon"),
    ("users.0.password.empty", False),
])
def test_list_indices_in_paths(path, observed):
    out = run({"fact": "accounts", "path": path, "op": "present"})
    assert out.status == "pass"
    assert out.leaves[0].observed == observed


@pytest.mark.parametrize("path", ["users.4.name", ["users", -5, "name"], "users.x", "users.0.name.first"])
def test_out_of_range_or_non_container_paths_are_missing(path):
    out = run({"fact": "accounts", "path": path, "op": "present"})
    assert out.status == "fail"
    assert out.leaves[0].observed is MISSING


def test_empty_path_reads_the_whole_fact():
    out = run({"fact": "sshd", "op": "contains", "value": "permitrootlogin"})
    assert out.status == "pass"


# --- quantifiers ---------------------------------------------------------------------------------------------

def test_each_fails_with_only_the_offending_items():
    out = run({"fact": "accounts", "path": "users", "each": {"path": "shell", "op": "equals", "value": "/bin/bash"}})
    assert out.status == "fail"
    assert [(lf.path, lf.observed) for lf in out.leaves] == [
        ("users/1/shell", "/bin/sh"), ("users/3/shell", "/usr/sbin/nologin")]


def test_each_with_where_filters_the_items():
    out = run({"fact": "accounts", "path": "users", "where": {"path": "uid", "op": ">=", "value": 1000},
               "each": {"path": "shell", "op": "equals", "value": "/bin/bash"}})
    assert out.status == "pass"
    assert [lf.path for lf in out.leaves] == ["users/2/shell"]


def test_each_over_an_empty_selection_passes_with_a_marker_leaf():
    out = run({"fact": "accounts", "path": "users", "where": {"path": "uid", "op": ">", "value": 60000},
               "each": {"path": "shell", "op": "equals", "value": "/bin/false"}})
    assert out.status == "pass"
    assert [(lf.path, lf.observed, lf.expected) for lf in out.leaves] == [
        ("users", [], "every item (none to check)")]


def test_some_passes_when_one_item_matches():
    out = run({"fact": "sshd", "path": "ciphers", "some": {"op": "matches", "value": "^chacha20"}})
    assert out.status == "pass"
    assert [(lf.path, lf.observed) for lf in out.leaves] == [("ciphers/2", "chacha20-poly1305@openssh.com")]


def test_some_fails_with_a_summary_when_no_item_matches():
    out = run({"fact": "sshd", "path": "ciphers", "some": {"op": "matches", "value": "gcm"}})
    assert out.status == "fail"
    assert out.leaves[0].path == "ciphers"
    assert out.leaves[0].expected == "at least one item where value matches 'gcm'"


def test_none_reports_each_offender_with_its_path():
    out = run({"fact": "accounts", "path": "users", "none": {"all": [
        {"path": "uid", "op": "equals", "value": 0},
        {"path": "name", "op": "not_equals", "value": "root"},
    ]}})
    assert out.status == "fail"
    assert [lf.path for lf in out.leaves] == ["users/1"]
    assert out.leaves[0].observed.startswith("toor ")
    assert out.leaves[0].expected == "no item where uid equals 0 and name not equals 'root'"


def test_none_passes_when_nothing_matches():
    out = run({"fact": "sshd", "path": "ciphers", "none": {"op": "matches", "value": "^arcfour"}})
    assert out.status == "pass"
    assert out.leaves[0].observed == "3 item(s), none matching"


def test_none_with_where():
    expect = {"fact": "accounts", "path": "users", "where": {"path": "uid", "op": ">=", "value": 1000},
              "none": {"path": "password.empty", "op": "equals", "value": True}}
    out = run(expect)
    assert out.status == "fail"
    assert [lf.path for lf in out.leaves] == ["users/2"]


def test_quantifier_over_a_mapping_uses_its_keys_in_paths():
    out = run({"fact": "file", "path": "files", "none": {"path": "exists", "op": "equals", "value": True}})
    assert out.status == "fail"
    assert [lf.path for lf in out.leaves] == ["files//etc/ssh/sshd_config.d/a.b.conf"]


@pytest.mark.parametrize(("path", "message"), [("nope", "the value is not set"),
                                               ("permitrootlogin", "the value is not a list")])
def test_quantifier_over_a_missing_or_scalar_value_fails(path, message):
    out = run({"fact": "sshd", "path": path, "none": {"op": "equals", "value": "x"}})
    assert out.status == "fail"
    assert out.leaves[0].message == message


def test_item_relative_paths_versus_explicit_fact_inside_a_quantifier():
    # Without fact: the inner path is relative to the item (an item has no "permitrootlogin").
    out = run({"fact": "accounts", "path": "users",
               "some": {"path": "permitrootlogin", "op": "equals", "value": "no"}})
    assert out.status == "fail"
    # With fact: the inner node reads that fact from its root, whatever the item.
    out = run({"fact": "accounts", "path": "users",
               "some": {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}})
    assert out.status == "pass"
    assert {(lf.fact, lf.path) for lf in out.leaves} == {("sshd", "permitrootlogin")}


def test_nested_quantifiers_are_relative_to_the_outer_item():
    facts = {"pam": fact("pam", {"stacks": [
        {"name": "sshd", "lines": [{"module": "pam_unix.so", "args": ["nullok"]}]},
        {"name": "login", "lines": [{"module": "pam_unix.so", "args": []}]},
    ]})}
    out = run({"fact": "pam", "path": "stacks", "each": {"path": "lines", "none": {
        "path": "args", "op": "contains", "value": "nullok"}}}, facts)
    assert out.status == "fail"
    assert [lf.path for lf in out.leaves] == ["stacks/0/lines/0"]


# --- params -------------------------------------------------------------------------------------------------

def test_param_is_resolved_from_the_params_given():
    expect = {"fact": "sshd", "path": "maxauthtries", "op": "<=", "param": "max_auth_tries"}
    params_decl = {"max_auth_tries": {"default": 4, "description": "x"}}
    assert run(expect, params={"max_auth_tries": 4}, parameters=params_decl).status == "fail"
    out = run(expect, params={"max_auth_tries": 6}, parameters=params_decl)
    assert out.status == "pass"
    assert out.leaves[0].expected == "<= 6"


def test_param_inside_a_quantifier():
    expect = {"fact": "sshd", "path": "ciphers", "none": {"op": "matches", "param": "weak"}}
    decl = {"weak": {"default": "-cbc$", "description": "x"}}
    assert run(expect, params={"weak": "-cbc$"}, parameters=decl).status == "fail"
    assert run(expect, params={"weak": "^arcfour"}, parameters=decl).status == "pass"


# --- fact status --------------------------------------------------------------------------------------------

def test_fact_with_error_status_makes_the_check_error_with_the_reason():
    facts = {**FACTS, "sshd": failed_fact("sshd", "error", "sshd -T exited 255")}
    out = run({"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}, facts)
    assert out.status == "error"
    assert out.reason == "fact 'sshd' could not be gathered: sshd -T exited 255"
    assert out.leaves == []


def test_uncollected_fact_is_an_error():
    out = run({"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}, {})
    assert out.status == "error"
    assert out.reason == "fact 'sshd' could not be gathered: not collected"


def test_not_applicable_fact_skips_the_check():
    facts = {**FACTS, "sshd": failed_fact("sshd", "not-applicable", "no commands on a config directory")}
    out = run({"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}, facts)
    assert out.status == "skipped"
    assert out.reason == "sshd: no commands on a config directory"


def test_error_in_a_fact_read_only_inside_a_quantifier_is_an_error():
    facts = {**FACTS, "sshd": failed_fact("sshd", "error", "timeout")}
    out = run({"fact": "accounts", "path": "users",
               "some": {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}}, facts)
    assert out.status == "error"
    assert "timeout" in out.reason


def test_an_error_never_passes_even_under_any():
    facts = {**FACTS, "sshd": failed_fact("sshd", "error", "connection reset")}
    out = run({"any": [
        {"fact": "accounts", "path": "users.0.name", "op": "equals", "value": "root"},
        {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"},
    ]}, facts)
    assert out.status == "error"


def test_bad_regex_is_a_check_definition_error():
    out = run({"fact": "sshd", "path": "ciphers", "none": {"op": "matches", "value": "(cbc"}})
    assert out.status == "error"
    assert out.reason.startswith("check definition error: bad regular expression '(cbc'")


# --- applicability ------------------------------------------------------------------------------------------

LEAF = {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}


def test_transport_applicability():
    out = run(LEAF, applies_to={"transport": ["ssh", "local"]}, ctx=TargetContext(None, "dir"))
    assert (out.status, out.reason) == ("skipped", "applies to ssh, local targets, not dir")
    assert run(LEAF, applies_to={"transport": ["ssh"]}).status == "pass"


def test_asset_class_applicability():
    out = run(LEAF, applies_to={"asset_class": ["pos"]}, ctx=TargetContext("server", "ssh"))
    assert (out.status, out.reason) == ("skipped", "applies to asset classes pos, not server")
    out = run(LEAF, applies_to={"asset_class": ["pos"]}, ctx=TargetContext(None, "ssh"))
    assert (out.status, out.reason) == ("skipped", "applies to asset classes pos, not unset")
    assert run(LEAF, applies_to={"asset_class": ["pos"]}, ctx=TargetContext("pos", "ssh")).status == "pass"


def test_exemption_skips_with_its_reason():
    exempt = [{"asset_class": ["pos-kiosk"], "reason": "  PCI DSS 8.3.6 does not apply to POS accounts.  "}]
    out = run(LEAF, exempt=exempt, ctx=TargetContext("pos-kiosk", "ssh"))
    assert out.status == "skipped"
    assert out.reason == "exempt for asset class pos-kiosk: PCI DSS 8.3.6 does not apply to POS accounts."
    assert run(LEAF, exempt=exempt, ctx=TargetContext("server", "ssh")).status == "pass"


def test_exemption_wins_even_when_the_fact_failed():
    exempt = [{"asset_class": ["pos"], "reason": "not applicable to terminals"}]
    facts = {"sshd": failed_fact("sshd", "error", "boom")}
    assert run(LEAF, facts, exempt=exempt, ctx=TargetContext("pos", "ssh")).status == "skipped"


def test_os_family_from_os_release():
    facts = {**FACTS, "os_release": fact("os_release", {"family": "rhel", "id": "rocky"})}
    out = run(LEAF, facts, applies_to={"os_family": ["debian"]})
    assert (out.status, out.reason) == ("skipped", "applies to debian systems, this one is rhel")
    facts["os_release"] = fact("os_release", {"family": "debian"})
    assert run(LEAF, facts, applies_to={"os_family": ["debian", "rhel"]}).status == "pass"


def test_os_family_unknown_when_os_release_failed_is_an_error():
    facts = {**FACTS, "os_release": failed_fact("os_release", "error", "/etc/os-release unreadable")}
    out = run(LEAF, facts, applies_to={"os_family": ["debian"]})
    assert out.status == "error"
    assert out.reason == "OS family unknown, needed to decide applicability (/etc/os-release unreadable)"
    out = run(LEAF, FACTS, applies_to={"os_family": ["debian"]})
    assert out.status == "error"
    assert "(not collected)" in out.reason


def test_os_family_defaults_to_unknown_when_the_fact_lacks_it():
    facts = {**FACTS, "os_release": fact("os_release", {})}
    out = run(LEAF, facts, applies_to={"os_family": ["debian"]})
    assert (out.status, out.reason) == ("skipped", "applies to debian systems, this one is unknown")


def test_check_facts_lists_every_probe_including_os_release():
    check = make_check({"all": [
        {"fact": "sshd", "path": "x", "op": "present"},
        {"fact": "accounts", "path": "users", "some": {"fact": "file", "path": "files", "op": "not_empty"}},
    ]}, applies_to={"os_family": ["debian"]})
    assert check.facts == ("sshd", "accounts", "file", "os_release")


# --- evidence -----------------------------------------------------------------------------------------------

def test_locate_picks_the_deepest_recorded_location():
    rec = fact("accounts", {}, {
        "users": Location("/etc/passwd"),
        "users/3": Location("/etc/passwd", 4, "daemon:x:1:1::/:/usr/sbin/nologin"),
        "users/3/password": Location("/etc/shadow", 4, "daemon:*:19000::::::"),
    })
    assert locate(rec, "users/3/password/empty") == Location("/etc/shadow", 4, "daemon:*:19000::::::")
    assert locate(rec, "users/3/uid").line == 4
    assert locate(rec, "users/3/uid").source == "/etc/passwd"
    assert locate(rec, "users/9/uid") == Location("/etc/passwd")
    assert locate(rec, "groups/1") is None
    assert locate(rec, "") is None


def test_locate_with_keys_containing_slashes():
    rec = fact("file", {}, {"files//etc/ld.so.preload": Location("/etc/ld.so.preload", None, "(missing)")})
    out = run({"fact": "file", "path": ["files", "/etc/ld.so.preload", "exists"], "op": "equals", "value": False})
    assert locate(rec, out.leaves[0].path).excerpt == "(missing)"


def test_parsed_fact_locate_keeps_the_first_location():
    rec = fact("sshd", {})
    rec.fact.locate("permitrootlogin", "/etc/ssh/sshd_config", 3, "PermitRootLogin no")
    rec.fact.locate("permitrootlogin", "/etc/ssh/sshd_config", 9, "PermitRootLogin yes")
    assert locate(rec, "permitrootlogin") == Location("/etc/ssh/sshd_config", 3, "PermitRootLogin no")


# --- robustness: a bad value or a bad check is a result, never a crash ---------------------------------------

def test_unparseable_package_version_fails_the_check_instead_of_crashing():
    facts = {"packages": fact("packages", {"packages": [{"name": "openssl", "version": "3.0 beta"}]})}
    out = run({"fact": "packages", "path": "packages",
               "each": {"path": "version", "op": "version_ge", "value": "3.0.11"}}, facts)
    assert out.status in ("fail", "error")


def test_leaf_without_a_fact_is_an_error_not_a_crash():
    out = run({"all": [LEAF, {"path": "maxauthtries", "op": "<=", "value": 4}]})
    assert out.status == "error"


# --- value_from: compare with another fact ------------------------------------------------------------------

def test_value_from_compares_with_another_fact_and_counts_it_as_read():
    facts = {**FACTS, "login_defs": fact("login_defs", {"UID_MIN": "1000"})}
    expect = {"fact": "accounts", "path": "users", "where": {"path": "uid", "op": ">", "value": 0},
              "none": {"path": "uid", "op": "<", "value_from": {"fact": "login_defs", "path": "UID_MIN"}}}
    assert make_check(expect).facts == ("accounts", "login_defs")
    out = run(expect, facts)
    assert out.status == "fail"
    assert [lf.path for lf in out.leaves] == ["users/3"]


def test_value_from_a_missing_reference_fails():
    facts = {**FACTS, "login_defs": fact("login_defs", {})}
    out = run({"fact": "sshd", "path": "maxauthtries", "op": "<=",
               "value_from": {"fact": "login_defs", "path": "MAX_TRIES"}}, facts)
    assert out.status == "fail"


# --- unknown: a missing or uncomparable value is neither true nor false -------------------------------------

MISSING_LEAF = {"fact": "sshd", "path": "loglevel", "op": "equals", "value": "QUIET"}
TRUE_LEAF = {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "no"}
FALSE_LEAF = {"fact": "sshd", "path": "permitrootlogin", "op": "equals", "value": "yes"}


@pytest.mark.parametrize(("expect", "status"), [
    ({"any": [MISSING_LEAF, TRUE_LEAF]}, "pass"),
    ({"all": [MISSING_LEAF, TRUE_LEAF]}, "fail"),
    ({"not": {"all": [MISSING_LEAF, TRUE_LEAF]}}, "fail"),
    ({"not": {"all": [MISSING_LEAF, FALSE_LEAF]}}, "pass"),  # false whatever the missing value is
    ({"not": {"any": [MISSING_LEAF, FALSE_LEAF]}}, "fail"),
    ({"not": {"not": MISSING_LEAF}}, "fail"),
    ({"not": {"fact": "sshd", "path": "loglevel", "op": "present"}}, "pass"),  # "not set" is known
    ({"not": {**MISSING_LEAF, "default": "INFO"}}, "pass"),
    ({"not": {"fact": "sshd", "path": "nope", "none": {"op": "equals", "value": "x"}}}, "fail"),
])
def test_unknown_follows_three_valued_logic(expect, status):
    assert run(expect).status == status


def test_not_keeps_an_unknown_leaf_failed_with_its_message():
    out = run({"not": MISSING_LEAF})
    assert [(lf.passed, lf.unknown, lf.expected, lf.message) for lf in out.leaves] == [
        (False, True, "not (equals 'QUIET')", "not set on this target")]


def test_a_passing_not_drops_the_unknown_leaves_it_did_not_need():
    out = run({"not": {"all": [MISSING_LEAF, FALSE_LEAF]}})
    assert [(lf.path, lf.passed) for lf in out.leaves] == [("permitrootlogin", True)]


USERS = fact("accounts", {"users": [{"name": "alice", "uid": 1000, "password": {"empty": False}},
                                    {"name": "bob", "uid": 1001}]})


def test_none_reports_an_undecidable_item():
    out = run({"fact": "accounts", "path": "users", "none": {"path": "password.empty", "op": "equals", "value": True}},
              {"accounts": USERS})
    assert out.status == "fail"
    assert [(lf.path, lf.unknown) for lf in out.leaves] == [("users/1", True)]
    assert out.leaves[0].message == "cannot tell whether this item matches (users/1/password: not set on this target)"


def test_a_matching_item_outweighs_an_undecidable_one_for_none_and_some():
    expect = {"fact": "accounts", "path": "users", "none": {"path": "password.empty", "op": "equals", "value": False}}
    out = run(expect, {"accounts": USERS})
    assert (out.status, [lf.path for lf in out.leaves]) == ("fail", ["users/0"])
    out = run({**{k: v for k, v in expect.items() if k != "none"}, "some": expect["none"]}, {"accounts": USERS})
    assert out.status == "pass"


def test_some_with_only_undecidable_items_fails():
    out = run({"fact": "accounts", "path": "users", "some": {"path": "password.empty", "op": "equals", "value": True}},
              {"accounts": USERS})
    assert out.status == "fail"
    assert [(lf.path, lf.unknown) for lf in out.leaves] == [("users/1", True)]


def test_each_with_an_undecidable_item_fails():
    out = run({"fact": "accounts", "path": "users", "each": {"path": "password.empty", "op": "equals", "value": False}},
              {"accounts": USERS})
    assert out.status == "fail"
    assert [(lf.path, lf.unknown) for lf in out.leaves] == [("users/1/password", True)]


@pytest.mark.parametrize(("quant", "inner_value", "status"), [
    ("each", "/bin/sh", "pass"),    # where unknown, but the item satisfies the condition anyway
    ("each", "/bin/zsh", "fail"),   # where unknown and the condition fails: cannot tell
    ("none", "/bin/zsh", "pass"),   # where unknown, the condition fails: not a match either way
    ("none", "/bin/sh", "fail"),    # where unknown, the condition holds: cannot tell
    ("some", "/bin/sh", "fail"),
])
def test_an_undecidable_where(quant, inner_value, status):
    facts = {"accounts": fact("accounts", {"users": [{"name": "x", "shell": "/bin/sh"}]})}
    out = run({"fact": "accounts", "path": "users", "where": {"path": "uid", "op": ">=", "value": 1000},
               quant: {"path": "shell", "op": "equals", "value": inner_value}}, facts)
    assert out.status == status


def test_a_param_without_a_value_is_a_check_definition_error():
    out = run({"fact": "sshd", "path": "maxauthtries", "op": "<=", "param": "max_auth_tries"})
    assert (out.status, out.reason) == ("error", "check definition error: parameter 'max_auth_tries' has no value")
