"""Waivers: validation with file:line, bare YAML dates, host globs, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from core_helpers import write

from hardencheck.checks.yamlsource import SourceErrorList
from hardencheck.waivers import Waiver, find_waiver, load_waivers

GOOD = """
    waivers:
      - check: ssh-permit-root-login
        hosts: ["pos-*", "db1"]
        justification: |
          Vendor support requires root login until the migration.
        expires: 2030-01-31
        approved_by: CISO
        ticket: SEC-1
      - check: "accounts-*"
        hosts: "*.example.com"
        justification: Legacy accounts pending clean-up project.
        expires: "2020-05-01"
    """


def _errors(tmp_path, text):
    path = write(tmp_path, "waivers.yaml", text)
    with pytest.raises(SourceErrorList) as info:
        load_waivers(path)
    return path, info.value.errors


def test_load_valid_waivers_with_bare_and_quoted_dates(tmp_path):
    path = write(tmp_path, "waivers.yaml", GOOD)
    first, second = load_waivers(path)
    assert first == Waiver("ssh-permit-root-login", ("pos-*", "db1"),
                           "Vendor support requires root login until the migration.", dt.date(2030, 1, 31),
                           "CISO", "SEC-1", f"{path}:2")
    assert second.hosts == ("*.example.com",)
    assert second.expires == dt.date(2020, 5, 1)
    assert (second.approved_by, second.ticket, second.source) == ("", "", f"{path}:9")


def test_missing_justification(tmp_path):
    path, errors = _errors(tmp_path, """
        waivers:
          - check: ssh-permit-root-login
            hosts: [pos-1]
            expires: 2030-01-31
        """)
    assert [(e.file, e.line, e.key, e.message) for e in errors] == [
        (str(path), 2, "waivers.0", "'justification' is a required property")]


def test_too_short_justification(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: ssh-permit-root-login
            hosts: [pos-1]
            justification: ok
            expires: 2030-01-31
        """)
    assert [(e.line, e.key) for e in errors] == [(4, "waivers.0.justification")]


def test_missing_expiry(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: ssh-permit-root-login
            hosts: [pos-1]
            justification: Vendor support requires root login.
          - check: ssh-weak-ciphers
            hosts: [pos-1]
            justification: Vendor support requires root login.
        """)
    assert [(e.line, e.key, e.message) for e in errors] == [
        (2, "waivers.0", "'expires' is a required property"),
        (5, "waivers.1", "'expires' is a required property")]


@pytest.mark.parametrize("value", ["next year", "31/01/2030", "2030-1-31"])
def test_expiry_that_is_not_an_iso_date(tmp_path, value):
    _, errors = _errors(tmp_path, f"""
        waivers:
          - check: ssh-weak-ciphers
            hosts: pos-1
            justification: Vendor support requires this setting.
            expires: "{value}"
        """)
    assert [(e.line, e.key) for e in errors] == [(5, "waivers.0.expires")]


def test_quoted_impossible_date(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: ssh-weak-ciphers
            hosts: pos-1
            justification: Vendor support requires this setting.
            expires: "2030-02-30"
        """)
    assert [(e.line, e.key, e.message) for e in errors] == [(5, "waivers.0.expires", "not a date: '2030-02-30'")]


def test_bare_impossible_date_is_a_located_error(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: ssh-weak-ciphers
            hosts: pos-1
            justification: Vendor support requires this setting.
            expires: 2030-02-30
        """)
    assert (errors[0].line, errors[0].key) == (5, "waivers.0.expires")


def test_bare_datetime_is_rejected_with_its_line(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: ssh-weak-ciphers
            hosts: pos-1
            justification: Vendor support requires this setting.
            expires: 2030-01-31 12:00:00
        """)
    assert [(e.line, e.key) for e in errors] == [(5, "waivers.0.expires")]


