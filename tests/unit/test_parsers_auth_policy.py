"""Effective MFA, password quality, history, lockout and hashing from PAM stacks plus their config files.

Stacks come from ``data/pam_debian12`` (stock Debian 12), ``data/pam_ubuntu_pos`` (faillock, pwhistory,
TOTP commented out) and ``data/pam_rhel9`` (authselect sssd with-faillock), plus small variations written
here for the cases that decide a verdict: jumps around the second factor, nullok, fail-open controls,
config-file precedence and module defaults.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.parsers._pam_paths import gate
from hardencheck.facts.probes.auth_policy import AuthPolicyProbe

DATA = Path(__file__).parent / "data"


def pam_dir(name: str, **overrides: str) -> dict[str, str]:
    files = {f"/etc/pam.d/{p.name}": p.read_text() for p in (DATA / name).iterdir()}
    if name != "pam_rhel9":
        files.setdefault("/etc/pam.d/passwd", "@include common-password\n")  # as Debian's passwd service
    else:
        files.setdefault("/etc/pam.d/passwd", "password substack system-auth\n")
    files.update({f"/etc/pam.d/{k.replace('_', '-')}": v for k, v in overrides.items()})
    return files


def policy(files: dict[str, str], **options):
    return parse(AuthPolicyProbe(), files, options=options)


def entry(module: str, control: str = "required", *args: str) -> dict:
    from hardencheck.facts.parsers._pam_flow import parse_control

    bracketed = control.startswith("[")
    _, actions, _ = parse_control(control.strip("[]"), bracketed)
    return {"module": module, "actions": actions, "stack_level": 0, "args": list(args)}


# --- the path analysis --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stack", "target", "expected"), [
    # Debian's jump pattern around the second factor is as strict as "required"
    ([entry("pam_faillock.so"), entry("pam_google_authenticator.so", "[success=1 default=ignore]"),
      entry("pam_faillock.so", "[default=die]"), entry("pam_faillock.so", "sufficient"),
      entry("pam_deny.so", "requisite")], 1, "enforced"),
    # the same jump followed only by optional modules lets a failure through
    ([entry("pam_permit.so"), entry("pam_google_authenticator.so", "[success=1 default=ignore]"),
      entry("pam_cap.so", "optional")], 1, "fail_open"),
    ([entry("pam_unix.so", "[success=1 default=ignore]"), entry("pam_deny.so", "requisite"),
      entry("pam_permit.so"), entry("pam_google_authenticator.so", "optional")], 3, "fail_open"),
    ([entry("pam_unix.so", "sufficient"), entry("pam_google_authenticator.so"), entry("pam_deny.so")],
     1, "skippable"),
    ([entry("pam_unix.so", "[success=2 default=ignore]"), entry("pam_google_authenticator.so"),
      entry("pam_deny.so", "requisite"), entry("pam_permit.so")], 1, "skippable"),
    # required after a password that already set success: a failure still fails the stack
    ([entry("pam_unix.so", "[success=1 default=ignore]"), entry("pam_deny.so", "requisite"),
      entry("pam_permit.so"), entry("pam_google_authenticator.so")], 3, "enforced"),
    # "reset" forgets the failure it recorded: fail-open
    ([entry("pam_google_authenticator.so"), entry("pam_env.so", "[default=reset]"), entry("pam_permit.so")],
     0, "fail_open"),
])
def test_gate(stack: list[dict], target: int, expected: str) -> None:
    result = gate(stack, target)
    assert result[expected] is True
    assert result["enforced"] is (expected == "enforced")


# --- MFA in the sshd stack ----------------------------------------------------------------------------------

def test_commented_out_totp_is_reported_with_its_line() -> None:
    fact = policy(pam_dir("pam_ubuntu_pos"))
    mfa = fact.data["mfa"]["sshd"]
    assert mfa["status"] == "commented-out" and mfa["modules"] == [] and mfa["enforced"] is False
    line = mfa["commented"][0]
    assert [c["line"] for c in mfa["commented"]] == [4, 5]
    assert line["module"] == "pam_google_authenticator.so" and line["source"] == "/etc/pam.d/sshd"
    assert fact.locations["mfa/sshd/commented/0"].excerpt.startswith("#")
    assert fact.locations["mfa/sshd"] == fact.locations["mfa/sshd/commented/0"]


@pytest.mark.parametrize(("line", "status", "flags"), [
    ("auth required pam_google_authenticator.so", "enforced", {}),
    ("auth required pam_google_authenticator.so nullok", "nullok", {"nullok": True}),
    ("auth optional pam_google_authenticator.so", "fail-open", {"fail_open": True}),
    ("auth sufficient pam_oath.so usersfile=/etc/users.oath", "fail-open", {"fail_open": True}),
    ("-auth required pam_u2f.so", "enforced", {"dash": True}),
])
def test_second_factor_after_common_auth(line: str, status: str, flags: dict) -> None:
    sshd = "@include common-auth\n" + line + "\naccount required pam_nologin.so\n"
    mfa = policy(pam_dir("pam_debian12", sshd=sshd)).data["mfa"]["sshd"]
    (module,) = mfa["modules"]
    assert mfa["status"] == status
    assert mfa["enforced"] is (status == "enforced")
    for key, value in flags.items():
        assert module[key] == value


def test_sufficient_password_before_the_code_skips_it() -> None:
    sshd = "auth sufficient pam_unix.so\nauth required pam_google_authenticator.so\nauth required pam_deny.so\n"
    fact = policy({"/etc/pam.d/sshd": sshd})
    module = fact.data["mfa"]["sshd"]["modules"][0]
    assert module["bypassed_by"] == ["pam_unix.so"] and module["skippable"] is True
    assert fact.data["mfa"]["sshd"]["status"] == "skippable"
    assert fact.locations["mfa/sshd/modules/0"].line == 2


def test_mfa_modules_option_and_missing_sshd_service() -> None:
    fact = policy({"/etc/pam.d/sshd": "auth required pam_radius_auth.so\n"},
                  mfa_modules=["pam_radius_auth.so"])
    assert fact.data["mfa"]["sshd"]["enforced"] is True
    fact = policy({"/etc/pam.d/other": "auth required pam_deny.so\n"})
    assert fact.data["mfa"]["sshd"]["status"] == "missing"


def test_rhel_substack_results_are_marked_approximate() -> None:
    sshd = "auth substack password-auth\nauth required pam_google_authenticator.so\n"
    module = policy(pam_dir("pam_rhel9", sshd=sshd)).data["mfa"]["sshd"]["modules"][0]
    assert module["approximate"] is True


# --- password quality ---------------------------------------------------------------------------------------

def test_stock_debian_has_no_quality_module_only_pam_unix_defaults() -> None:
    q = policy(pam_dir("pam_debian12")).data["quality"]
    assert q["module"] == "pam_unix.so" and q["present"] is False and q["effective_minlen"] == 6
    assert q["requires_digit"] is False


def test_pwquality_dropins_are_read_first_and_the_main_file_wins_then_module_arguments() -> None:
    files = pam_dir("pam_ubuntu_pos")
    files["/etc/security/pwquality.conf.d/50-site.conf"] = "minlen = 14\ndcredit = -1\nminclass = 4\n"
    files["/etc/security/pwquality.conf"] = "minlen = 10\nlcredit = -1\n"
    q = policy(files).data["quality"]
    assert (q["minlen"], q["dcredit"], q["lcredit"], q["minclass"]) == (10, -1, -1, 4)
    assert q["sources"]["minlen"] == "/etc/security/pwquality.conf:1"
    assert q["requires_digit"] and q["requires_letter"]
    files["/etc/pam.d/common-password"] = files["/etc/pam.d/common-password"].replace(
        "pam_pwquality.so retry=3", "pam_pwquality.so retry=3 minlen=12")
    q = policy(files).data["quality"]
    assert q["minlen"] == 12 and q["sources"]["minlen"].startswith("/etc/pam.d/common-password:")


def test_positive_credits_shorten_the_real_minimum() -> None:
    files = pam_dir("pam_ubuntu_pos")
    files["/etc/security/pwquality.conf"] = "minlen = 12\ndcredit = 1\nucredit = 1\n"
    q = policy(files).data["quality"]
    assert q["minlen"] == 12 and q["credits"] == 2 and q["effective_minlen"] == 10
    assert q["requires_digit"] is False


def test_cracklib_defaults_give_credits() -> None:
    files = pam_dir("pam_debian12", common_password="password requisite pam_cracklib.so retry=3 minlen=12\n"
                    "password [success=1 default=ignore] pam_unix.so obscure use_authtok sha512\n"
                    "password requisite pam_deny.so\npassword required pam_permit.so\n")
    files["/etc/security/pwquality.conf"] = "minlen = 20\n"  # not read by pam_cracklib
    q = policy(files).data["quality"]
    assert q["module"] == "pam_cracklib.so" and q["minlen"] == 12 and q["effective_minlen"] == 8


# --- history --------------------------------------------------------------------------------------------------

def test_pwhistory_remember_from_arguments_or_its_config_file() -> None:
    h = policy(pam_dir("pam_ubuntu_pos")).data["history"]
    assert (h["module"], h["remember"], h["effective"]) == ("pam_pwhistory.so", 5, True)
    files = pam_dir("pam_ubuntu_pos")
    files["/etc/pam.d/common-password"] = files["/etc/pam.d/common-password"].replace(" remember=5", "")
    files["/etc/security/pwhistory.conf"] = "remember = 3\n"
    assert policy(files).data["history"]["remember"] == 3
    del files["/etc/security/pwhistory.conf"]
    assert policy(files).data["history"]["remember"] == 10  # the module default


def test_pwhistory_skipped_by_the_pam_unix_jump_does_not_count_but_unix_remember_does() -> None:
    stack = ("password requisite pam_pwquality.so\n"
             "password [success=2 default=ignore] pam_unix.so obscure use_authtok yescrypt remember=4\n"
             "password required pam_pwhistory.so remember=12\n"
             "password requisite pam_deny.so\npassword required pam_permit.so\n")
    h = policy(pam_dir("pam_debian12", common_password=stack)).data["history"]
    mechanisms = {m["module"]: m for m in h["mechanisms"]}
    assert mechanisms["pam_pwhistory.so"]["effective"] is False
    assert mechanisms["pam_pwhistory.so"]["bypassed_by"] == ["pam_unix.so"]
    assert (h["module"], h["remember"], h["effective"]) == ("pam_unix.so", 4, True)


# --- lockout --------------------------------------------------------------------------------------------------

def test_faillock_arguments_win_over_faillock_conf_and_defaults_fill_the_rest() -> None:
    files = pam_dir("pam_rhel9")
    files["/etc/security/faillock.conf"] = "deny = 8\nunlock_time = 3600\nfail_interval = 300\n"
    sshd = next(x for x in policy(files, login_services=["sshd"]).data["lockout"])
    assert (sshd["active"], sshd["deny"], sshd["unlock_time"], sshd["fail_interval"]) == (True, 5, 900, 300)
    assert sshd["sources"]["fail_interval"] == "/etc/security/faillock.conf:3"
    ubuntu = policy(pam_dir("pam_ubuntu_pos"), login_services=["sshd"]).data["lockout"][0]
    assert (ubuntu["deny"], ubuntu["unlock_time"]) == (3, 600)  # nothing set: the module's defaults
    assert ubuntu["sources"]["deny"] == "default"


def test_lockout_needs_preauth_that_gates_and_authfail() -> None:
    no_authfail = "auth required pam_faillock.so preauth deny=5\n@include common-auth\n"
    row = policy(pam_dir("pam_debian12", sshd=no_authfail), login_services=["sshd"]).data["lockout"][0]
    assert row["present"] is True and row["authfail"] is False and row["active"] is False
    optional = ("auth optional pam_faillock.so preauth deny=5\nauth [success=1 default=ignore] pam_unix.so\n"
                "auth [default=die] pam_faillock.so authfail deny=5\nauth sufficient pam_faillock.so authsucc\n"
                "auth requisite pam_deny.so\n")
    row = policy(pam_dir("pam_debian12", sshd=optional), login_services=["sshd"]).data["lockout"][0]
    assert row["active"] is False


def test_pam_tally2_and_no_lockout_at_all() -> None:
    tally = "auth required pam_tally2.so deny=6 unlock_time=0 onerr=fail\n@include common-auth\n"
    row = policy(pam_dir("pam_debian12", login=tally), login_services=["login"]).data["lockout"][0]
    assert (row["module"], row["active"], row["deny"], row["unlock_time"]) == ("pam_tally2.so", True, 6, 0)
    fact = policy(pam_dir("pam_debian12"), login_services=["sshd"])
    row = fact.data["lockout"][0]
    assert (row["present"], row["active"], row["deny"]) == (False, False, None)
    assert fact.locations["lockout/0"].source == "/etc/pam.d/common-auth"  # points at the stack lacking it


# --- hashing ----------------------------------------------------------------------------------------------------

def test_hashing_from_pam_unix_option_last_one_wins_else_login_defs() -> None:
    stack = ("password [success=1 default=ignore] pam_unix.so md5 obscure sha512\n"
             "password requisite pam_deny.so\npassword required pam_permit.so\n")
    files = pam_dir("pam_debian12", common_password=stack)
    files["/etc/login.defs"] = "ENCRYPT_METHOD MD5\n"
    h = policy(files).data["hashing"]
    assert (h["pam_unix_algorithm"], h["encrypt_method"], h["encrypt_method_algorithm"]) == ("sha512", "MD5", "md5")
    files["/etc/pam.d/common-password"] = stack.replace(" md5 obscure sha512", " obscure")
    h = policy(files).data["hashing"]
    assert (h["pam_unix_algorithm"], h["pam_unix_source"]) == ("md5", "login.defs ENCRYPT_METHOD")
    del files["/etc/login.defs"]
    assert policy(files).data["hashing"]["pam_unix_algorithm"] == "des"


def test_missing_passwd_service_falls_back_to_other_and_unknown_values_stay_unset() -> None:
    fact = policy({"/etc/pam.d/sshd": "auth required pam_unix.so\n"})
    assert fact.data["password_stack_found"] is False
    assert fact.data["quality"]["effective_minlen"] is None
    assert any("no password stack" in w for w in fact.warnings)


def test_crlf_files_and_unreadable_config_files() -> None:
    files = {k: v.replace("\n", "\r\n") for k, v in pam_dir("pam_ubuntu_pos").items()}
    fact = policy(files)
    assert fact.data["quality"]["module"] == "pam_pwquality.so"
    assert any("CRLF" in w for w in fact.warnings)
    files = pam_dir("pam_ubuntu_pos")
    files["/etc/security/faillock.conf"] = None
    with pytest.raises(FactUnavailable, match="faillock.conf is unreadable"):
        policy(files)
    with pytest.raises(FactUnavailable):
        policy({})


def test_a_thousand_line_stack_is_walked_without_recursion() -> None:
    stack = [entry("pam_env.so", "optional") for _ in range(999)] + [entry("pam_google_authenticator.so")]
    assert gate(stack, 999)["enforced"] is True
    sshd = "auth optional pam_env.so\n" * 999 + "auth required pam_google_authenticator.so\n"
    assert policy({"/etc/pam.d/sshd": sshd}).data["mfa"]["sshd"]["status"] == "enforced"


def test_duplicated_keys_in_config_files_last_one_wins_as_the_modules_read_them() -> None:
    files = pam_dir("pam_ubuntu_pos")
    files["/etc/security/faillock.conf"] = "deny = 3\nunlock_time = 600\n# hardening\ndeny = 8\nunlock_time = 0\n"
    row = policy(files, login_services=["sshd"]).data["lockout"][0]
    assert (row["deny"], row["unlock_time"]) == (8, 0)
    assert row["sources"]["deny"] == "/etc/security/faillock.conf:4"
