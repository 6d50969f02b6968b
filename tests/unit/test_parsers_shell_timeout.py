"""TMOUT in /etc/profile, /etc/profile.d/*.sh and bash.bashrc: the value in force and whether it is readonly."""

from __future__ import annotations

import pytest
from probe_helpers import parse

from hardencheck.facts.base import FactUnavailable
from hardencheck.facts.parsers.shell_timeout import parse_shell_timeout
from hardencheck.facts.probes.shell_timeout import ShellTimeoutProbe


@pytest.mark.parametrize(("text", "seconds", "readonly"), [
    ("TMOUT=900\nreadonly TMOUT\nexport TMOUT\n", 900, True),
    ("readonly TMOUT=600\n", 600, True),
    ("declare -xr TMOUT=300\n", 300, True),
    ("typeset -r TMOUT=450\n", 450, True),
    ("export TMOUT=600\n", 600, False),
    ("TMOUT='900'; readonly TMOUT; export TMOUT\n", 900, True),
    ('if [ -n "$PS1" ]; then TMOUT=900; readonly TMOUT; fi\n', 900, True),
    ("# TMOUT=60\nexport  EDITOR=vi\n", None, False),
    ("TMOUT=$IDLE\n", None, False),
    ("TMOUT=900\r\nreadonly TMOUT\r\n", 900, True),
])
def test_single_file(text: str, seconds: int | None, readonly: bool) -> None:
    fact = parse_shell_timeout([("/etc/profile.d/tmout.sh", text)])
    assert (fact.data["effective_seconds"], fact.data["readonly"]) == (seconds, readonly)


def test_readonly_freezes_the_value_for_later_files() -> None:
    fact = parse_shell_timeout([("/etc/bash.bashrc", "TMOUT=3600\n"), ("/etc/profile", "TMOUT=600\nreadonly TMOUT\n"),
                                ("/etc/profile.d/z.sh", "TMOUT=0\n")])
    assert fact.data["effective_seconds"] == 600 and fact.data["max_assigned_seconds"] == 3600
    assert fact.locations["effective_seconds"].source == "/etc/profile"
    assert fact.locations["readonly"].line == 2
    assert [a["value"] for a in fact.data["assignments"]] == [3600, 600, 0]


def test_a_later_file_can_undo_a_value_that_is_not_readonly() -> None:
    fact = parse_shell_timeout([("/etc/profile", "export TMOUT=900\n"), ("/etc/profile.d/pos.sh", "export TMOUT=0\n")])
    assert fact.data["effective_seconds"] == 0 and fact.data["readonly"] is False
    assert fact.locations["effective_seconds"].excerpt == "export TMOUT=0"


def test_probe_reads_profile_d_in_order_and_needs_one_file() -> None:
    files = {"/etc/profile": "# nothing\n", "/etc/profile.d/b.sh": "TMOUT=300\n", "/etc/profile.d/a.sh": "TMOUT=900\n",
             "/etc/profile.d/readme.txt": "TMOUT=1\n"}
    fact = parse(ShellTimeoutProbe(), files)
    assert fact.data["files"] == ["/etc/profile", "/etc/profile.d/a.sh", "/etc/profile.d/b.sh"]
    assert fact.data["effective_seconds"] == 300
    with pytest.raises(FactUnavailable):
        parse(ShellTimeoutProbe(), {})
    with pytest.raises(FactUnavailable, match="unreadable"):
        parse(ShellTimeoutProbe(), {"/etc/profile": None})
