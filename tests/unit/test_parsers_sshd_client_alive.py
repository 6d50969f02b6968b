"""The sshd probe's derived ``client_alive_timeout_seconds`` (checks cannot multiply)."""

from __future__ import annotations

from pathlib import Path

import pytest
from probe_helpers import parse

from hardencheck.facts.probes.sshd import SshdProbe

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("interval", "count", "expected"), [("300", "3", 900), ("300", "1", 300), ("0", "3", 0),
                                                             ("15m", "2", 1800), ("60", "0", 0)])
def test_from_the_config_files(interval: str, count: str, expected: int) -> None:
    conf = f"ClientAliveInterval {interval}\nClientAliveCountMax {count}\n"
    fact = parse(SshdProbe(), {"/etc/ssh/sshd_config": conf}, host=False)
    assert fact.data["client_alive_timeout_seconds"] == expected
    assert fact.locations["client_alive_timeout_seconds"].line == 1


def test_defaults_give_no_timeout_and_sshd_t_values_are_used() -> None:
    fact = parse(SshdProbe(), {"/etc/ssh/sshd_config": "Port 22\n"}, host=False)
    assert fact.data["client_alive_timeout_seconds"] == 0  # OpenSSH default interval 0: never
    sshd_t = (DATA / "sshd_T_defaults.txt").read_text()
    sshd_t = sshd_t.replace("clientaliveinterval 0", "clientaliveinterval 120")
    fact = parse(SshdProbe(), {"/etc/ssh/sshd_config": "ClientAliveInterval 120\n"}, {"sshd_t": sshd_t})
    assert fact.data["effective_source"] == "sshd -T"
    assert fact.data["client_alive_timeout_seconds"] == 360
    assert fact.locations["client_alive_timeout_seconds"].source == "/etc/ssh/sshd_config"


def test_unparsable_value_leaves_it_unset() -> None:
    fact = parse(SshdProbe(), {"/etc/ssh/sshd_config": "ClientAliveInterval soon\n"}, host=False)
    assert "client_alive_timeout_seconds" not in fact.data
