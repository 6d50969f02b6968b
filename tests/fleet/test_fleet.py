"""Tests of the test fleet itself: real sshd, image contents, isolation, hostile hosts.

Clients are plain paramiko with RejectPolicy and only the fleet's known_hosts, the way
hardencheck must connect.
"""

from __future__ import annotations

import hashlib
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from fleet import Fleet, FleetError, FleetHost, ImageError, load_image
from fleet.images import IMAGES_DIR

IMAGE_ROOT = IMAGES_DIR


def connect(host: FleetHost, known_hosts: Path, client_key: Path) -> paramiko.SSHClient:
    """Log in as root with strict host key checking: unknown or changed keys are refused."""
    client = paramiko.SSHClient()
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host.address, port=host.port, username="root", key_filename=str(client_key),
                   allow_agent=False, look_for_keys=False, timeout=10, banner_timeout=10,
                   auth_timeout=10)
    return client


def run(client: paramiko.SSHClient, command: str, timeout: float = 20) -> tuple[int, bytes]:
    """Run a command that is expected to finish; returns exit status and stdout."""
    _stdin, stdout, _stderr = client.exec_command(command, timeout=timeout)
    out = stdout.read()
    return stdout.channel.recv_exit_status(), out


@pytest.fixture
def ssh(ssh_env: dict[str, Any]) -> Iterator[Callable[[str], paramiko.SSHClient]]:
    """``ssh("weak-1")`` -> a logged-in client to that session-fleet host, closed after."""
    clients: list[paramiko.SSHClient] = []

    def open_client(name: str) -> paramiko.SSHClient:
        clients.append(connect(ssh_env["hosts"][name], ssh_env["known_hosts"],
                               ssh_env["client_key"]))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


def sshd_t(client: paramiko.SSHClient, extra: str = "") -> dict[str, str]:
    """``sshd -T`` on the host, as {keyword: value} (first value for repeated keywords)."""
    status, out = run(client, f"sshd -T {extra}")
    assert status == 0, out
    config: dict[str, str] = {}
    for line in out.decode().splitlines():
        key, _, value = line.partition(" ")
        config.setdefault(key, value)
    return config


# ---- images -------------------------------------------------------------------------------

def test_images_load_and_validate() -> None:
    for name in ("weak", "hardened", "misbehaving"):
        image = load_image(name)
        assert image.description and image.host_key_types
    assert [t.spec for t in load_image("weak").host_key_types] == ["rsa-1024", "ecdsa-256"]


def test_image_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    (bad / "root" / "etc" / "ssh").mkdir(parents=True)
    (bad / "image.yaml").write_text("description: x\nhostname: h\nhost_key_types: [ed25519]\n"
                                    "colour: blue\n")
    with pytest.raises(ImageError, match=r"image.yaml: unknown key\(s\) \['colour'\]"):
        load_image("bad", tmp_path)
    (bad / "image.yaml").write_text("description: x\nhostname: h\nhost_key_types: [ed25519]\n")
    (bad / "root" / "etc" / "ssh" / "sshd_config").write_text("ListenAddress 0.0.0.0\n")
    with pytest.raises(ImageError, match=r"sshd_config:1: ListenAddress"):
        load_image("bad", tmp_path)


def test_fleets_never_share_an_address_base(tmp_path: Path) -> None:
    first = Fleet(tmp_path / "a", base="127.201")
    try:
        with pytest.raises(FleetError, match="held by another fleet"):
            Fleet(tmp_path / "b", base="127.201")
        auto = Fleet(tmp_path / "c", base=None)
        assert auto.base != "127.201"
        auto.stop()
    finally:
        first.stop()
    Fleet(tmp_path / "d", base="127.201").stop()  # free again once stopped


# ---- logging in and reading the image's configuration ------------------------------------

@pytest.mark.integration
@pytest.mark.parametrize("name", ["weak-1", "hardened-1", "bad-1"])
def test_every_host_accepts_the_fleet_key_with_strict_checking(ssh: Any, name: str) -> None:
    status, out = run(ssh(name), "id -u")
    assert (status, out) == (0, b"0\n")


@pytest.mark.integration
def test_weak_sshd_reports_the_image_config(ssh: Any) -> None:
    config = sshd_t(ssh("weak-1"))
    assert config["permitrootlogin"] == "yes"
    assert config["passwordauthentication"] == "yes"
    assert config["permitemptypasswords"] == "yes"
    assert config["maxauthtries"] == "10"
    assert {"aes128-cbc", "3des-cbc"} <= set(config["ciphers"].split(","))
    assert config["macs"] == "hmac-md5,hmac-sha1"
    assert {"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"} <= set(
        config["kexalgorithms"].split(","))
    assert config["x11forwarding"] == "yes"
    assert config["loglevel"] == "SILENT"  # sshd -T spells the image's QUIET as SILENT
    assert config["usepam"] == "yes"
    assert config["authorizedkeysfile"] == ".ssh/authorized_keys .ssh/authorized_keys2"


