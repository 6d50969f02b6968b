"""sudoers: one rule per command with the tags in force, aliases expanded, includes followed like sudo 1.9."""

from __future__ import annotations

import random

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.parsers.sudoers import parse_sudoers
from hardencheck.facts.probes.sudoers import SudoersProbe

DEBIAN_SUDOERS = """\
#
# This file MUST be edited with the 'visudo' command as root.
#
Defaults\tenv_reset
Defaults\tmail_badpass
Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults\tuse_pty

# User privilege specification
root\tALL=(ALL:ALL) ALL

# Allow members of group sudo to execute any command
%sudo\tALL=(ALL:ALL) ALL

# See sudoers(5) for more information on "@include" directives:

@includedir /etc/sudoers.d
"""


def run(files: dict[str, str], dirs: dict[str, list[str]] | None = None):
    listing = dirs if dirs is not None else {}
    return parse_sudoers(files.get, listing.get)


def rules(fact) -> list[tuple[list[str], str, list[str]]]:
    return [(r["users"], r["command"], r["tags"]) for r in fact.data["rules"]]


def test_stock_debian_sudoers_needs_passwords() -> None:
    fact = run({"/etc/sudoers": DEBIAN_SUDOERS}, {"/etc/sudoers.d": []})
    assert rules(fact) == [(["root"], "ALL", []), (["%sudo"], "ALL", [])]
    assert fact.data["rules"][1]["runas"] == "(ALL:ALL)"  # the ':' inside Runas is not a host separator
    assert fact.data["nopasswd_rules"] == 0
    assert fact.data["timestamp_timeout"] is None and fact.data["authenticate"] is True
    assert fact.data["includes"] == [{"directive": "includedir", "target": "/etc/sudoers.d",
                                      "source": "/etc/sudoers", "line": 17, "followed": True}]
    assert fact.locations["rules/1"].line == 13 and fact.locations["rules/1"].excerpt.startswith("%sudo")


def test_tags_carry_to_later_commands_until_overridden_and_reset_per_host_group() -> None:
    text = "alice ALL = (root) NOPASSWD: /bin/a, /bin/b, PASSWD: /bin/c, /bin/d : db01 = /bin/e\n"
    fact = run({"/etc/sudoers": text})
    assert [(r["command"], r["nopasswd"], r["hosts"]) for r in fact.data["rules"]] == [
        ("/bin/a", True, ["ALL"]), ("/bin/b", True, ["ALL"]), ("/bin/c", False, ["ALL"]),
        ("/bin/d", False, ["ALL"]), ("/bin/e", False, ["db01"])]
    assert fact.data["rules"][1]["runas"] == "(root)" and fact.data["rules"][4]["runas"] is None


def test_several_tags_options_and_runas_lists() -> None:
    text = "bob ALL = (alice, carol : staff) CWD=/srv NOEXEC: NOPASSWD: SETENV: /usr/bin/less /var/log/*\n"
    (rule,) = run({"/etc/sudoers": text}).data["rules"]
    assert rule["runas"] == "(alice, carol : staff)"
    assert rule["options"] == {"CWD": "/srv"}
    assert rule["tags"] == ["NOEXEC", "NOPASSWD", "SETENV"] and rule["nopasswd"] is True
    assert rule["command"] == "/usr/bin/less /var/log/*"


def test_aliases_are_expanded_so_nopasswd_all_cannot_hide() -> None:
    text = ("User_Alias ADMINS = jdoe, %wheel : OPS = kim\n"
            "Cmnd_Alias EVERYTHING = ALL\nCmnd_Alias SHELLS = /bin/sh, /bin/bash\n"
            "ADMINS, OPS ALL=(ALL) NOPASSWD: EVERYTHING, !SHELLS\n")
    fact = run({"/etc/sudoers": text})
    assert rules(fact) == [(["jdoe", "%wheel", "kim"], "ALL", ["NOPASSWD"]),
                           (["jdoe", "%wheel", "kim"], "!/bin/sh", ["NOPASSWD"]),
                           (["jdoe", "%wheel", "kim"], "!/bin/bash", ["NOPASSWD"])]
    assert fact.data["rules"][0]["command_alias"] == "EVERYTHING"
    assert fact.data["rules"][0]["users_written"] == ["ADMINS", "OPS"]


def test_defaults_scopes_values_and_negation() -> None:
    text = ('Defaults:%sudo timestamp_timeout=-1, !lecture\nDefaults@pos01 !authenticate\n'
            'Defaults>root !set_logname\nDefaults!/usr/bin/less noexec\nDefaults env_keep += "LANG LC_*"\n'
            "Defaults timestamp_timeout=2.5\n")
    d = run({"/etc/sudoers": text}).data
    seen = [(x["name"], x["scope"], x["binding"], x["value"], x["negated"]) for x in d["defaults"]]
    assert seen == [("timestamp_timeout", "user", "%sudo", -1, False), ("lecture", "user", "%sudo", None, True),
                    ("authenticate", "host", "pos01", None, True), ("set_logname", "runas", "root", None, True),
                    ("noexec", "command", "/usr/bin/less", None, False), ("env_keep", "global", None, "LANG LC_*", False),
                    ("timestamp_timeout", "global", None, 2.5, False)]
    assert d["defaults"][5]["operator"] == "+="
    assert d["timestamp_timeout"] == 2.5  # the global one; the %sudo one stays in "defaults"
    assert d["authenticate"] is True  # !authenticate above is host-scoped


