"""The last redaction pass: crypt hashes and card numbers never leave; other digits are left alone."""

from __future__ import annotations

import hashlib

import pytest

from hardencheck.results.redact import luhn_ok, mask_pan, redact, redact_text, terminal_safe

HASHES = {
    "md5": "$1$abcdefgh$ABCDEFGHIJKLMNOPQRSTUV",
    "sha256": "$5$rounds=5000$saltsaltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
    "sha512": "$6$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ./abcdefghijklmnopqrstuvwxyz01234567",
    "yescrypt": "$y$j9T$F5Jx5fExrKuJdUYFYuqiw.$dBu3pp5jj4iNgz3JSWKETUsXG3W2RhfNnpUsjadyrY2",
    "bcrypt": "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
}


@pytest.mark.parametrize("algo", sorted(HASHES))
def test_crypt_hashes_are_redacted(algo):
    h = HASHES[algo]
    assert redact_text(h) == "<redacted:hash>"
    assert redact_text(f"alice:{h}:19000:0:99999:7:::") == "alice:<redacted:hash>:19000:0:99999:7:::"
    assert redact_text(f"bob:!{h}:19000::::::") == "bob:!<redacted:hash>:19000::::::"


@pytest.mark.parametrize("text", ["price $5 and $6 total", "PATH=$HOME/bin", "$6$short", "root:*:19000::::::",
                                  "root:!:19000::::::", "echo $1$2"])
def test_dollar_text_that_is_not_a_hash_is_kept(text):
    assert redact_text(text) == text


@pytest.mark.parametrize(("text", "masked"), [
    ("4111111111111111", "411111******1111"),
    ("card 4111 1111 1111 1111 end", "card 411111******1111 end"),
    ("4111-1111-1111-1111", "411111******1111"),
    ("5555555555554444", "555555******4444"),
    ("378282246310005", "378282*****0005"),
    ("6011111111111117", "601111******1117"),
    ("pan=4111111111111111;", "pan=411111******1111;"),
    ("a 4111111111111111 and 5555555555554444", "a 411111******1111 and 555555******4444"),
])
def test_luhn_valid_pans_are_masked_to_first6_last4(text, masked):
    assert redact_text(text) == masked


@pytest.mark.parametrize("text", [
    "4111111111111112",
    "4111 1111 1111 1112",
    "date 2024-01-15",
    "2024-01-15T12:30:45Z",
    "20240115123456",
    "version 3.0.11-1~deb12u2",
    "openssl 1.1.1w-0+deb11u1",
    "kernel 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "uid 1234567812345670x",
    "41111111111111111111111",
    "411111111111",
    "1234567812345670",
])
def test_other_digit_runs_are_untouched(text):
    assert redact_text(text) == text


def test_sha256_with_a_luhn_valid_digit_run_is_untouched():
    digest = hashlib.sha256(b"338").hexdigest()
    assert "62344095936793400" in digest  # a 17-digit run starting with 6 that passes Luhn
    assert redact_text(digest) == digest


def test_luhn_and_mask_helpers():
    assert luhn_ok("4111111111111111") is True
    assert luhn_ok("4111111111111112") is False
    assert luhn_ok("79927398713") is True
    assert mask_pan("4111111111111111") == "411111******1111"
    assert mask_pan("4111111111111111111") == "411111*********1111"


def test_redact_walks_json_values_keys_included():
    value = {
        HASHES["sha512"]: ["4111111111111111", 5, None, True, ("x", HASHES["md5"])],
        "nested": {"k": "card 4111-1111-1111-1111"},
        7: "plain",
    }
    assert redact(value) == {
        "<redacted:hash>": ["411111******1111", 5, None, True, ["x", "<redacted:hash>"]],
        "nested": {"k": "card 411111******1111"},
        7: "plain",
    }


@pytest.mark.parametrize(("text", "safe"), [
    ("red \x1b[31mX\x1b[0m", "red \\x1b[31mX\\x1b[0m"),
    ("bell\x07", "bell\\x07"),
    ("nul\x00", "nul\\x00"),
    ("cr\roverwrite", "cr\\x0doverwrite"),
    ("del\x7f", "del\\x7f"),
    ("csi\x9b2J", "csi\\x9b2J"),
    ("keep\nnewline\tand tab", "keep\nnewline\tand tab"),
    ("unicode é ✓", "unicode é ✓"),
])
def test_terminal_safe_escapes_control_characters(text, safe):
    assert terminal_safe(text) == safe


def test_terminal_safe_caps_length():
    assert terminal_safe("a" * 500) == "a" * 500
    assert terminal_safe("a" * 501) == "a" * 500 + "…"
    assert terminal_safe("ab" * 10, limit=5) == "ababa…"


@pytest.mark.parametrize(("text", "masked"), [
    ("card=4111 1111 1111 1111;", "card=411111******1111;"),
    ("pan:4111111111111111\n", "pan:411111******1111\n"),
    ("[4111-1111-1111-1111]", "[411111******1111]"),
])
def test_pans_in_ordinary_text_are_still_masked(text, masked):
    assert redact_text(text) == masked


@pytest.mark.parametrize("text", ["ab4111111111111111" + "0" * 14, "sha256:" + "e" * 16 + "4111111111111111",
                                  "4111111111111111" + "Ff" * 8])
def test_digit_runs_inside_hash_length_hex_are_not_card_numbers(text):
    assert redact_text(text) == text


@pytest.mark.parametrize(("text", "masked"), [("ID4111111111111111", "ID411111******1111"),
                                              ("ab4111111111111111.", "ab411111******1111.")])
def test_short_hex_neighbours_do_not_hide_a_card_number(text, masked):
    assert redact_text(text) == masked
