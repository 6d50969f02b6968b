"""PAM stack building on real Debian 12 files and realistic RHEL 9 / Ubuntu POS stacks.

``data/pam_debian12`` is copied from a stock Debian 12 host; ``pam_rhel9``
follows authselect's ``sssd with-faillock`` profile; ``pam_ubuntu_pos``
is a POS image with pam_faillock, pam_pwhistory and a commented-out
pam_google_authenticator.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from hardencheck.facts.parsers.pam import parse_pam

DATA = Path(__file__).parent / "data"


def reader(files: dict[str, str], pam_dir: str = "/etc/pam.d"):
    return lambda path: (
        files.get(path[len(pam_dir) + 1 :]) if path.startswith(pam_dir + "/") else files.get(path)
    )


def fixture(name: str):
    base = DATA / name
    return reader({p.name: p.read_text() for p in base.iterdir()})


def modules(entries: list[dict]) -> list[str]:
    return [e["module"] for e in entries]


def test_debian12_sshd_stack_is_flattened() -> None:
    fact = parse_pam(fixture("pam_debian12"), ["sshd"])
    auth = fact.data["services"]["sshd"]["auth"]
    assert modules(auth) == ["pam_unix.so", "pam_deny.so", "pam_permit.so", "pam_cap.so"]
    unix, deny, permit, cap = auth
    assert unix["control"] == "[success=1 default=ignore]"
    assert unix["actions"] == {"success": "1", "default": "ignore"}
    assert unix["options"] == {"nullok": True}
    assert unix["source"] == "/etc/pam.d/common-auth" and unix["line"] == 17
    assert unix["included_from"] == "/etc/pam.d/sshd:4"
    assert unix["enforcing"] is False and unix["optional"] is False
    assert deny["enforcing"] is True and deny["bypassed_by"] == ["pam_unix.so"]
    assert permit["bypassed_by"] == [] and cap["optional"] is True
    session = fact.data["services"]["sshd"]["session"]
    assert session[0]["module"] == "pam_selinux.so" and session[0]["enforcing"] is True
    assert session[0]["included_from"] is None
    # Debian's "[default=1] pam_permit.so": default covers success, so pam_deny is jumped over
    deny_session = next(e for e in session if e["module"] == "pam_deny.so")
    assert deny_session["bypassed_by"] == ["pam_permit.so"]
    assert fact.locations["services/sshd/auth/1"].excerpt == "auth requisite   pam_deny.so"
    assert fact.data["commented"]["sshd"][0]["module"] == "pam_access.so"


def test_missing_service_falls_back_to_other() -> None:
    fact = parse_pam(fixture("pam_debian12"), ["sudo", "su"])
    assert fact.data["services"]["sudo"] is None
    assert fact.data["missing"] == ["sudo"]
    assert fact.data["fallback"]["sudo"] == ["auth", "account", "password", "session"]
    assert modules(fact.data["services"]["other"]["auth"])[0] == "pam_unix.so"
    assert any("/etc/pam.d/sudo: missing" in w for w in fact.warnings)
    # su has no password lines of its own: libpam uses other's, per type
    assert fact.data["fallback"]["su"] == ["password"]
    su_password = fact.data["services"]["su"]["password"]
    assert su_password[0]["included_from"] == "/etc/pam.d/other (fallback)"
    # pam_rootok is sufficient: its success skips everything after it
    su_auth = fact.data["services"]["su"]["auth"]
    assert su_auth[0]["module"] == "pam_rootok.so"
    assert all(e["bypassed_by"][0] == "pam_rootok.so" for e in su_auth[1:])


def test_include_files_get_no_other_fallback() -> None:
    fact = parse_pam(fixture("pam_debian12"), ["common-auth"])
    assert modules(fact.data["services"]["common-auth"]["auth"])[0] == "pam_unix.so"
    assert fact.data["services"]["common-auth"]["password"] == []
    assert "other" not in fact.data["services"]


def test_rhel_substack_confines_sufficient() -> None:
    fact = parse_pam(fixture("pam_rhel9"), ["sshd", "sudo"])
    auth = fact.data["services"]["sshd"]["auth"]
    assert all(e["stack_level"] == 1 for e in auth)
    authfail = auth[8]
    assert authfail["module"] == "pam_faillock.so" and authfail["options"]["authfail"] is True
    assert authfail["control"] == "[default=die]" and authfail["enforcing"] is True
    assert authfail["bypassed_by"] == ["pam_unix.so", "pam_sss.so"]
    assert auth[1]["options"] == {
        "preauth": True,
        "silent": True,
        "audit": True,
        "deny": "5",
        "unlock_time": "900",
    }
    password = fact.data["services"]["sshd"]["password"]
    history = next(e for e in password if e["module"] == "pam_pwhistory.so")
    assert history["options"]["remember"] == "5" and history["enforcing"] is True
    assert history["included_from"] == "/etc/pam.d/sshd:7"
    systemd = next(e for e in fact.data["services"]["sshd"]["session"] if e["module"] == "pam_systemd.so")
    assert systemd["dash"] is True and systemd["optional"] is True
    sudo_auth = fact.data["services"]["sudo"]["auth"]
    assert [e["bypassed_by"] for e in sudo_auth] == [[], [], [], ["pam_unix.so"], ["pam_unix.so"]]


def test_done_in_substack_does_not_skip_parent() -> None:
    files = {
        "svc": "auth substack inner\nauth required pam_faillock.so authsucc\nauth [success=1 default=ignore] pam_a.so\nauth substack inner\nauth required pam_after.so\n",
        "inner": "auth sufficient pam_unix.so\nauth required pam_deny.so\n",
    }
    auth = parse_pam(reader(files), ["svc"]).data["services"]["svc"]["auth"]
    assert modules(auth) == [
        "pam_unix.so",
        "pam_deny.so",
        "pam_faillock.so",
        "pam_a.so",
        "pam_unix.so",
        "pam_deny.so",
        "pam_after.so",
    ]
    assert auth[1]["bypassed_by"] == ["pam_unix.so"]
    assert auth[2]["bypassed_by"] == []  # done only ends the substack
    # a jump counts a whole substack as one module: pam_a skips the second substack only
    assert auth[4]["bypassed_by"] == ["pam_a.so"] and auth[5]["bypassed_by"] == ["pam_a.so", "pam_unix.so"]
    assert auth[6]["bypassed_by"] == []


def test_include_jumps_count_included_lines() -> None:
    files = {
        "svc": "auth [success=2 default=ignore] pam_first.so\nauth include inc\nauth required pam_last.so\n",
        "inc": "auth required pam_x.so\nauth required pam_y.so\naccount required pam_acct.so\n",
    }
    data = parse_pam(reader(files), ["svc"]).data["services"]["svc"]
    assert modules(data["auth"]) == ["pam_first.so", "pam_x.so", "pam_y.so", "pam_last.so"]
    assert [e["bypassed_by"] for e in data["auth"]] == [[], ["pam_first.so"], ["pam_first.so"], []]
    assert data["account"] == []  # "include" takes only the including line's type


def test_ubuntu_pos_commented_2fa_and_jumps() -> None:
    fact = parse_pam(fixture("pam_ubuntu_pos"), ["sshd"])
    commented = fact.data["commented"]["sshd"]
    assert [(c["module"], c["type"], c["line"]) for c in commented] == [
        ("pam_google_authenticator.so", "auth", 4),
        ("pam_google_authenticator.so", "auth", 5),
        ("pam_access.so", "account", 11),
    ]
    assert fact.locations["commented/sshd/0"].excerpt == "#auth required pam_google_authenticator.so nullok"
    auth = fact.data["services"]["sshd"]["auth"]
    assert "pam_google_authenticator.so" not in modules(auth)
    bypass = {(e["module"], e["line"]): e["bypassed_by"] for e in auth}
    assert bypass[("pam_faillock.so", 6)] == ["pam_unix.so", "pam_sss.so"]
    assert bypass[("pam_deny.so", 7)] == ["pam_unix.so", "pam_sss.so"]
    assert bypass[("pam_faillock.so", 8)] == []
    assert bypass[("pam_permit.so", 9)] == ["pam_faillock.so"]
    env = next(e for e in fact.data["services"]["sshd"]["session"] if e["module"] == "pam_env.so")
    assert env["args"] == ["user_readenv=1", "envfile=/etc/default/locale"] and env["line"] == 18


def test_line_syntax_brackets_continuations_comments() -> None:
    text = (
        "auth required /lib/x86_64-linux-gnu/security/pam_exec.so quiet [cmd=/bin/echo a\\]b c] # trailing\n"
        "auth \\\n"
        "# a comment line inside a continuation is skipped\n"
        "  [success=ok default=bad] pam_mysql.so [query=select x from y where u='%u'] remember=3\n"
        "account Requried pam_unix.so\n"
        "session [success=ok bogus=1] pam_limits.so\n"
        "auth required pam_x.so arg#notanarg\n"
    )
    fact = parse_pam(reader({"svc": text}), ["svc"])
    auth = fact.data["services"]["svc"]["auth"]
    assert auth[0]["module"] == "pam_exec.so" and auth[0]["path"].startswith("/lib/")
    assert auth[0]["args"] == ["quiet", "cmd=/bin/echo a]b c"]
    assert auth[1]["line"] == 2 and auth[1]["control"] == "[success=ok default=bad]"
    assert auth[1]["options"] == {"query": "select x from y where u='%u'", "remember": "3"}
    assert auth[2]["args"] == ["arg"]
    typo = fact.data["services"]["svc"]["account"][0]
    assert typo["actions"] == {"default": "bad"} and typo["enforcing"] is True
    bad = fact.data["services"]["svc"]["session"][0]
    assert bad["actions"] == {"default": "bad"}
    assert any("unknown control" in w for w in fact.warnings)
    assert any("unparsable control" in w for w in fact.warnings)


def test_crlf_missing_include_and_recursion() -> None:
    files = {
        "crlf": "auth required pam_unix.so\r\n",
        "svc": "@include nowhere\nauth include loop\naccount required pam_unix.so\n",
        "loop": "auth include loop\n",
    }
    fact = parse_pam(reader(files), ["crlf", "svc"])
    assert fact.data["services"]["crlf"]["auth"][0]["module"] == "pam_unix.so"
    assert any("CRLF" in w for w in fact.warnings)
    reasons = [e["reason"] for e in fact.data["errors"]]
    assert any("nowhere" in r and "always-failing" in r for r in reasons)
    assert any("nested 16 deep" in r for r in reasons)
    assert modules(fact.data["services"]["svc"]["account"]) == ["pam_unix.so"]


def test_custom_pam_dir() -> None:
    files = {"/srv/repo/pam.d/sshd": "auth required pam_unix.so\n"}
    fact = parse_pam(files.get, ["sshd"], pam_dir="/srv/repo/pam.d/")
    assert fact.data["services"]["sshd"]["auth"][0]["source"] == "/srv/repo/pam.d/sshd"


@pytest.mark.parametrize("seed", range(5))
def test_hostile_input_never_raises(seed: int) -> None:
    rng = random.Random(seed)
    words = [
        "auth",
        "-auth",
        "@include",
        "include",
        "substack",
        "[",
        "]",
        "\\",
        "#",
        "x",
        "[success=1",
        "default=die]",
        "\x00",
        "\r",
        "svc",
    ]
    text = "\n".join(" ".join(rng.choice(words) for _ in range(rng.randrange(0, 7))) for _ in range(300))
    garbage = "".join(chr(rng.randrange(0, 0xD7FF)) for _ in range(3000))
    fact = parse_pam(reader({"svc": text, "junk": garbage}), ["svc", "junk"])
    json.dumps(fact.data)
    assert isinstance(fact.warnings, list)
