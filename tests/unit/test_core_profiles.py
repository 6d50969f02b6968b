"""Profiles: extends chains, selectors, parameter overrides, and early errors for typos."""

from __future__ import annotations

import pytest
from core_helpers import make_check, write

from hardencheck.checks.loader import builtin_dir, load_checks
from hardencheck.checks.yamlsource import SourceErrorList
from hardencheck.profiles import available_profiles, load_profile, profile_dirs

LEAF = {"fact": "sshd", "path": "x", "op": "present"}


def _check(cid, tags=(), **params):
    return make_check(LEAF, id=cid, tags=list(tags),
                      parameters={k: {"default": v, "description": "d"} for k, v in params.items()})


CHECKS = {c.id: c for c in [
    _check("ssh-max-auth-tries", ["ssh", "brute-force"], max_auth_tries=4),
    _check("ssh-permit-root-login", ["ssh"]),
    _check("ssh-weak-ciphers", ["ssh", "crypto"], weak_cipher_pattern="-cbc$"),
    _check("accounts-uid0-only-root", ["accounts", "post-breach"]),
    _check("login-defs-pass-max-days", ["passwords"], max_days=90),
    _check("pam-max-days", ["passwords"], max_days=90),
]}


@pytest.fixture
def pdir(tmp_path):
    write(tmp_path, "base.yaml", """
        name: base
        description: |
          Base profile.
        include: ["ssh-*", "login-defs-*"]
        exclude: [ssh-weak-ciphers]
        parameters:
          max_auth_tries: 6
          max_days: 120
        probe_options:
          file: {paths: [/etc/a]}
        """)
    write(tmp_path, "child.yaml", """
        name: child
        description: Child profile
        extends: base
        include: ["tag:accounts"]
        exclude: ["tag:brute-force"]
        parameters:
          max_days: 60
        check_parameters:
          login-defs-pass-max-days:
            max_days: 45
        parameter_notes:
          max_days: stricter than PCI
        probe_options:
          file: {depth: 2}
        """)
    write(tmp_path, "grandchild.yaml", """
        name: grandchild
        description: Grandchild profile
        extends: [child]
        parameters:
          max_auth_tries: 3
        """)
    return tmp_path


def test_single_profile(pdir):
    p = load_profile("base", [pdir], CHECKS)
    assert p.name == "base"
    assert p.description == "Base profile."
    assert p.chain == ["base"]
    assert list(p.select(CHECKS)) == ["login-defs-pass-max-days", "ssh-max-auth-tries", "ssh-permit-root-login"]
    assert p.params_for(CHECKS["ssh-max-auth-tries"]) == {"max_auth_tries": 6}
    assert p.params_for(CHECKS["login-defs-pass-max-days"]) == {"max_days": 120}
    assert p.params_for(CHECKS["ssh-permit-root-login"]) == {}


def test_extends_accumulates_include_and_exclude_and_overrides_parameters(pdir):
    p = load_profile("child", [pdir], CHECKS)
    assert p.chain == ["base", "child"]
    assert p.include == ["ssh-*", "login-defs-*", "tag:accounts"]
    assert p.exclude == ["ssh-weak-ciphers", "tag:brute-force"]
    assert p.parameters == {"max_auth_tries": 6, "max_days": 60}
    assert p.parameter_notes == {"max_days": "stricter than PCI"}
    assert p.probe_options == {"file": {"paths": ["/etc/a"], "depth": 2}}
    assert list(p.select(CHECKS)) == ["accounts-uid0-only-root", "login-defs-pass-max-days", "ssh-permit-root-login"]


def test_check_parameters_beat_profile_parameters_which_beat_defaults(pdir):
    p = load_profile("child", [pdir], CHECKS)
    assert p.params_for(CHECKS["login-defs-pass-max-days"]) == {"max_days": 45}
    assert p.params_for(CHECKS["pam-max-days"]) == {"max_days": 60}


def test_three_level_chain_child_wins(pdir):
    p = load_profile("grandchild", [pdir], CHECKS)
    assert p.chain == ["base", "child", "grandchild"]
    assert p.parameters == {"max_auth_tries": 3, "max_days": 60}
    assert p.params_for(CHECKS["ssh-max-auth-tries"]) == {"max_auth_tries": 3}


def test_params_for_ignores_parameters_the_check_does_not_declare(pdir):
    p = load_profile("base", [pdir], CHECKS)
    assert "max_days" not in p.params_for(CHECKS["ssh-max-auth-tries"])


def test_profile_by_path(pdir):
    p = load_profile(str(pdir / "child.yaml"), [pdir], CHECKS)
    assert p.chain == ["base", "child"]


