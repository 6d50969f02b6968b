"""Accounts parsing: classification of every hash scheme, and no hash ever leaving the parser.

The hashes in ``data/accounts/shadow`` were made with glibc/libxcrypt
(``openssl passwd -6/-5/-1``, ``crypt()`` for yescrypt, bcrypt and DES).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from hardencheck.facts.parsers.accounts import classify_password, parse_accounts

DATA = Path(__file__).parent / "data" / "accounts"
HASHES = [
    "$y$j9T$F5Jx5fExrKuJdDTwCd/6V.$bZyaXbQWmeHFxjizRPKnVWicxz5XUxbTW69cXrh3lG.",
    "$6$Qx9vRj2mPz$0tjIQs58962F.pjGxn6gXZX8ATEBcXS3meUywmzX/yjW.pJQTyjPKrBibKXIEnCtNfBkthtKnms0S2o2Fb/yQ/",
    "$1$8fKq2LmN$eivsQlkOZekxWtUi23TeX1",
    "$5$aB3dE5gH$iIGXWynA2jtPls7LN3saKQABhR.jKzA4flnC2neDSR5",
    "$2b$12$EjT7KUr1r/HkqrwRwRIQQ.7a54r2eXxk4aMcWNrNzxyM464iV7BGq",
    "ab/ngI3Uu0CaU",
]


def parse(shadow: bool = True):
    return parse_accounts(
        (DATA / "passwd").read_text(),
        (DATA / "shadow").read_bytes().decode() if shadow else None,
        (DATA / "group").read_text(),
    )


def users(fact) -> dict[str, dict]:
    return {u["name"]: u for u in fact.data["users"]}


def test_fixture_really_contains_the_hashes() -> None:
    text = (DATA / "shadow").read_text() + (DATA / "group").read_text()
    assert all(h in text for h in HASHES)


def test_every_scheme_is_classified() -> None:
    by_name = users(parse())
    expected = {
        "root": ("yescrypt", False, False, False),
        "daemon": ("none", False, True, True),
        "sshd": ("none", False, True, True),
        "posadmin": ("sha512", False, False, False),
        "cashier1": ("md5", False, False, False),
        "cashier2": ("none", True, False, False),
        "vendor": ("sha256", False, True, False),
        "svc_backup": ("none", False, True, True),
        "legacy": ("des", False, False, False),
        "toor": ("bcrypt", False, False, False),
    }
    for name, (algorithm, empty, locked, no_password) in expected.items():
        password = by_name[name]["password"]
        assert (password["algorithm"], password["empty"], password["locked"], password["no_password"]) == (
            algorithm,
            empty,
            locked,
            no_password,
        ), name


def test_passwd_field_overrides_shadow_like_pam_unix() -> None:
    kiosk = users(parse())["kiosk"]
    assert kiosk["password_source"] == "passwd"
    assert kiosk["password"]["empty"] is True


def test_fields_types_and_ageing() -> None:
    fact = parse()
    by_name = users(fact)
    posadmin = by_name["posadmin"]
    assert (posadmin["uid"], posadmin["gid"], posadmin["home"], posadmin["shell"]) == (
        1000,
        1000,
        "/home/posadmin",
        "/bin/bash",
    )
    assert posadmin["gecos"] == "POS Admin,,,"
    assert (
        posadmin["last_change_days"],
        posadmin["min_days"],
        posadmin["max_days"],
        posadmin["warn_days"],
    ) == (19600, 1, 90, 14)
    assert (posadmin["inactive_days"], posadmin["expire_days"]) == (30, 20000)
    assert by_name["sshd"]["max_days"] is None and by_name["sshd"]["shadow"] is True
    assert by_name["toor"]["uid"] == 0 and by_name["toor"]["max_days"] is None
    assert by_name["cashier1"]["gecos"] == "Cashier <script>alert(1)</script>"
    assert [u for u in by_name if not by_name[u]["interactive"]] == ["daemon", "sync", "sshd", "svc_backup"]
    assert by_name["toor"]["interactive"] is True  # empty shell means /bin/sh
    assert "broken" not in by_name
    ghost = by_name["ghost"]
    assert ghost["password"] is None and ghost["shadow"] is False
    assert fact.data["shadow_readable"] is True


def test_groups() -> None:
    groups = {g["name"]: g for g in parse().data["groups"]}
    assert groups["sudo"] == {"name": "sudo", "gid": 27, "members": ["posadmin", "vendor"]}
    assert groups["pos"]["members"] == ["cashier1", "cashier2"]
    assert "bad" not in groups


def test_locations_are_redacted_evidence() -> None:
    fact = parse()
    index = [u["name"] for u in fact.data["users"]].index("posadmin")
    shadow_location = fact.locations[f"users/{index}/password"]
    assert shadow_location.source == "/etc/shadow" and shadow_location.line == 5
    assert shadow_location.excerpt == "posadmin:<redacted:sha512>:19600:1:90:14:30:20000:"
    vendor = fact.locations[f"users/{[u['name'] for u in fact.data['users']].index('vendor')}/password"]
    assert vendor.excerpt.startswith("vendor:!<redacted:sha256>:")
    legacy = fact.locations[f"users/{[u['name'] for u in fact.data['users']].index('legacy')}/password"]
    assert legacy.excerpt.startswith("legacy:<redacted:des>:")
    assert fact.locations["users/0"].excerpt == "root:x:0:0:root:/root:/bin/bash"
    assert fact.locations["groups/3"].excerpt == "admins:<redacted:sha512>:1010:posadmin"


def test_no_hash_anywhere_in_the_fact() -> None:
    fact = parse()
    dumped = json.dumps(
        {
            "data": fact.data,
            "locations": {k: v.to_dict() for k, v in fact.locations.items()},
            "warnings": fact.warnings,
        }
    )
    for secret in HASHES:
        assert secret not in dumped
        assert secret.rsplit("$", 1)[-1] not in dumped
    assert "$6$" not in dumped and "$y$" not in dumped


def test_malformed_lines_warn_without_content() -> None:
    fact = parse()
    text = "\n".join(fact.warnings)
    assert "/etc/shadow:14: malformed entry skipped (1 fields, expected 9)" in text
    assert "/etc/shadow:13: shadow entry without a passwd user" in text
    assert "/etc/shadow:15: duplicate shadow entry" in text
    assert "/etc/passwd:14: non-numeric uid/gid" in text
    assert "/etc/passwd:15: NIS compat entry skipped" in text
    assert "'ghost' has no shadow entry" in text
    assert "max_days is not a number" in text
    assert "orphan" not in text


def test_unreadable_shadow() -> None:
    fact = parse(shadow=False)
    root = users(fact)["root"]
    assert root["password"] is None and root["shadow"] is False
    assert users(fact)["kiosk"]["password"]["empty"] is True
    assert fact.data["shadow_readable"] is False


def test_classify_password_edge_cases() -> None:
    assert classify_password("!!")["no_password"] is True
    assert classify_password("!")["algorithm"] == "none"
    assert classify_password("$gy$j9T$abc$def")["algorithm"] == "gost-yescrypt"
    assert classify_password("$7$CU..../....abc$def")["algorithm"] == "scrypt"
    assert classify_password("*LK*")["no_password"] is True
    assert classify_password("garbage-not-a-hash")["algorithm"] == "unknown"


def test_binary_garbage_never_raises_or_leaks() -> None:
    rng = random.Random(11)
    noise = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(8000))
    shadow = noise + "\nroot:" + HASHES[1] + "\x00:1:2\n:" + HASHES[0] + ":\n" + HASHES[2] * 3000
    fact = parse_accounts(noise + "\nroot:x:0:0::/root:/bin/bash\n", shadow, noise)
    dumped = json.dumps(
        {"d": fact.data, "l": {k: v.to_dict() for k, v in fact.locations.items()}, "w": fact.warnings}
    )
    for secret in HASHES[:3]:
        assert secret not in dumped
    assert users(fact)["root"]["password"]["algorithm"] == "sha512"
