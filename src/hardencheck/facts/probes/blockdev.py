"""``blockdev``: block devices (lsblk), crypttab and fstab, to tell which volumes are encrypted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import ParsedFact
from hardencheck.facts.parsers.blockdev import parse_crypttab, parse_fstab, parse_lsblk_json
from hardencheck.facts.probes.common import command_output
from hardencheck.facts.raw import CommandSpec, FileSpec, ProbeRequest, RawAnswers

LSBLK = ("lsblk", "-J", "-b", "-o", "NAME,KNAME,PKNAME,TYPE,FSTYPE,MOUNTPOINT,SIZE,RM")


class BlockDevicesProbe(Probe):
    name = "blockdev"
    description = "Block devices with encryption state (lsblk), /etc/crypttab and /etc/fstab entries."

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=(FileSpec("/etc/crypttab"), FileSpec("/etc/fstab")),
                            commands=(CommandSpec("lsblk", LSBLK, timeout=15, max_bytes=1024 * 1024),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        fact = ParsedFact(data={"devices": None, "crypttab": [], "fstab": []})
        cmd = command_output(raw, "lsblk")
        if cmd is not None:
            if cmd.exit_code != 0:
                raise FactUnavailable(f"lsblk exited {cmd.exit_code}")
            part = parse_lsblk_json(cmd.text, cmd.label)
            _merge(fact, part, "")
        else:
            fact.warnings.append("lsblk is not available here: device encryption state unknown")
        for key, path, parser in (("crypttab", "/etc/crypttab", parse_crypttab), ("fstab", "/etc/fstab", parse_fstab)):
            text = raw.text(path)
            if text is not None:
                part = parser(text, path)
                fact.data[key] = part.data["entries"]
                fact.locations.update({key + k.removeprefix("entries"): v for k, v in part.locations.items()})
                fact.warnings.extend(part.warnings)
        return fact


def _merge(into: ParsedFact, part: ParsedFact, prefix: str) -> None:
    into.data.update(part.data)
    into.locations.update({prefix + k: v for k, v in part.locations.items()})
    into.warnings.extend(part.warnings)