@pytest.mark.integration
def test_hardened_sshd_reports_the_image_config_with_dropin_and_match(ssh: Any) -> None:
    client = ssh("hardened-1")
    config = sshd_t(client)
    assert config["permitrootlogin"] == "no"
    assert config["passwordauthentication"] == "no"
    assert config["kbdinteractiveauthentication"] == "yes"
    assert config["authenticationmethods"] == "publickey,keyboard-interactive"
    assert config["maxauthtries"] == "3"
    assert config["x11forwarding"] == "no"
    assert config["loglevel"] == "VERBOSE"
    assert config["macs"] == "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com"
    assert not {"3des-cbc", "aes128-cbc"} & set(config["ciphers"].split(","))
    assert config["clientaliveinterval"] == "300"  # from sshd_config.d/10-store-policy.conf
    assert config["clientalivecountmax"] == "1"
    assert config["allowgroups"] == "root"  # repeated keyword: "root" then "sshusers"
    pos = sshd_t(client, "-C user=pos,host=till.example,addr=10.0.0.5")
    assert pos["forcecommand"] == "internal-sftp"  # the Match User pos block
    assert pos["chrootdirectory"] == "/srv/pos"


@pytest.mark.integration
def test_image_files_are_the_hosts_own(ssh: Any, fleet: Fleet) -> None:
    weak, hardened = ssh("weak-1"), ssh("hardened-1")
    assert run(weak, "cat /etc/hostname")[1].decode().strip() == fleet.host("weak-1").hostname
    assert run(weak, "hostname")[1].decode().strip() == "pos-weak-1"
    assert run(hardened, "cat /etc/hostname")[1] == b"pos-hardened-1\n"
    assert b"toor:x:0:0:" in run(weak, "cat /etc/passwd")[1]
    assert run(weak, "cat /etc/ld.so.preload")[0] == 0
    assert run(hardened, "test -e /etc/ld.so.preload")[0] == 1  # whiteout
    assert run(weak, "stat -c %a /etc/shadow")[1] == b"644\n"
    assert run(hardened, "stat -c '%a %U:%G' /etc/shadow")[1] == b"640 root:shadow\n"
    status = run(weak, "dpkg-query -W -f='${Version}' openssl sudo")[1]
    assert status == b"3.0.11-1~deb12u11.9.13p3-1+deb12u1"
    for client in (weak, hardened):
        assert run(client, "test -e /.dockerenv")[0] == 1
        assert run(client, "ls -A /root")[1].split() == [b".bashrc", b".profile"]


@pytest.mark.integration
def test_recorded_kernel_release_and_logins(ssh: Any) -> None:
    """kernel_release is what the host's /proc says (uname's syscall still tells the truth);
    lastlog records sit at UID x 292 in a binary /var/log/lastlog, dated relative to staging."""
    import struct
    import time

    weak, hardened = ssh("weak-1"), ssh("hardened-1")
    assert run(weak, "cat /proc/sys/kernel/osrelease")[1] == b"6.1.0-18-amd64\n"
    assert run(hardened, "cat /proc/sys/kernel/osrelease")[1] == b"6.1.0-28-amd64\n"
    uid = int(run(weak, "id -u support")[1])
    record = run(weak, f"dd if=/var/log/lastlog bs=292 skip={uid} count=1 2>/dev/null")[1]
    when, line, host = struct.unpack("<i32s256s", record)
    assert abs((time.time() - when) / 86400 - 412) < 1
    assert line.rstrip(b"\0") == b"pts/1" and host.rstrip(b"\0") == b"203.0.113.77"


@pytest.mark.integration
def test_find_xdev_sees_the_image_files(ssh: Any) -> None:
    status, out = run(ssh("weak-1"), "find / -xdev -name sshd_config -path '*/etc/ssh/*'")
    assert (status, out) == (0, b"/etc/ssh/sshd_config\n")
    _, content = run(ssh("weak-1"), "cat /etc/ssh/sshd_config")
    image_file = IMAGE_ROOT / "weak" / "root" / "etc" / "ssh" / "sshd_config"
    assert hashlib.sha256(content).digest() == hashlib.sha256(image_file.read_bytes()).digest()
    _, found = run(ssh("hardened-1"), "find / -xdev -name '10-store-policy.conf'")
    assert found == b"/etc/ssh/sshd_config.d/10-store-policy.conf\n"


