"""sshd parsers, checked against real ``sshd -T`` output of OpenSSH 9.2p1 (Debian 12).

Each ``data/sshd_<name>/`` tree was copied to its mount point on a Debian 12
host and run through ``sshd -T -f <mount>/sshd_config``; the output is the
tree's ``sshd_T.txt``. ``data/sshd_T_defaults.txt`` is ``sshd -T`` of a
config holding only ``HostKey /etc/ssh/ssh_host_ed25519_key``.
"""

from __future__ import annotations

import fnmatch
import json
import random
from pathlib import Path

import pytest

from hardencheck.facts.parsers.sshd import locate_sshd_settings, parse_sshd_config, parse_sshd_t

DATA = Path(__file__).parent / "data"
TRICKY_ROOT = "/tmp/hc-sshd"
META_KEYS = {"defaulted", "files", "match_blocks"}


class FakeFS:
    """Target paths -> file text; ``glob`` returns matches in a scrambled order on purpose."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def glob(self, pattern: str) -> list[str]:
        return sorted((p for p in self.files if fnmatch.fnmatchcase(p, pattern)), reverse=True)


RECORDED = {"sshd_tricky": TRICKY_ROOT, "sshd_matchall": "/tmp/hc2"}


def recorded_fs(name: str = "sshd_tricky") -> FakeFS:
    base, mount = DATA / name, RECORDED[name]
    files = {}
    for path in base.rglob("*"):
        if path.is_file() and path.name != "sshd_T.txt":
            files[f"{mount}/{path.relative_to(base).as_posix()}"] = path.read_bytes().decode()
    return FakeFS(files)


def tricky_fs() -> FakeFS:
    return recorded_fs("sshd_tricky")


def test_sshd_t_shapes_from_real_default_output() -> None:
    fact = parse_sshd_t((DATA / "sshd_T_defaults.txt").read_text())
    assert fact.warnings == []
    assert fact.data["permitrootlogin"] == "without-password"
    assert fact.data["port"] == ["22"]
    assert fact.data["listenaddress"] == ["[::]:22", "0.0.0.0:22"]
    assert fact.data["authenticationmethods"] == [["any"]]
    assert fact.data["ciphers"][0] == "chacha20-poly1305@openssh.com"
    assert "hmac-sha1" in fact.data["macs"]
    assert fact.data["loglevel"] == "INFO"
    assert fact.locations["loglevel"].source == "cmd:sshd -T"
    assert fact.locations["port/0"].line == 1


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_config_matches_real_sshd_t(name: str) -> None:
    fs = recorded_fs(name)
    from_files = parse_sshd_config(fs.read, fs.glob, f"{RECORDED[name]}/sshd_config")
    real = parse_sshd_t((DATA / name / "sshd_T.txt").read_text())
    assert set(from_files.data) - META_KEYS == set(real.data)
    mismatched = {
        k: (real.data[k], from_files.data[k]) for k in real.data if real.data[k] != from_files.data[k]
    }
    assert mismatched == {}
    assert from_files.warnings == []


def test_tricky_tree_semantics_spelled_out() -> None:
    fs = tricky_fs()
    fact = parse_sshd_config(fs.read, fs.glob, f"{TRICKY_ROOT}/sshd_config")
    data = fact.data
    assert data["permitrootlogin"] == "without-password"  # prohibit-password from the first include wins
    assert fact.locations["permitrootlogin"].source == f"{TRICKY_ROOT}/sshd_config.d/10-root.conf"
    assert fact.locations["permitrootlogin"].line == 1
    assert data["kbdinteractiveauthentication"] == "no"  # ChallengeResponseAuthentication alias came first
    assert data["maxsessions"] == "7"  # the Match in 10-root.conf ended at that file's end
    assert fact.locations["maxsessions"].source.endswith("20-pam.conf")
    assert data["x11forwarding"] == "yes"  # Match all overrides the global "no"
    assert fact.locations["x11forwarding"].line == 39
    assert data["maxauthtries"] == "2"
    assert data["logingracetime"] == "90" and data["clientaliveinterval"] == "300"
    assert data["maxstartups"] == "5:30:5"
    assert data["listenaddress"] == ["127.0.0.1:2200", "[::1]:2222", "[::1]:22"]
    assert fact.locations["listenaddress/2"].excerpt == "ListenAddress ::1"
    assert data["acceptenv"] == ["LANG", "LC_*", "XMODIFIERS"]
    assert fact.locations["acceptenv/2"].line == 27
    assert data["authenticationmethods"] == [
        ["publickey", "password"],
        ["publickey", "keyboard-interactive:pam"],
    ]
    assert data["versionaddendum"] == "<b>POS</b><script>alert(1)</script>"
    assert "permitrootlogin" not in data["defaulted"] and "ignorerhosts" in data["defaulted"]
    assert "ignorerhosts" not in fact.locations
    assert data["files"][1:3] == [
        f"{TRICKY_ROOT}/sshd_config.d/10-root.conf",
        f"{TRICKY_ROOT}/sshd_config.d/20-pam.conf",
    ]


def test_match_blocks_recorded_not_applied() -> None:
    fs = tricky_fs()
    fact = parse_sshd_config(fs.read, fs.glob, f"{TRICKY_ROOT}/sshd_config")
    blocks = fact.data["match_blocks"]
    assert [b["criteria"] for b in blocks] == ["Group admins", "User pos", "Address 10.0.0.0/8", "all"]
    assert blocks[1] == {
        "criteria": "User pos",
        "settings": {"passwordauthentication": "yes", "allowtcpforwarding": "no"},
        "source": f"{TRICKY_ROOT}/sshd_config",
        "line": 33,
        "applies_globally": False,
    }
    assert fact.locations["match_blocks/1/settings/allowtcpforwarding"].source == f"{TRICKY_ROOT}/match.d/tcp"
    assert blocks[2]["settings"] == {"loglevel": "DEBUG3"}
    assert fact.data["loglevel"] == "VERBOSE"
    assert blocks[3]["applies_globally"] is True


def test_match_all_is_global_in_first_pass_and_overrides_in_match_pass() -> None:
    fs = recorded_fs("sshd_matchall")
    fact = parse_sshd_config(fs.read, fs.glob, "/tmp/hc2/sshd_config")
    data = fact.data
    assert data["ciphers"] == ["aes256-ctr"]  # not a Match keyword: plain first-wins
    assert data["acceptenv"] == ["X", "Y"]  # a Match keyword: Match all replaces the global list
    assert data["hostkey"] == ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key"]
    assert data["passwordauthentication"] == "no"  # Match all in an include, before the global line
    assert fact.locations["passwordauthentication"].source == "/tmp/hc2/d/a.conf"
    assert data["permitrootlogin"] == "no" and data["loglevel"] == "DEBUG"
    assert data["banner"] == "/etc/a b" and data["clientaliveinterval"] == "3720"
    assert data["listenaddress"] == ["10.1.2.3:2201", "10.1.2.3:2200", "[::1]:2299"]  # include came first


def test_empty_config_gives_real_defaults() -> None:
    fs = FakeFS({"/etc/ssh/sshd_config": "# nothing\n"})
    fact = parse_sshd_config(fs.read, fs.glob)
    real = parse_sshd_t((DATA / "sshd_T_defaults.txt").read_text())
    for keyword, value in real.data.items():
        if keyword != "hostkey":
            assert fact.data[keyword] == value, keyword
    assert fact.data["hostkey"] == [
        "/etc/ssh/ssh_host_rsa_key",
        "/etc/ssh/ssh_host_ecdsa_key",
        "/etc/ssh/ssh_host_ed25519_key",
    ]
    assert "permitrootlogin" in fact.data["defaulted"]


def test_missing_main_config_is_all_defaults_with_warning() -> None:
    fs = FakeFS({})
    fact = parse_sshd_config(fs.read, fs.glob)
    assert fact.data["passwordauthentication"] == "yes"
    assert fact.data["match_blocks"] == []
    assert any("not readable" in w for w in fact.warnings)


def test_relative_include_sorted_and_missing_allowed() -> None:
    fs = FakeFS(
        {
            "/etc/ssh/sshd_config": "Include sshd_config.d/*.conf\nInclude /etc/ssh/absent.conf\nPasswordAuthentication yes\n",
            "/etc/ssh/sshd_config.d/50-cloud-init.conf": "PasswordAuthentication yes\n",
            "/etc/ssh/sshd_config.d/01-hardening.conf": "PasswordAuthentication no\nPermitRootLogin no\n",
        }
    )
    fact = parse_sshd_config(fs.read, fs.glob)
    assert fact.data["passwordauthentication"] == "no"
    assert fact.locations["passwordauthentication"].source == "/etc/ssh/sshd_config.d/01-hardening.conf"
    assert any("absent.conf" in w for w in fact.warnings)


def test_include_recursion_is_bounded() -> None:
    fs = FakeFS({"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\nPort 2222\n"})
    fact = parse_sshd_config(fs.read, fs.glob)
    assert any("nested deeper than 16" in w for w in fact.warnings)
    assert fact.data["port"][0] == "2222"


def test_branching_include_loop_is_bounded() -> None:
    fs = FakeFS({"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\nInclude /etc/ssh/sshd_config\n"})
    fact = parse_sshd_config(fs.read, fs.glob)
    assert len(fact.data["files"]) == 256
    assert any("more than 256 files" in w for w in fact.warnings)


def test_algorithm_lists_follow_kex_assemble_names() -> None:
    config = (
        "Ciphers ^aes256-gcm@openssh.com\n"
        "MACs -*sha1*,umac-*\n"
        "KexAlgorithms +diffie-hellman-group1-sha1,curve25519-sha256\n"
        "HostKeyAlgorithms ssh-ed25519*,rsa-sha2-512,mlkem-future-alg\n"
        "Ciphers aes128-ctr\n"
    )
    fs = FakeFS({"/etc/ssh/sshd_config": config})
    data = parse_sshd_config(fs.read, fs.glob).data
    assert data["ciphers"][:2] == ["aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"]
    assert data["ciphers"].count("aes256-gcm@openssh.com") == 1
    assert data["macs"] == [
        "hmac-sha2-256-etm@openssh.com",
        "hmac-sha2-512-etm@openssh.com",
        "hmac-sha2-256",
        "hmac-sha2-512",
    ]
    assert data["kexalgorithms"][-1] == "diffie-hellman-group1-sha1"
    assert data["kexalgorithms"].count("curve25519-sha256") == 1
    assert data["hostkeyalgorithms"] == [
        "ssh-ed25519",
        "ssh-ed25519-cert-v01@openssh.com",
        "rsa-sha2-512",
        "mlkem-future-alg",
    ]


def test_unknown_and_deprecated_keywords_warn() -> None:
    fs = FakeFS(
        {
            "/etc/ssh/sshd_config": "Protocol 2\nUsePrivilegeSeparation sandbox\nPermitRootLgin no\nPermitRootLogin\n"
        }
    )
    fact = parse_sshd_config(fs.read, fs.glob)
    text = "\n".join(fact.warnings)
    assert "protocol is deprecated" in text
    assert "unknown keyword 'permitrootlgin'" in text
    assert "no argument after keyword 'PermitRootLogin'" in text
    assert fact.data["permitrootlogin"] == "without-password"


def test_match_only_keyword_inside_match_warns() -> None:
    fs = FakeFS({"/etc/ssh/sshd_config": "Match User pos\n  Ciphers aes128-ctr\n  PermitTTY no\n"})
    fact = parse_sshd_config(fs.read, fs.glob)
    assert any("ciphers is not allowed in a Match block" in w for w in fact.warnings)
    assert fact.data["match_blocks"][0]["settings"]["permittty"] == "no"
    assert fact.data["permittty"] == "yes"


def test_locate_points_sshd_t_values_at_config_lines() -> None:
    fs = tricky_fs()
    fact = parse_sshd_t((DATA / "sshd_tricky" / "sshd_T.txt").read_text())
    assert fact.locations["permitrootlogin"].source == "cmd:sshd -T"
    locate_sshd_settings(fact, fs.read, fs.glob, f"{TRICKY_ROOT}/sshd_config")
    assert fact.locations["permitrootlogin"].source == f"{TRICKY_ROOT}/sshd_config.d/10-root.conf"
    assert fact.locations["permitrootlogin"].excerpt == "PermitRootLogin prohibit-password"
    assert fact.locations["x11forwarding"].line == 39
    assert fact.locations["ignorerhosts"].source == "cmd:sshd -T"  # not in any file: stays on the command
    assert [b["criteria"] for b in fact.data["match_blocks"]] == [
        "Group admins",
        "User pos",
        "Address 10.0.0.0/8",
        "all",
    ]


def test_sshd_t_aliases_and_garbage_lines() -> None:
    text = "pubkeyacceptedkeytypes ssh-ed25519,rsa-sha2-512\r\nMissing privilege separation directory: /run/sshd\n\x1b[2Jbanner x\nbanner <script>x</script>\n"
    fact = parse_sshd_t(text)
    assert fact.data["pubkeyacceptedalgorithms"] == ["ssh-ed25519", "rsa-sha2-512"]
    assert fact.data["banner"] == "<script>x</script>"
    assert len(fact.warnings) == 2
    assert all("\x1b" not in w for w in fact.warnings)


@pytest.mark.parametrize("seed", range(5))
def test_hostile_config_never_raises(seed: int) -> None:
    rng = random.Random(seed)
    words = [
        "Match",
        "Include",
        "Port",
        "Ciphers",
        "+",
        "-",
        "^",
        '"',
        "'",
        "\\",
        "#",
        "=",
        "\x00",
        "\r",
        "*",
        "all",
        "\x1b[0m",
    ]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 6))) for _ in range(200)]
    lines.append("".join(chr(rng.randrange(0, 0x110000)) for _ in range(2000)).replace("\ud800", ""))
    fs = FakeFS({"/etc/ssh/sshd_config": "\n".join(lines), "/etc/ssh/all": "Include all\n"})
    fact = parse_sshd_config(fs.read, fs.glob)
    json.dumps(fact.data)
    t_fact = parse_sshd_t("\n".join(lines))
    json.dumps(t_fact.data)
