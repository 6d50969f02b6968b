"""lsblk / crypttab / fstab: a real VM's lsblk, a Debian "guided encrypted LVM" layout, hostile JSON."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hardencheck.facts.parsers.blockdev import parse_crypttab, parse_fstab, parse_lsblk_json

DATA = Path(__file__).parent / "data"


def devices(fact) -> dict[str, dict]:
    return {d["name"]: d for d in fact.data["devices"]}


def test_real_vm_lsblk() -> None:
    fact = parse_lsblk_json((DATA / "lsblk_vm.json").read_text())
    vda = devices(fact)["vda"]
    assert vda == {
        "name": "vda",
        "kname": "vda",
        "parent": None,
        "type": "disk",
        "fstype": None,
        "mountpoint": "/",
        "size": 274877906944,
        "removable": False,
        "encrypted": False,
    }
    assert fact.warnings == []


def test_luks_lvm_encryption_rule() -> None:
    fact = parse_lsblk_json((DATA / "lsblk_luks_lvm.json").read_text())
    found = devices(fact)
    assert list(found) == [
        "nvme0n1",
        "nvme0n1p1",
        "nvme0n1p2",
        "nvme0n1p3",
        "nvme0n1p3_crypt",
        "pos--vg-root",
        "pos--vg-swap_1",
        "sda",
        "sda1",
        "backup_plain",
        "sdb",
    ]
    encrypted = {name for name, d in found.items() if d["encrypted"]}
    assert encrypted == {
        "nvme0n1p3",
        "nvme0n1p3_crypt",
        "pos--vg-root",
        "pos--vg-swap_1",
        "sda1",
        "backup_plain",
    }
    assert found["pos--vg-root"]["parent"] == "dm-0" and found["pos--vg-root"]["mountpoint"] == "/"
    assert found["sda"]["removable"] is True and found["backup_plain"]["removable"] is False
    assert found["sdb"]["mountpoint"] == "/srv/transactions" and not found["sdb"]["encrypted"]


def test_old_lsblk_strings_and_mountpoints_list() -> None:
    text = json.dumps(
        {
            "blockdevices": [
                {
                    "name": "sda",
                    "kname": "sda",
                    "pkname": None,
                    "type": "disk",
                    "fstype": None,
                    "mountpoint": None,
                    "size": "128",
                    "rm": "1",
                },
                {"name": "sdb", "type": "disk", "mountpoints": [None, "/data"], "size": "12G", "rm": "0"},
            ]
        }
    )
    fact = parse_lsblk_json(text)
    found = devices(fact)
    assert found["sda"]["size"] == 128 and found["sda"]["removable"] is True
    assert found["sdb"]["mountpoint"] == "/data" and found["sdb"]["size"] is None
    assert any("was -b used" in w for w in fact.warnings)


def test_hostile_lsblk_json() -> None:
    assert parse_lsblk_json("<html>not json</html>").warnings == ["cmd:lsblk: not valid JSON"]
    assert parse_lsblk_json('{"blockdevices": 5}').data == {"devices": []}
    deep: dict = {"name": "x", "type": "disk"}
    node = deep
    for _ in range(100):
        node["children"] = [{"name": "x", "type": "part"}]
        node = node["children"][0]
    fact = parse_lsblk_json(json.dumps({"blockdevices": [deep, 7, None]}))
    assert len(fact.data["devices"]) == 65
    assert any("deeper than 64" in w for w in fact.warnings)
    assert parse_lsblk_json("[" * 100000).warnings == ["cmd:lsblk: not valid JSON"]


def test_crypttab() -> None:
    text = (
        "# <target name> <source device> <key file> <options>\n"
        "nvme0n1p3_crypt UUID=7d2c1a0e-3c1e-4b8e-9c1f-2a6e5d4c3b2a none luks,discard\n"
        "backup_plain /dev/sda1 /root/backup.key plain,cipher=aes-xts-plain64,size=512\r\n"
        "swap /dev/vg/swap /dev/urandom swap\n"
        "lonely\n"
    )
    fact = parse_crypttab(text)
    assert fact.data["entries"] == [
        {
            "name": "nvme0n1p3_crypt",
            "device": "UUID=7d2c1a0e-3c1e-4b8e-9c1f-2a6e5d4c3b2a",
            "keyfile": None,
            "options": ["luks", "discard"],
        },
        {
            "name": "backup_plain",
            "device": "/dev/sda1",
            "keyfile": "/root/backup.key",
            "options": ["plain", "cipher=aes-xts-plain64", "size=512"],
        },
        {"name": "swap", "device": "/dev/vg/swap", "keyfile": "/dev/urandom", "options": ["swap"]},
    ]
    assert fact.locations["entries/1"].line == 3
    assert len(fact.warnings) == 1


def test_fstab() -> None:
    text = (
        "# /etc/fstab: static file system information.\n"
        "/dev/mapper/pos--vg-root /               ext4    errors=remount-ro 0       1\n"
        "UUID=1b7e0d2a-1111-2222-3333-444455556666 /boot ext2 defaults 0 2\n"
        "/dev/mapper/pos--vg-swap_1 none            swap    sw              0       0\n"
        "//nas/receipts\\040archive /mnt/receipts\\040archive cifs credentials=/root/.smb,noexec 0 0\n"
        "tmpfs /tmp tmpfs\n"
        "garbage\n"
    )
    fact = parse_fstab(text)
    entries = fact.data["entries"]
    assert entries[0] == {
        "device": "/dev/mapper/pos--vg-root",
        "mountpoint": "/",
        "fstype": "ext4",
        "options": ["errors=remount-ro"],
        "swap": False,
    }
    assert entries[2]["swap"] is True
    assert entries[3]["mountpoint"] == "/mnt/receipts archive" and entries[3]["options"] == [
        "credentials=/root/.smb",
        "noexec",
    ]
    assert entries[4]["options"] == ["defaults"]
    assert len(entries) == 5 and len(fact.warnings) == 1


def test_garbage_tables_never_raise() -> None:
    rng = random.Random(3)
    noise = "".join(chr(rng.randrange(0, 0x500)) for _ in range(10000))
    for parser in (parse_crypttab, parse_fstab, parse_lsblk_json):
        json.dumps(parser(noise).data)