@pytest.mark.integration
def test_writes_stay_on_their_host(ssh: Any) -> None:
    marker = f"/etc/fleet-probe-{uuid.uuid4().hex}"
    weak, hardened = ssh("weak-1"), ssh("hardened-1")
    assert run(weak, f"echo written > {marker} && cat {marker}") == (0, b"written\n")
    assert not Path(marker).exists()
    assert run(hardened, f"test -e {marker}")[0] == 1
    assert run(weak, f"rm {marker}")[0] == 0


# ---- the hostile host -----------------------------------------------------------------------

@pytest.mark.integration
def test_misbehaving_lsblk_hangs(ssh: Any) -> None:
    _stdin, stdout, _stderr = ssh("bad-1").exec_command("lsblk -J -b -o NAME,SIZE", timeout=2)
    started = time.monotonic()
    with pytest.raises(socket.timeout):
        stdout.read()
    assert time.monotonic() - started >= 1.9
    assert not stdout.channel.exit_status_ready()
    stdout.channel.close()


@pytest.mark.integration
def test_misbehaving_ss_floods(ssh: Any) -> None:
    _stdin, stdout, _stderr = ssh("bad-1").exec_command("ss -Htuln", timeout=10)
    received = 0
    while received < 4 * 1024 * 1024:
        chunk = stdout.channel.recv(65536)
        assert chunk, "ss stopped before 4 MiB"
        received += len(chunk)
    assert not stdout.channel.exit_status_ready()
    stdout.channel.close()


@pytest.mark.integration
def test_misbehaving_output_is_hostile(ssh: Any) -> None:
    bad = ssh("bad-1")
    _, sshd = run(bad, "sshd -T")
    assert b"<script>alert(1)</script>" in sshd
    assert b"\x00" in sshd or not sshd.isascii()
    _, release = run(bad, "uname -r")
    assert b"\x1b[31m" in release and b"<img src=x onerror=alert(1)>" in release
    _, os_release = run(bad, "cat /etc/os-release")
    assert b"<script>" in os_release and b"\x1b[" in os_release
    _, login_defs = run(bad, "head -c 4096 /etc/login.defs")
    assert b"\x00" in login_defs
    assert run(bad, "stat -c %s /etc/pam.d/zz-flood")[1] == b"5242880\n"
    transport = bad.get_transport()
    assert transport is not None
    assert "<script>" in (transport.remote_version or "")


@pytest.mark.integration
def test_weak_host_keys_are_weak(fleet: Fleet) -> None:
    host_keys = paramiko.HostKeys(str(fleet.known_hosts))
    weak = host_keys.lookup(fleet.host("weak-1").address)
    assert weak is not None
    assert sorted(weak.keys()) == ["ecdsa-sha2-nistp256", "ssh-rsa"]
    assert weak["ssh-rsa"].get_bits() == 1024
    hardened = host_keys.lookup(fleet.host("hardened-1").address)
    assert hardened is not None and list(hardened.keys()) == ["ssh-ed25519"]


# ---- lifecycle: stop, restart, changed keys -------------------------------------------------

def _answers(host: FleetHost) -> bool:
    try:
        with socket.create_connection((host.address, host.port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.integration
def test_stop_leaves_nothing_listening(fleet_factory: Callable[..., Fleet]) -> None:
    own = fleet_factory([("life-a", "weak"), ("life-b", "hardened")])
    hosts = own.hosts
    assert all(_answers(h) for h in hosts)
    own.stop_host("life-a")
    assert not _answers(hosts[0]) and _answers(hosts[1])
    with pytest.raises(paramiko.ssh_exception.NoValidConnectionsError):
        connect(hosts[0], own.known_hosts, own.client_key)
    own.restart_host("life-a")  # same cached key: strict checking still accepts it
    connect(hosts[0], own.known_hosts, own.client_key).close()
    own.stop()
    assert not any(_answers(h) for h in hosts)
    assert not any(own.is_running(h) for h in hosts)


@pytest.mark.integration
def test_changed_host_key_is_refused(fleet_factory: Callable[..., Fleet]) -> None:
    own = fleet_factory([("rekey-1", "hardened")])
    host = own.host("rekey-1")
    connect(host, own.known_hosts, own.client_key).close()
    own.restart_with_new_key(host)
    with pytest.raises(paramiko.BadHostKeyException):
        connect(host, own.known_hosts, own.client_key)
    own.restart_host(host)
    connect(host, own.known_hosts, own.client_key).close()


@pytest.mark.integration
def test_unknown_host_is_refused(fleet_factory: Callable[..., Fleet], tmp_path: Path) -> None:
    own = fleet_factory([("stranger-1", "weak")])
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        connect(own.host("stranger-1"), empty, own.client_key)
