"""Command line: arguments -> a frozen plan and options -> the engine. No audit logic lives here."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

from hardencheck import __version__
from hardencheck.checks.yamlsource import SourceErrorList
from hardencheck.commands.report import parse_formats
from hardencheck.network.options import add_network_arguments

#: Sub-command modules that add themselves: each has ``register(subparsers)`` setting ``func`` defaults.
EXTRA_COMMANDS = ["catalog", "history", "compare", "sign", "report"]

EXIT_OK, EXIT_FINDINGS, EXIT_CONFIG, EXIT_UNAUDITED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
SEVERITIES = ["critical", "high", "medium", "low", "info"]

EPILOG = """\
exit codes:
  0    every audited check passed (or was skipped/waived)
  1    a check failed at or above --fail-on (default: low)
  2    usage or configuration error (bad check, profile, waiver or inventory file); nothing was scanned
  3    some hosts could not be audited, or some checks ended in error (no fact) — never read as clean
  130  interrupted (SIGINT/SIGTERM); finished hosts are kept in a run marked incomplete

examples:
  hardencheck scan local --profile linux-baseline
  hardencheck scan root@10.20.0.11 pos-042-01 --inventory stores.yaml --profile pci-pos
  hardencheck scan dir:./config-repo --map roles/pos/files/sshd_config=/etc/ssh/sshd_config
  hardencheck scan net:10.20.5.0/28 pos-042-01 --profile pci-pos        (PIN pads by nmap only, + a POS over SSH)
  hardencheck evaluate reports/20261127T101500Z-ab12cd --profile pci-server
  hardencheck checks validate ./my-checks/
"""


def _common_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="linux-baseline",
                   help="profile name (see `hardencheck profiles list`) or a profile YAML file [%(default)s]")
    p.add_argument("--checks", action="append", default=[], metavar="PATTERN",
                   help="only checks whose id matches PATTERN (glob, repeatable, comma-separated)")
    p.add_argument("--checks-dir", action="append", type=Path, default=[], metavar="DIR",
                   help="extra check folder (added to the built-in checks)")
    p.add_argument("--profiles-dir", action="append", type=Path, default=[], metavar="DIR",
                   help="extra profile folder (searched before the built-in profiles)")
    p.add_argument("--waivers", type=Path, help="waivers YAML (check, hosts, justification, expires)")
    p.add_argument("--advisories", type=Path, metavar="PATH",
                   help="OSV advisory feed (directory, zip or JSON file, e.g. osv.dev's Debian all.zip) for the "
                        "patch-level checks; without it they are skipped")
    p.add_argument("--output", type=Path, default=Path("reports"), help="output folder [%(default)s]")
    p.add_argument("--format", action="extend", default=[], type=parse_formats, metavar="FORMAT[,FORMAT]",
                   help="reports written beside run.json: html, md, junit, sarif, csv (repeatable or "
                        "comma-separated; run.json is always written; see `hardencheck report --help`)")
    p.add_argument("--fail-on", choices=[*SEVERITIES, "none"], default="low",
                   help="exit 1 when a check of this severity or worse fails [%(default)s]")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hardencheck", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Audit POS terminals and Linux servers after a breach: declarative checks over SSH, "
                    "on this machine, or on a configuration repository, with evidence for every verdict.")
    parser.add_argument("--version", action="version", version=f"hardencheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="audit targets and write a run", epilog=EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          description="Audit targets: `local`, `dir:PATH`, `[user@]host[:port]`, a "
                                      "~/.ssh/config alias, or `net:ADDRESS|CIDR|FIRST-LAST` (network "
                                      "only, no SSH); plus every host of --inventory.")
    scan.add_argument("targets", nargs="*", metavar="TARGET")
    scan.add_argument("--inventory", "-I", type=Path, action="append", default=[],
                      help="inventory (hardencheck YAML, Ansible YAML or Ansible INI)")
    scan.add_argument("--limit", action="append", default=[], metavar="PATTERN",
                      help="only inventory hosts or groups matching PATTERN (glob)")
    _common_selection(scan)
    scan.add_argument("--parallel", "-j", type=int, default=8, help="hosts audited at once [%(default)s]")
    scan.add_argument("--timeout", type=float, default=120.0,
                      help="per-host limit in seconds for collecting facts [%(default)s]")
    scan.add_argument("--connect-timeout", type=float, default=10.0, help="SSH connect/auth timeout [%(default)s]")
    scan.add_argument("--known-hosts", type=Path, action="append", default=[],
                      help="known_hosts file(s) to verify host keys against [~/.ssh/known_hosts]")
    scan.add_argument("--trust-on-first-use", action="store_true",
                      help="accept (and remember) unknown host keys; changed keys are still refused")
    scan.add_argument("--ssh-config", type=Path, default=Path("~/.ssh/config"), help="[%(default)s]")
    scan.add_argument("--identity", "-i", type=Path, action="append", default=[], help="SSH private key")
    scan.add_argument("--user", "-u", help="SSH user for targets that do not name one")
    scan.add_argument("--no-agent", action="store_true", help="do not use ssh-agent keys")
    scan.add_argument("--sudo", action="store_true",
                      help="collect facts as root through `sudo -n` where allowed (asked once per host)")
    scan.add_argument("--asset-class", help="asset class for command-line targets (e.g. pos-terminal, server)")
    scan.add_argument("--map", action="append", default=[], metavar="REPO_PATH=TARGET_PATH",
                      help="for dir: targets, which repository file stands for which target path (repeatable)")
    add_network_arguments(scan)

    ev = sub.add_parser("evaluate", help="re-evaluate a stored run's facts with today's checks (no host contacted)")
    ev.add_argument("run", type=Path, help="a run folder or its run.json")
    _common_selection(ev)

    for module in EXTRA_COMMANDS:
        import_module(f"hardencheck.commands.{module}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from hardencheck.transport.ssh import route_paramiko_logs

    route_paramiko_logs()
    try:
        if args.command == "scan":
            from hardencheck.commands.scan import cmd_scan
            return cmd_scan(args, sys.argv if argv is None else ["hardencheck", *argv])
        if args.command == "evaluate":
            from hardencheck.commands.scan import cmd_evaluate
            return cmd_evaluate(args)
        return int(args.func(args))
    except SourceErrorList as exc:
        for err in exc.errors:
            print(f"error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `hardencheck checks list | head`
        sys.stderr.close()
        return EXIT_OK


def print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))
