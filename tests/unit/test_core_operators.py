"""The operator table: coercion, missing values, version ordering, list operators."""

from __future__ import annotations

import pytest

from hardencheck.checks.operators import MISSING, OPERATORS, OperatorError, apply, describe


def test_every_schema_operator_is_in_the_table():
    from hardencheck.checks.loader import check_schema

    schema_ops = set(check_schema()["$defs"]["leaf"]["properties"]["op"]["enum"])
    assert schema_ops == set(OPERATORS)


@pytest.mark.parametrize(("op", "observed", "expected", "result"), [
    ("equals", "no", "no", True),
    ("equals", " no ", "no", True),
    ("equals", "No", "no", False),
    ("equals", "10", 10, True),
    ("equals", "10.0", 10, True),
    ("equals", "ten", 10, False),
    ("equals", True, True, True),
    ("equals", False, 0, False),
    ("equals", 1, True, False),
    ("not_equals", "yes", "no", True),
    ("not_equals", "4", 4, False),
    ("in", "3des-cbc", ["aes128-ctr", "3des-cbc"], True),
    ("in", "5", [5, 6], True),
    ("in", "7", [5, 6], False),
    ("not_in", "chacha20", ["3des-cbc"], True),
    ("not_in", "6", [5, 6], False),
    ("matches", "aes128-cbc", "-cbc$", True),
    ("matches", "aes128-ctr", "-cbc$", False),
    ("matches", 22, "^22$", True),
    ("not_matches", "aes128-ctr", "-cbc$", True),
    ("not_matches", "aes128-cbc", "-cbc$", False),
])
def test_equality_membership_and_regex(op, observed, expected, result):
    assert apply(op, observed, expected, {}) is result


@pytest.mark.parametrize(("op", "observed", "expected", "result"), [
    ("<=", "10", 4, False),
    ("<=", "4", 4, True),
    ("<=", " 3 ", "4", True),
    ("<", "4", 4, False),
    ("<", 3.5, 4, True),
    (">=", "12", 12, True),
    (">=", "11", 12, False),
    (">", "100", 99, True),
    (">", "99", "99", False),
    ("<=", "1e3", 5000, True),
])
def test_numeric_comparisons_coerce_strings(op, observed, expected, result):
    assert apply(op, observed, expected, {}) is result


@pytest.mark.parametrize(("op", "observed", "expected"), [
    (">=", "yes", 4),
    ("<=", "", 4),
    ("<", "0x10", 20),
    (">", True, 0),
    ("<=", "4", "four"),
])
def test_numeric_comparison_of_a_non_number_raises(op, observed, expected):
    with pytest.raises(OperatorError, match="is not a number"):
        apply(op, observed, expected, {})


@pytest.mark.parametrize("observed", ["-inf", "nan", "1_000", "Infinity"])
def test_float_only_spellings_are_not_numbers(observed):
    with pytest.raises(OperatorError):
        apply("<=", observed, 4, {})


@pytest.mark.parametrize(("op", "observed", "expected", "result"), [
    ("equals", "yes", "YES", True),
    ("not_equals", "no", "No", False),
    ("in", "3DES-CBC", ["3des-cbc"], True),
    ("not_in", "3DES-CBC", ["3des-cbc"], False),
    ("matches", "PermitRootLogin", "^permit", True),
    ("not_matches", "PermitRootLogin", "^permit", False),
    ("contains", "AES128-CTR,3DES-CBC", "3des-cbc", True),
    ("subset_of", "A,B", ["a", "b", "c"], True),
    ("disjoint_from", "X,A", ["a"], False),
])
def test_ignore_case(op, observed, expected, result):
    assert apply(op, observed, expected, {"ignore_case": True}) is result
    assert apply(op, observed, expected, {}) is (not result)


@pytest.mark.parametrize(("op", "observed", "expected", "result"), [
    ("contains", "aes128-ctr,3des-cbc", "3des-cbc", True),
    ("contains", "aes128-ctr 3des-cbc", "3des", False),
    ("contains", ["a", "b"], "b", True),
    ("contains", {"pam_unix.so": {}}, "pam_unix.so", True),
    ("contains", {"pam_unix.so": {}}, "pam_tally.so", False),
    ("contains", ["22", "80"], 22, True),
    ("not_contains", "aes128-ctr,3des-cbc", "arcfour", True),
    ("not_contains", ["a", "b"], "a", False),
    ("not_contains", {"k": 1}, "k", False),
])
def test_contains(op, observed, expected, result):
    assert apply(op, observed, expected, {}) is result


@pytest.mark.parametrize(("op", "observed", "expected", "result"), [
    ("subset_of", "aes128-ctr,aes256-ctr", ["aes128-ctr", "aes256-ctr", "chacha20"], True),
    ("subset_of", "aes128-ctr, 3des-cbc", ["aes128-ctr", "aes256-ctr"], False),
    ("subset_of", "aes128-ctr aes256-ctr", ["aes128-ctr", "aes256-ctr"], True),
    ("subset_of", ["22", "443"], [22, 443], True),
    ("subset_of", [22, 8080], [22, 443], False),
    ("subset_of", "", ["x"], True),
    ("disjoint_from", ["aes128-ctr", "chacha20"], ["3des-cbc", "arcfour"], True),
    ("disjoint_from", "aes128-ctr,arcfour", ["3des-cbc", "arcfour"], False),
    ("disjoint_from", "a, x", ["a"], False),
    ("disjoint_from", [], ["a"], True),
])
def test_set_operators_take_comma_separated_strings_and_lists(op, observed, expected, result):
    assert apply(op, observed, expected, {}) is result


