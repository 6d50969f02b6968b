"""Check loading: every error names file, line and key; all files' errors come back at once."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from core_helpers import KNOWN_PROBES, write

from hardencheck.checks.loader import builtin_dir, check_files, load_checks
from hardencheck.checks.model import Severity
from hardencheck.checks.yamlsource import LineIndex, SourceError, SourceErrorList, load_yaml

VALID = """
    id: {id}
    title: SSH does not allow root login
    severity: high
    tags: [ssh, access-control]
    compliance:
      pci-dss-4.0: ["2.2.6", "8.2.1"]
    applies_to:
      os_family: [debian]
      transport: [ssh, local]
    parameters:
      max_auth_tries:
        default: 4
        description: Highest acceptable MaxAuthTries.
    expect:
      all:
        - fact: sshd
          path: permitrootlogin
          op: equals
          value: "no"
        - fact: sshd
          path: maxauthtries
          op: "<="
          param: max_auth_tries
        - fact: accounts
          path: users
          none:
            path: uid
            op: equals
            value: 0
    remediation: |
      Set PermitRootLogin no and reload sshd.
    """


def errors_of(paths: list[Path], known=KNOWN_PROBES) -> list[SourceError]:
    with pytest.raises(SourceErrorList) as info:
        load_checks(paths, known_probes=known)
    return info.value.errors


def only_error(tmp_path: Path, name: str, text: str) -> SourceError:
    write(tmp_path, name, text)
    errors = errors_of([tmp_path])
    assert len(errors) == 1, errors
    return errors[0]


def test_valid_check_loads_with_all_fields(tmp_path):
    write(tmp_path, "ssh/ssh-root.yaml", VALID.format(id="ssh-root"))
    checks = load_checks([tmp_path], known_probes=KNOWN_PROBES)
    assert list(checks) == ["ssh-root"]
    c = checks["ssh-root"]
    assert c.severity is Severity.HIGH
    assert c.facts == ("sshd", "accounts", "os_release")
    assert c.parameters == {"max_auth_tries": 4}
    assert c.parameter_docs == {"max_auth_tries": "Highest acceptable MaxAuthTries."}
    assert c.tags == ("ssh", "access-control")
    assert c.compliance == {"pci-dss-4.0": ("2.2.6", "8.2.1")}
    assert c.transports == ("ssh", "local")
    assert c.os_families == ("debian",)
    assert c.remediation == "Set PermitRootLogin no and reload sshd."
    assert c.source_file == str(tmp_path / "ssh" / "ssh-root.yaml")
    assert len(c.sha256) == 64


def test_sha256_changes_with_content(tmp_path):
    a = write(tmp_path / "a", "ssh-root.yaml", VALID.format(id="ssh-root"))
    b = write(tmp_path / "b", "ssh-root.yaml", VALID.format(id="ssh-root").replace("severity: high", "severity: low"))
    assert load_checks([a])["ssh-root"].sha256 != load_checks([b])["ssh-root"].sha256


def test_unknown_top_level_key_names_its_line_and_key(tmp_path):
    write(tmp_path, "typo-check.yaml", VALID.format(id="typo-check").replace("severity:", "severty:"))
    errors = errors_of([tmp_path])
    assert {e.file for e in errors} == {str(tmp_path / "typo-check.yaml")}
    assert sorted((e.line, e.key, e.message) for e in errors) == [
        (1, "(top level)", "'severity' is a required property"),
        (3, "severty", "unknown key (did you mean 'severity'?)"),
    ]


def test_nested_unknown_key_names_its_own_line_and_path(tmp_path):
    text = VALID.format(id="nested-typo").replace('value: "no"', 'valeu: "no"')
    err = only_error(tmp_path, "nested-typo.yaml", text)
    assert (err.line, err.key, err.message) == (19, "expect.all.0.valeu", "unknown key (did you mean 'value'?)")


def test_unknown_key_without_a_close_match(tmp_path):
    err = only_error(tmp_path, "odd-key.yaml", VALID.format(id="odd-key") + "zzz: 1\n")
    assert (err.line, err.key, err.message) == (32, "zzz", "unknown key")


def test_bad_severity(tmp_path):
    err = only_error(tmp_path, "bad-sev.yaml", VALID.format(id="bad-sev").replace("severity: high", "severity: urgent"))
    assert (err.file, err.line, err.key) == (str(tmp_path / "bad-sev.yaml"), 3, "severity")
    assert err.message.startswith("'urgent' is not one of ['critical', 'high'")


def test_bad_operator(tmp_path):
    err = only_error(tmp_path, "bad-op.yaml", VALID.format(id="bad-op").replace("op: equals", "op: equal", 1))
    assert (err.line, err.key) == (18, "expect.all.0.op")
    assert err.message.startswith("'equal' is not one of")


def test_id_must_equal_file_name(tmp_path):
    err = only_error(tmp_path, "wrong-name.yaml", VALID.format(id="other-name"))
    assert (err.file, err.line, err.key) == (str(tmp_path / "wrong-name.yaml"), 1, "id")
    assert err.message == "id 'other-name' must equal the file name 'wrong-name'"


def test_undeclared_param(tmp_path):
    text = VALID.format(id="undeclared").replace("param: max_auth_tries", "param: max_tries")
    err = only_error(tmp_path, "undeclared.yaml", text)
    assert (err.line, err.key) == (23, "expect.all.1.param")
    assert err.message == "parameter 'max_tries' is not declared under parameters:"


def test_unknown_probe(tmp_path):
    text = VALID.format(id="bad-probe").replace("- fact: accounts", "- fact: acounts")
    err = only_error(tmp_path, "bad-probe.yaml", text)
    assert (err.file, err.key) == (str(tmp_path / "bad-probe.yaml"), "fact")
    assert err.message == "no probe named 'acounts' is installed (known: accounts, file, os_release, sshd)"
    assert err.line is not None


def test_unknown_probe_names_the_fact_line(tmp_path):
    text = VALID.format(id="bad-probe").replace("- fact: accounts", "- fact: acounts")
    err = only_error(tmp_path, "bad-probe.yaml", text)
    assert err.line == 24


def test_unknown_probe_not_checked_without_a_probe_list(tmp_path):
    write(tmp_path, "any-probe.yaml", VALID.format(id="any-probe").replace("- fact: accounts", "- fact: future"))
    assert load_checks([tmp_path])["any-probe"].facts == ("sshd", "future", "os_release")


def test_invalid_yaml_syntax(tmp_path):
    text = VALID.format(id="bad-yaml").replace("severity: high", "severity: high: really")
    err = only_error(tmp_path, "bad-yaml.yaml", text)
    assert (err.file, err.line, err.key) == (str(tmp_path / "bad-yaml.yaml"), 3, "")
    # libyaml says "...not allowed in this context", pure-Python PyYAML "...not allowed here"
    assert err.message.startswith("invalid YAML: mapping values are not allowed")


def test_duplicate_id_across_two_folders(tmp_path):
    write(tmp_path / "a", "dup-check.yaml", VALID.format(id="dup-check"))
    write(tmp_path / "b", "dup-check.yaml", VALID.format(id="dup-check"))
    errors = errors_of([tmp_path / "a", tmp_path / "b"])
    assert [(e.file, e.line, e.key) for e in errors] == [(str(tmp_path / "b" / "dup-check.yaml"), 1, "id")]
    assert errors[0].message == f"duplicate id, also in {tmp_path / 'a' / 'dup-check.yaml'}"


def test_missing_remediation(tmp_path):
    text = VALID.format(id="no-fix").split("remediation:")[0]
    err = only_error(tmp_path, "no-fix.yaml", text)
    assert (err.file, err.line, err.key) == (str(tmp_path / "no-fix.yaml"), 1, "(top level)")
    assert err.message == "'remediation' is a required property"


def test_too_short_remediation(tmp_path):
    text = VALID.format(id="short-fix").replace("Set PermitRootLogin no and reload sshd.", "fix")
    err = only_error(tmp_path, "short-fix.yaml", text)
    assert (err.line, err.key) == (30, "remediation")


def test_expectation_without_any_fact(tmp_path):
    text = """
        id: no-fact
        title: No fact anywhere
        severity: low
        expect:
          path: permitrootlogin
          op: equals
          value: "no"
        remediation: Set PermitRootLogin no.
        """
    err = only_error(tmp_path, "no-fact.yaml", text)
    assert (err.line, err.key, err.message) == (4, "expect", "no expectation names a fact")


def test_leaf_without_any_fact_is_rejected(tmp_path):
    text = """
        id: half-fact
        title: One leaf lacks a fact
        severity: low
        expect:
          all:
            - {fact: sshd, path: permitrootlogin, op: equals, value: "no"}
            - {path: maxauthtries, op: "<=", value: 4}
        remediation: Set PermitRootLogin no.
        """
    err = only_error(tmp_path, "half-fact.yaml", text)
    assert err.line == 7


def test_unknown_probe_under_collect_is_rejected(tmp_path):
    text = VALID.format(id="collect-typo").replace("    expect:",
                                                   "    collect:\n      fiel:\n        paths: [/etc/x]\n    expect:")
    err = only_error(tmp_path, "collect-typo.yaml", text)
    assert (err.line, err.key) == (15, "collect.fiel")
    assert err.message.startswith("no probe named 'fiel' is installed")


def test_empty_and_non_mapping_files(tmp_path):
    write(tmp_path, "empty.yaml", "")
    write(tmp_path, "listy.yaml", "- a\n")
    errors = errors_of([tmp_path])
    assert [(Path(e.file).name, e.key, e.message) for e in errors] == [
        ("empty.yaml", "(top level)", "None is not of type 'object'"),
        ("listy.yaml", "(top level)", "['a'] is not of type 'object'"),
    ]


def test_all_errors_of_several_files_are_reported_at_once(tmp_path):
    write(tmp_path, "a/good-one.yaml", VALID.format(id="good-one"))
    write(tmp_path, "a/bad-sev.yaml", VALID.format(id="bad-sev").replace("severity: high", "severity: urgent"))
    write(tmp_path, "b/wrong-name.yaml", VALID.format(id="other-name"))
    write(tmp_path, "b/bad-yaml.yaml", "id: [\n")
    write(tmp_path, "c/undeclared.yaml", VALID.format(id="undeclared").replace("param: max_auth_tries",
                                                                                "param: nope"))
    write(tmp_path, "c/no-fix.yml", VALID.format(id="no-fix").split("remediation:")[0])
    errors = errors_of([tmp_path / "a", tmp_path / "b", tmp_path / "c"])
    assert [(Path(e.file).name, e.key) for e in errors] == [
        ("bad-sev.yaml", "severity"),
        ("bad-yaml.yaml", ""),
        ("wrong-name.yaml", "id"),
        ("no-fix.yml", "(top level)"),
        ("undeclared.yaml", "expect.all.1.param"),
    ]
    text = str(SourceErrorList(errors))
    assert f"{tmp_path / 'a' / 'bad-sev.yaml'}:3: severity: 'urgent'" in text
    assert f"{tmp_path / 'b' / 'wrong-name.yaml'}:1: id: id 'other-name'" in text


def test_check_files_picks_yaml_and_yml_only_sorted(tmp_path):
    for name in ("b.yaml", "a.yml", "c.txt", "d.yaml.bak", "sub/e.yaml"):
        write(tmp_path, name, "x: 1\n")
    single = write(tmp_path, "f.json", "{}")
    assert [p.relative_to(tmp_path).as_posix() for p in check_files([tmp_path, single])] == [
        "a.yml", "b.yaml", "sub/e.yaml", "f.json"]


def test_line_index_maps_paths_to_lines(tmp_path):
    path = write(tmp_path, "x.yaml", """
        a: 1
        b:
          c:
            - x
            - {d: 2}
        """)
    data, index = load_yaml(path)
    assert data == {"a": 1, "b": {"c": ["x", {"d": 2}]}}
    assert isinstance(index, LineIndex)
    assert index.line_of(("a",)) == 1
    assert index.line_of(("b", "c")) == 3
    assert index.line_of(("b", "c", 1, "d")) == 5
    assert index.line_of(("b", "c", 1, "zzz")) == 5
    assert index.line_of(("nope",)) == 1


def test_source_error_str():
    assert str(SourceError("f.yaml", 3, "severity", "bad")) == "f.yaml:3: severity: bad"
    assert str(SourceError("f.yaml", None, "", "bad")) == "f.yaml: bad"


# --- the shipped checks ------------------------------------------------------------------------------------

def _declared_probes() -> set[str]:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    return set(tomllib.loads(pyproject.read_text())["project"]["entry-points"]["hardencheck.probes"])


def test_every_builtin_check_loads_against_the_declared_probes():
    files = check_files([builtin_dir("checks")])
    checks = load_checks([builtin_dir("checks")], known_probes=_declared_probes())
    assert len(files) >= 7
    assert sorted(checks) == sorted(p.stem for p in files)
    for check in checks.values():
        assert Path(check.source_file).stem == check.id
        assert check.facts, check.id
        assert len(check.remediation) >= 10


def test_builtin_checks_read_the_expected_probes():
    checks = load_checks([builtin_dir("checks")])
    assert checks["ssh-permit-root-login"].facts == ("sshd",)
    assert checks["ld-so-preload-absent"].facts == ("file",)
    assert checks["accounts-uid0-only-root"].facts == ("accounts",)
    assert checks["login-defs-pass-max-days"].parameters == {"max_days": 90}


def test_unknown_probe_in_value_from_names_its_own_line(tmp_path):
    text = VALID.format(id="bad-ref").replace("param: max_auth_tries", "value_from: {fact: logindefs}")
    err = only_error(tmp_path, "bad-ref.yaml", text)
    assert (err.line, err.key) == (23, "fact")
    assert err.message.startswith("no probe named 'logindefs' is installed")


def test_every_leaf_without_a_fact_is_reported_at_its_own_line(tmp_path):
    write(tmp_path, "two-gaps.yaml", """
        id: two-gaps
        title: Two leaves lack a fact
        severity: low
        expect:
          any:
            - {path: a, op: present}
            - fact: sshd
              all:
                - {path: b, op: present}
                - {path: users, some: {path: c, op: present}, where: {path: d, op: present}}
            - {path: e, op: present}
        remediation: Set PermitRootLogin no.
        """)
    errors = errors_of([tmp_path])
    assert [(e.line, e.key) for e in errors] == [(6, "expect.any.0"), (11, "expect.any.2")]


def test_load_yaml_keeps_bare_dates_as_written(tmp_path):
    path = write(tmp_path, "x.yaml", "a: 2030-01-31\nb: 2030-02-30\nc: 2030-01-31 12:00:00\n")
    data, _ = load_yaml(path)
    assert data == {"a": "2030-01-31", "b": "2030-02-30", "c": "2030-01-31 12:00:00"}
