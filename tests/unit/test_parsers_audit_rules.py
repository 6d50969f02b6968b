"""Audit rules as augenrules loads them, summarised into what PCI DSS 10.2 asks to be recorded."""

from __future__ import annotations

import pytest
from probe_helpers import parse

from hardencheck.facts.parsers.audit_rules import parse_audit_rules
from hardencheck.facts.probes.audit_rules import AuditRulesProbe

CIS = """\
## First rule - delete all
-D
-b 8192
--backlog_wait_time 60000
-f 1
-w /var/log/lastlog -p wa -k logins
-w /var/run/faillock -p wa -k logins
-w /etc/sudoers -p wa -k scope
-w /etc/sudoers.d -p wa -k scope
-a always,exit -F arch=b64 -C euid!=uid -F auid!=unset -S execve -k user_emulation
-a exit,always -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged
-e 2
"""


def test_cis_style_rules_cover_logins_sudoers_and_privilege() -> None:
    fact = parse_audit_rules([("/etc/audit/rules.d/50-pci.rules", CIS)])
    assert fact.data["covers"] == {"logins": True, "sudoers": True, "privileged_exec": True}
    assert fact.data["immutable"] is True and fact.data["syscall_rules"] == 2
    assert fact.data["watches"]["/etc/sudoers.d"] == {"perms": "wa", "key": "scope",
                                                      "source": "/etc/audit/rules.d/50-pci.rules", "line": 9}
    assert fact.locations["covers/logins"].line == 6
    assert fact.locations["covers/privileged_exec"].excerpt.startswith("-a always,exit")
    sudo = fact.data["rules"][-2]
    assert (sudo["action"], sudo["list"], sudo["key"]) == ("always", "exit", "privileged")
    assert {"name": "auid", "op": ">=", "value": "1000", "flag": "-F"} in sudo["fields"]


@pytest.mark.parametrize(("rules", "covers"), [
    ("-w /var/log/lastlog -p r -k logins\n", {"logins": False}),  # reads only: a login writes
    ("-a never,exit -F path=/usr/bin/sudo -F perm=x\n", {"privileged_exec": False}),
    ("-a always,exit -F arch=b64 -S execve -F euid=0 -k rootcmd\n", {"privileged_exec": True}),
    ("-a always,exit -F arch=b64 -S open,execve -k all\n", {"privileged_exec": False}),
    ("-w /usr/bin/sudo -p x -k priv\n", {"privileged_exec": True}),
    ("-a always,exit -F dir=/etc/sudoers.d/ -F perm=wa -k scope\n", {"sudoers": True}),
    ("-w /run/faillock/ -p wa\n", {"logins": True}),
])
def test_what_counts(rules: str, covers: dict[str, bool]) -> None:
    fact = parse_audit_rules([("/etc/audit/audit.rules", rules)])
    for key, value in covers.items():
        assert fact.data["covers"][key] is value


def test_a_later_delete_all_drops_earlier_rules() -> None:
    fact = parse_audit_rules([("/etc/audit/rules.d/10-a.rules", "-w /var/log/lastlog -p wa -k logins\n"),
                              ("/etc/audit/rules.d/20-b.rules", "-D\n-b 320\n")])
    assert fact.data["covers"]["logins"] is False
    assert any("-D deletes the 1 rule" in w for w in fact.warnings)


def test_garbage_quotes_and_comments() -> None:
    fact = parse_audit_rules([("/etc/audit/audit.rules",
                               ('just words\n-w "/var/log/lastlog -p wa\n-w\n# -w /etc/sudoers -p wa\n'
                               "-w /etc/sudoers -p wa -k scope # trailing comment\n"))])
    assert fact.data["covers"]["sudoers"] is True
    assert any("unbalanced quotes" in w for w in fact.warnings)
    assert any("not an audit rule" in w for w in fact.warnings)
    assert any("watch without a path" in w for w in fact.warnings)


def test_probe_prefers_rules_d_and_is_not_applicable_on_an_unmanaged_repository() -> None:
    files = {"/etc/audit/rules.d/50-pci.rules": CIS, "/etc/audit/audit.rules": "-D\n"}
    fact = parse(AuditRulesProbe(), files)
    assert fact.data["origin"] == "rules.d (augenrules)" and fact.data["covers"]["logins"]
    fact = parse(AuditRulesProbe(), {"/etc/audit/audit.rules": "-w /etc/sudoers -p wa\n"})
    assert fact.data["origin"] == "/etc/audit/audit.rules" and fact.data["covers"]["sudoers"]
    empty = parse(AuditRulesProbe(), {})  # a host without rules: a finding, not missing data
    assert empty.data["rules"] == [] and empty.data["covers"]["logins"] is False
    from hardencheck.facts.base import FactUnavailable

    with pytest.raises(FactUnavailable) as exc:
        parse(AuditRulesProbe(), {}, host=False)
    assert exc.value.not_applicable