def test_unknown_key_and_missing_top_level(tmp_path):
    _, errors = _errors(tmp_path, "waiver: []\n")
    assert sorted((e.line, e.key, e.message) for e in errors) == [
        (1, "(top level)", "'waivers' is a required property"),
        (1, "waiver", "unknown key (did you mean 'waivers'?)"),
    ]


def test_every_error_of_the_file_is_reported(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: a
            hosts: [h]
            expires: 2030-01-31
          - check: b
            hosts: [h]
            justification: long enough reason here
          - check: c
            hosts: [h]
            justification: long enough reason here
            expires: soon
        """)
    assert [e.key for e in errors] == ["waivers.0", "waivers.1", "waivers.2.expires"]


WAIVERS = [
    Waiver("ssh-permit-root-login", ("pos-*",), "Vendor support needs it until Q3.", dt.date(2030, 1, 31)),
    Waiver("ssh-*", ("db?",), "Database hosts reviewed separately.", dt.date(2030, 6, 1)),
    Waiver("accounts-uid0-only-root", ("*.store.example.com",), "Known service account.", dt.date(2020, 1, 1)),
]


@pytest.mark.parametrize(("check", "hosts", "index"), [
    ("ssh-permit-root-login", ["pos-12"], 0),
    ("ssh-permit-root-login", ["10.0.0.5", "pos-01"], 0),
    ("ssh-permit-root-login", ["db1"], 1),
    ("ssh-weak-ciphers", ["db2"], 1),
    ("ssh-weak-ciphers", ["db12"], None),
    ("ssh-weak-ciphers", ["pos-12"], None),
    ("accounts-uid0-only-root", ["till1.store.example.com"], 2),
    ("accounts-uid0-only-root", ["store.example.com"], None),
    ("ssh-permit-root-login", ["POS-12"], None),
])
def test_find_waiver_with_host_globs(check, hosts, index):
    found = find_waiver(WAIVERS, check, hosts)
    assert found is (None if index is None else WAIVERS[index])


def test_unexpired_waiver_wins_over_an_expired_one():
    old = Waiver("ssh-*", ("pos-*",), "An old justification.", dt.date(2020, 1, 1))
    new = Waiver("ssh-*", ("pos-1",), "A new justification.", dt.date(2031, 1, 1))
    assert find_waiver([old, new], "ssh-x", ["pos-1"]) is new
    assert find_waiver([new, old], "ssh-x", ["pos-1"]) is new


def test_expired_matching_waiver_is_still_returned():
    only = WAIVERS[2]
    assert find_waiver([only], "accounts-uid0-only-root", ["a.store.example.com"]) is only


def test_expired_is_strictly_after_the_expiry_date():
    w = WAIVERS[0]
    assert w.expired(dt.date(2030, 1, 30)) is False
    assert w.expired(dt.date(2030, 1, 31)) is False
    assert w.expired(dt.date(2030, 2, 1)) is True


def test_to_dict_flags_expiry():
    d = WAIVERS[2].to_dict(dt.date(2024, 5, 1))
    assert d == {"check": "accounts-uid0-only-root", "hosts": ["*.store.example.com"],
                 "justification": "Known service account.", "expires": "2020-01-01", "approved_by": "",
                 "ticket": "", "expired": True, "source": ""}


def test_empty_hosts_list_reports_the_list_branch(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: a
            hosts: []
            justification: long enough reason here
            expires: 2030-01-31
        """)
    assert [(e.line, e.key, e.message) for e in errors] == [(3, "waivers.0.hosts", "[] should be non-empty")]


def test_bad_dates_are_reported_alongside_schema_errors(tmp_path):
    _, errors = _errors(tmp_path, """
        waivers:
          - check: a
            hosts: [h]
            expires: 2030-01-31
          - check: b
            hosts: [h]
            justification: long enough reason here
            expires: 2030-02-30
        """)
    assert [(e.line, e.key) for e in errors] == [(2, "waivers.0"), (8, "waivers.1.expires")]
    assert errors[1].message == "not a date: '2030-02-30'"