def test_multiple_parents_merge_in_order(tmp_path):
    write(tmp_path, "p1.yaml", "name: p1\ndescription: a\ninclude: [ssh-*]\nparameters: {max_days: 10}\n")
    write(tmp_path, "p2.yaml", "name: p2\ndescription: b\ninclude: [tag:accounts]\nparameters: {max_days: 20}\n")
    write(tmp_path, "both.yaml", "name: both\ndescription: c\nextends: [p1, p2]\n")
    p = load_profile("both", [tmp_path], CHECKS)
    assert p.chain == ["p1", "p2", "both"]
    assert p.include == ["ssh-*", "tag:accounts"]
    assert p.parameters == {"max_days": 20}


@pytest.mark.parametrize(("include", "exclude", "selected"), [
    ([], [], sorted(CHECKS)),
    (["tag:ssh"], [], ["ssh-max-auth-tries", "ssh-permit-root-login", "ssh-weak-ciphers"]),
    (["tag:ssh"], ["tag:crypto"], ["ssh-max-auth-tries", "ssh-permit-root-login"]),
    (["*-max-*"], [], ["login-defs-pass-max-days", "pam-max-days", "ssh-max-auth-tries"]),
    (["ssh-?ermit-root-login"], [], ["ssh-permit-root-login"]),
    ([], ["ssh-*", "tag:passwords"], ["accounts-uid0-only-root"]),
    (["SSH-*"], [], []),
])
def test_selectors(tmp_path, include, exclude, selected):
    write(tmp_path, "sel.yaml", f"name: sel\ndescription: s\ninclude: {include}\nexclude: {exclude}\n")
    p = load_profile("sel", [tmp_path])
    assert list(p.select(CHECKS)) == selected


