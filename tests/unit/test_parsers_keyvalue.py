"""login.defs / pwquality.conf / faillock.conf parsing, on real Debian 12 files and hostile input."""

from __future__ import annotations

import random
from pathlib import Path

from hardencheck.facts.parsers.keyvalue import parse_keyvalue

DATA = Path(__file__).parent / "data"


def test_real_login_defs_values_and_locations() -> None:
    fact = parse_keyvalue((DATA / "login_defs_debian12.txt").read_text(), "/etc/login.defs")
    assert fact.data["PASS_MAX_DAYS"] == "99999"
    assert fact.data["UMASK"] == "022"
    assert fact.data["ENCRYPT_METHOD"] == "SHA512"
    assert fact.data["ENV_PATH"] == "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
    assert fact.locations["PASS_MAX_DAYS"].line == 165
    assert fact.locations["PASS_MAX_DAYS"].excerpt == "PASS_MAX_DAYS 99999"
    assert fact.locations["UMASK"].source == "/etc/login.defs"
    assert "PASS_MIN_LEN" not in fact.data  # only present commented out
    assert fact.warnings == []


def test_real_faillock_conf_is_all_comments() -> None:
    fact = parse_keyvalue(
        (DATA / "faillock_conf_debian12.txt").read_text(), "/etc/security/faillock.conf", separator="="
    )
    assert fact.data == {}
    assert fact.warnings == []


def test_equals_style_bare_keys_and_inline_comments() -> None:
    text = "# hardened\ndeny = 3\neven_deny_root\nunlock_time=0   # never unlock\n  fail_interval =900\nadmin_group = wheel\n"
    fact = parse_keyvalue(text, "/etc/security/faillock.conf", separator="=")
    assert fact.data == {
        "deny": "3",
        "even_deny_root": "",
        "unlock_time": "0",
        "fail_interval": "900",
        "admin_group": "wheel",
    }
    assert fact.locations["even_deny_root"].line == 3
    assert fact.locations["unlock_time"].excerpt == "unlock_time=0   # never unlock"


def test_duplicate_last_wins_with_warning_naming_both_lines() -> None:
    text = "PASS_MAX_DAYS 90\nUMASK 027\nPASS_MAX_DAYS 99999\n"
    fact = parse_keyvalue(text, "/etc/login.defs")
    assert fact.data["PASS_MAX_DAYS"] == "99999"
    assert fact.locations["PASS_MAX_DAYS"].line == 3
    assert any("line 1" in w and "line 3" in w and "line 3 wins" in w for w in fact.warnings)


def test_duplicate_first_wins_when_asked() -> None:
    fact = parse_keyvalue(
        "minlen = 14\nminlen = 8\n", "/etc/security/pwquality.conf", separator="=", first_wins=True
    )
    assert fact.data["minlen"] == "14"
    assert fact.locations["minlen"].line == 1
    assert any("line 1 wins" in w for w in fact.warnings)


def test_crlf_quotes_and_lowercase_keys() -> None:
    fact = parse_keyvalue(
        'ENCRYPT_METHOD "YESCRYPT"\r\nPass_Max_Days\t60\r\n', "/etc/login.defs", lowercase_keys=True
    )
    assert fact.data == {"encrypt_method": "YESCRYPT", "pass_max_days": "60"}


def test_html_and_script_values_stay_plain_text() -> None:
    fact = parse_keyvalue(
        "badwords = <script>alert(1)</script>\n", "/etc/security/pwquality.conf", separator="="
    )
    assert fact.data["badwords"] == "<script>alert(1)</script>"


def test_binary_garbage_nul_and_ansi_do_not_raise() -> None:
    rng = random.Random(7)
    garbage = "".join(chr(rng.randrange(0, 0x2FF)) for _ in range(5000))
    text = "UMASK 077\x00 trailing junk\n" + garbage + "\n\x1b[31mRED\x1b[0m 1\n" + "A" * 70000 + "\n"
    fact = parse_keyvalue(text, "/etc/login.defs")
    assert fact.data["UMASK"] == "077"
    assert any("NUL byte" in w for w in fact.warnings)
    assert any("70000 characters skipped" in w for w in fact.warnings)
    for location in fact.locations.values():
        assert "\x1b" not in location.excerpt and "\x00" not in location.excerpt
    assert len(fact.warnings) <= 201