def test_includedir_skips_dotted_and_backup_names_and_reads_in_order() -> None:
    files = {"/etc/sudoers": "@includedir /etc/sudoers.d\nDefaults timestamp_timeout=5\n",
             "/etc/sudoers.d/20-b": "Defaults timestamp_timeout=-1\n",
             "/etc/sudoers.d/10-a": "alice ALL=(ALL) NOPASSWD: ALL\n",
             "/etc/sudoers.d/old.conf": "mallory ALL=(ALL) NOPASSWD: ALL\n",
             "/etc/sudoers.d/10-a~": "eve ALL=(ALL) NOPASSWD: ALL\n"}
    fact = run(files, {"/etc/sudoers.d": ["20-b", "10-a", "old.conf", "10-a~"]})
    assert fact.data["files"] == ["/etc/sudoers", "/etc/sudoers.d/10-a", "/etc/sudoers.d/20-b"]
    assert [r["users"] for r in fact.data["rules"]] == [["alice"]]
    assert fact.data["timestamp_timeout"] == 5  # the main file's line after the include wins
    assert any("old.conf" in w and "ignored by sudo" in w for w in fact.warnings)


def test_include_relative_legacy_hash_form_loops_and_uncollected_folders() -> None:
    files = {"/etc/sudoers": "#include sudoers.local\n#includedir /etc/sudoers.extra\nroot ALL=(ALL) ALL\n",
             "/etc/sudoers.local": "#include /etc/sudoers\nbob ALL=(ALL) ALL\n"}
    fact = run(files, {})
    assert [i["followed"] for i in fact.data["includes"]] == [True, False, False]
    assert fact.data["includes"][0]["target"] == "/etc/sudoers.local"
    assert any("include loop" in w for w in fact.warnings)
    assert any("/etc/sudoers.extra" in w and "not collected" in w for w in fact.warnings)
    assert [r["users"] for r in fact.data["rules"]] == [["bob"], ["root"]]


def test_continuations_comments_uids_and_escapes() -> None:
    text = ("#1000 ALL = /usr/bin/id # trailing comment\n"
            "User_Alias OPS = ann, \\\n    ben\n"
            "OPS ALL = NOPASSWD: /usr/bin/printf a\\,b, /usr/bin/true\n")
    fact = run({"/etc/sudoers": text})
    assert rules(fact) == [(["#1000"], "/usr/bin/id", []), (["ann", "ben"], "/usr/bin/printf a\\,b", ["NOPASSWD"]),
                           (["ann", "ben"], "/usr/bin/true", ["NOPASSWD"])]
    assert fact.locations["rules/1"].line == 4


def test_crlf_and_hostile_input_never_raise() -> None:
    fact = run({"/etc/sudoers": "root ALL=(ALL) ALL\r\n%sudo ALL=(ALL) NOPASSWD: ALL\r\n"})
    assert [r["command"] for r in fact.data["rules"]] == ["ALL", "ALL"]
    rng = random.Random(7)
    for _ in range(200):
        junk = "".join(rng.choice("()=:,!\\\"#@%ALNOPSWD \n\t\x00\x1b") for _ in range(rng.randint(0, 120)))
        run({"/etc/sudoers": junk}, {"/etc/sudoers.d": []})


def test_probe_missing_sudoers_is_not_applicable_and_unreadable_dropin_is_an_error() -> None:
    with pytest.raises(FactUnavailable) as missing:
        parse(SudoersProbe(), {})
    assert missing.value.not_applicable
    with pytest.raises(FactUnavailable) as unreadable:
        parse(SudoersProbe(), {"/etc/sudoers": DEBIAN_SUDOERS, "/etc/sudoers.d/90-vendor": None})
    assert "90-vendor" in unreadable.value.reason and not unreadable.value.not_applicable


def test_probe_reads_dropins_and_extra_include_dirs() -> None:
    files = {"/etc/sudoers": DEBIAN_SUDOERS + "@includedir /opt/pos/sudoers.d\n",
             "/etc/sudoers.d/90-vendor": "support ALL=(ALL) NOPASSWD: ALL\n",
             "/opt/pos/sudoers.d/pos": "pos ALL=(root) NOPASSWD: /usr/bin/systemctl restart pos\n"}
    fact = parse(SudoersProbe(), files, options={"include_dirs": ["/opt/pos/sudoers.d"]})
    assert [r["users"][0] for r in fact.data["rules"]] == ["root", "%sudo", "support", "pos"]
    assert fact.data["nopasswd_rules"] == 2