def test_extends_cycle_is_detected(tmp_path):
    write(tmp_path, "cyc-a.yaml", "name: cyc-a\ndescription: a\nextends: cyc-b\n")
    write(tmp_path, "cyc-b.yaml", "name: cyc-b\ndescription: b\nextends: [cyc-a]\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("cyc-a", [tmp_path], CHECKS)
    (err,) = info.value.errors
    assert (err.file, err.line, err.key) == (str(tmp_path / "cyc-a.yaml"), 3, "extends")
    assert err.message == "extends cycle: cyc-a -> cyc-b -> cyc-a"


def test_self_extension_is_a_cycle(tmp_path):
    write(tmp_path, "me.yaml", "name: me\ndescription: a\nextends: me\n")
    with pytest.raises(SourceErrorList, match="extends cycle: me -> me"):
        load_profile("me", [tmp_path])


def test_diamond_is_not_a_cycle(tmp_path):
    write(tmp_path, "root.yaml", "name: root\ndescription: r\ninclude: [ssh-*]\n")
    write(tmp_path, "left.yaml", "name: left\ndescription: l\nextends: root\n")
    write(tmp_path, "right.yaml", "name: right\ndescription: r\nextends: root\n")
    write(tmp_path, "bottom.yaml", "name: bottom\ndescription: b\nextends: [left, right]\n")
    p = load_profile("bottom", [tmp_path], CHECKS)
    assert p.chain[-1] == "bottom"
    assert list(p.select(CHECKS)) == ["ssh-max-auth-tries", "ssh-permit-root-login", "ssh-weak-ciphers"]


def test_unknown_parent(tmp_path):
    write(tmp_path, "orphan.yaml", "name: orphan\ndescription: o\n# parent\nextends: nope\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("orphan", [tmp_path])
    (err,) = info.value.errors
    assert (err.file, err.line, err.key) == (str(tmp_path / "orphan.yaml"), 4, "extends")
    assert err.message == "unknown parent profile 'nope'"


def test_unknown_profile_name_lists_the_available_ones(pdir):
    with pytest.raises(SourceErrorList) as info:
        load_profile("nosuch", [pdir])
    assert info.value.errors[0].message == "no such profile (available: base, child, grandchild)"


def test_schema_error_in_a_profile_names_file_and_line(tmp_path):
    write(tmp_path, "bad.yaml", "name: bad\ndescription: b\ninclude: ssh-*\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("bad", [tmp_path])
    (err,) = info.value.errors
    assert (err.file, err.line, err.key) == (str(tmp_path / "bad.yaml"), 3, "include")


def test_schema_error_in_a_parent_is_reported(tmp_path):
    write(tmp_path, "parent.yaml", "name: parent\ndescription: p\nparamters: {}\n")
    write(tmp_path, "kid.yaml", "name: kid\ndescription: k\nextends: parent\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("kid", [tmp_path])
    err = info.value.errors[0]
    assert (err.file, err.line, err.key) == (str(tmp_path / "parent.yaml"), 3, "paramters")


@pytest.mark.parametrize(("body", "key", "message"), [
    ("include: [ssh-permit-rot-login]", "include", "no check matches 'ssh-permit-rot-login'"),
    ("include: ['tag:nosuch']", "include", "no check has tag 'nosuch'"),
    ("parameters: {max_auth_trys: 3}", "parameters", "no check declares parameter 'max_auth_trys'"),
    ("check_parameters: {nosuch-check: {x: 1}}", "check_parameters", "unknown check 'nosuch-check'"),
    ("check_parameters: {ssh-max-auth-tries: {max_days: 1}}", "check_parameters.ssh-max-auth-tries",
     "check 'ssh-max-auth-tries' has no parameter 'max_days'"),
])
def test_references_that_match_nothing_are_errors(tmp_path, body, key, message):
    write(tmp_path, "typo.yaml", f"name: typo\ndescription: t\n{body}\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("typo", [tmp_path], CHECKS)
    assert [(e.file, e.key, e.message) for e in info.value.errors] == [(str(tmp_path / "typo.yaml"), key, message)]


def test_references_are_not_checked_without_checks(tmp_path):
    write(tmp_path, "typo.yaml", "name: typo\ndescription: t\ninclude: [nothing-*]\n")
    assert load_profile("typo", [tmp_path]).include == ["nothing-*"]


def test_all_reference_errors_are_reported_together(tmp_path):
    write(tmp_path, "typo.yaml", "name: typo\ndescription: t\ninclude: [zz-*]\nexclude: ['tag:zz']\n"
                                 "parameters: {zz: 1}\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("typo", [tmp_path], CHECKS)
    assert len(info.value.errors) == 3


def test_reference_errors_name_line_and_the_right_key(tmp_path):
    write(tmp_path, "typo.yaml", "name: typo\ndescription: t\ninclude: [ssh-*]\nexclude: [zz-*]\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("typo", [tmp_path], CHECKS)
    (err,) = info.value.errors
    assert (err.line, err.key) == (4, "exclude")


def test_earlier_dirs_shadow_later_ones(tmp_path):
    write(tmp_path / "user", "base.yaml", "name: base\ndescription: mine\n")
    write(tmp_path / "shipped", "base.yaml", "name: base\ndescription: shipped\n")
    write(tmp_path / "shipped", "other.yaml", "name: other\ndescription: o\n")
    found = available_profiles([tmp_path / "user", tmp_path / "shipped"])
    assert found == {"base": tmp_path / "user" / "base.yaml", "other": tmp_path / "shipped" / "other.yaml"}
    assert load_profile("base", [tmp_path / "user", tmp_path / "shipped"]).description == "mine"


def test_sha256_differs_between_profiles(pdir):
    a = load_profile("base", [pdir])
    b = load_profile("child", [pdir])
    assert len(a.sha256) == 64
    assert a.sha256 != b.sha256
    assert a.sha256 == load_profile("base", [pdir]).sha256


def test_builtin_profiles_load_against_builtin_checks():
    checks = load_checks([builtin_dir("checks")])
    dirs = profile_dirs()
    assert dirs[-1] == builtin_dir("profiles")
    names = available_profiles(dirs)
    assert "linux-baseline" in names
    for name in names:
        profile = load_profile(name, dirs, checks)
        assert profile.select(checks), name
    baseline = load_profile("linux-baseline", dirs, checks)
    assert sorted(baseline.select(checks)) == sorted(checks)


def test_an_inherited_reference_error_names_the_parent_file_and_line(tmp_path):
    write(tmp_path, "parent.yaml", "name: parent\ndescription: p\ninclude: [ssh-*, zz-*]\n")
    write(tmp_path, "kid.yaml", "name: kid\ndescription: k\nextends: parent\ninclude: [yy-*]\n"
                                "parameters:\n  max_days: 1\n  nope: 2\ncheck_parameters:\n"
                                "  pam-max-days: {max_days: 1, nope: 2}\n")
    with pytest.raises(SourceErrorList) as info:
        load_profile("kid", [tmp_path], CHECKS)
    assert [(e.file, e.line, e.key) for e in info.value.errors] == [
        (str(tmp_path / "parent.yaml"), 3, "include"),
        (str(tmp_path / "kid.yaml"), 4, "include"),
        (str(tmp_path / "kid.yaml"), 7, "parameters"),
        (str(tmp_path / "kid.yaml"), 9, "check_parameters.pam-max-days"),
    ]


def test_sha256_is_a_hash_of_the_resolved_profile_alone(tmp_path):
    write(tmp_path / "a", "p.yaml", "name: p\ndescription: d\ninclude: [ssh-*]\n")
    write(tmp_path / "b", "p.yaml", "# a comment changes nothing\nname: p\ndescription: d\ninclude: ['ssh-*']\n")
    assert load_profile("p", [tmp_path / "a"]).sha256 == load_profile("p", [tmp_path / "b"]).sha256