@pytest.mark.parametrize(("op", "observed", "result"), [
    ("empty", "", True),
    ("empty", [], True),
    ("empty", {}, True),
    ("empty", None, True),
    ("empty", "x", False),
    ("empty", [0], False),
    ("not_empty", "x", True),
    ("not_empty", [], False),
    ("not_empty", None, False),
    ("present", "", True),
    ("present", None, True),
    ("absent", "", False),
    ("absent", None, False),
])
def test_presence_and_emptiness(op, observed, result):
    assert apply(op, observed, None, {}) is result


@pytest.mark.parametrize("op", sorted(set(OPERATORS) - {"absent"}))
def test_missing_satisfies_no_operator_but_absent(op):
    assert apply(op, MISSING, ["x"] if op in ("in", "not_in", "subset_of", "disjoint_from") else "x", {}) is False


def test_missing_satisfies_absent():
    assert apply("absent", MISSING, None, {}) is True
    assert repr(MISSING) == "<not set>"


@pytest.mark.parametrize(("op", "a", "b", "result"), [
    ("version_gt", "1:1.0", "2.0", True),
    ("version_lt", "1:1.0", "2.0", False),
    ("version_lt", "1.0~rc1", "1.0", True),
    ("version_ge", "1.0~rc1", "1.0", False),
    ("version_lt", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2", True),
    ("version_ge", "3.0.11-1~deb12u2", "3.0.11-1~deb12u1", True),
    ("version_lt", "3.0.11-1~deb12u2", "3.0.11-1", True),
    ("version_lt", "1.2", "1.10", True),
    ("version_eq", "1.0-1", "1.0-1", True),
    ("version_eq", "0:1.0-1", "1.0-1", True),
    ("version_le", "1.0-1", "1.0-1", True),
    ("version_le", "1.0-2", "1.0-1", False),
    ("version_gt", "9.6p1-3", "9.2p1-2+deb12u3", True),
])
def test_versions_default_to_dpkg_ordering(op, a, b, result):
    assert apply(op, a, b, {}) is result
    assert apply(op, a, b, {"scheme": "dpkg"}) is result


@pytest.mark.parametrize(("op", "a", "b", "result"), [
    ("version_lt", "1.2-1.el9", "1.10-1.el9", True),
    ("version_gt", "1.10-1.el9", "1.2-1.el9", True),
    ("version_lt", "3.0.7-24.el9", "3.0.7-25.el9", True),
    ("version_gt", "1:1.0-1.el9", "2.0-1.el9", True),
    ("version_lt", "2.0-1.el9", "1:1.0-1.el9", True),
    ("version_lt", "1:9.9-1", "2:0.1-1", True),
    ("version_eq", "0:1.0-1.el9", "1.0-1.el9", True),
    ("version_ge", "1.0-1.el9", "1.0-1.el9", True),
    ("version_le", "1.0-2.el9", "1.0-1.el9", False),
])
def test_versions_rpm_scheme(op, a, b, result):
    assert apply(op, a, b, {"scheme": "rpm"}) is result


def test_rpm_scheme_alphanumeric_segments_and_tilde():
    assert apply("version_gt", "1.0a", "1.0", {"scheme": "rpm"}) is True
    assert apply("version_lt", "1.0.a", "1.0.1", {"scheme": "rpm"}) is True
    assert apply("version_lt", "1.0~rc1", "1.0", {"scheme": "rpm"}) is True


def test_apk_and_generic_schemes_use_dpkg_ordering():
    for scheme in ("apk", "generic"):
        assert apply("version_lt", "1.0-r1", "1.0-r2", {"scheme": scheme}) is True
        assert apply("version_lt", "1.2", "1.10", {"scheme": scheme}) is True
        assert apply("version_eq", "1.0", "1.0", {"scheme": scheme}) is True


@pytest.mark.parametrize(("a", "scheme"), [("1.0 beta", "dpkg"), ("", "dpkg"), ("x:1.0-1", "rpm")])
def test_unparseable_version_raises_operator_error(a, scheme):
    with pytest.raises(OperatorError):
        apply("version_ge", a, "1.0", {"scheme": scheme})


@pytest.mark.parametrize(("op", "expected", "text"), [
    ("present", None, "is set"),
    ("absent", None, "is not set"),
    ("empty", None, "is empty"),
    ("not_empty", None, "is not empty"),
    (">=", 12, ">= 12"),
    ("not_in", ["cbc", "arcfour"], "not in ['cbc', 'arcfour']"),
    ("equals", "no", "equals 'no'"),
    ("version_lt", "3.0", "version lt '3.0'"),
])
def test_describe(op, expected, text):
    assert describe(op, expected) == text


@pytest.mark.parametrize("observed", ["1e999", "٣", "0x10", "4.", ".5", float("nan"), float("inf"), None, [4]])
def test_only_finite_plain_numbers_are_numbers(observed):
    with pytest.raises(OperatorError, match="is not a number"):
        apply("<=", observed, 4, {})


@pytest.mark.parametrize(("observed", "result"), [("+3", True), ("-7", True), (" 4.0 ", True), (10**3, False)])
def test_signed_and_padded_numbers_still_compare(observed, result):
    assert apply("<=", observed, 4, {}) is result


def test_a_type_mismatch_inside_an_operator_is_an_operator_error():
    with pytest.raises(OperatorError, match="cannot apply in"):
        apply("in", "x", 5, {})


@pytest.mark.parametrize("a", ["1:2:3-1", "1.0 beta", "²:1.0-1", ""])
def test_rpm_versions_must_be_well_formed(a):
    with pytest.raises(OperatorError, match="not a version"):
        apply("version_lt", a, "1.0", {"scheme": "rpm"})
