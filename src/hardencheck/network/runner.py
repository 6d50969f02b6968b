"""Run the nmap binary: find it, build its argument vector, stream its XML out host by host.

python-nmap finds and version-checks the binary (its ``PortScanner`` runs
``nmap -V`` along its search path); the scan itself is run here rather than
through ``PortScanner.scan`` because a per-host result must be handed on the
moment nmap writes it, the process must be killable on a deadline or an
interrupt, and the raw XML bytes are evidence (python-nmap keeps a decoded
string and flattens script output).
"""

from __future__ import annotations

import ipaddress
import math
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from hardencheck.network.nmap_xml import HostScan, NmapStream, RunInfo
from hardencheck.network.probe import NmapNeeds, port_spec

SCAN_TYPES = ("auto", "syn", "connect")
#: Options that would move nmap's output away from us, read targets from elsewhere, or not scan.
_FORBIDDEN = ("-oN", "-oX", "-oS", "-oG", "-oA", "-oM", "-iL", "-iR", "--resume", "--stylesheet", "--webxml",
              "--append-output", "--excludefile", "-V", "--version", "-h", "--help", "--iflist", "--script-help",
              "--script-updatedb", "-sL", "-sn", "--interactive")
STDERR_KEPT = 16 * 1024


class NmapUnavailable(Exception):
    """nmap is missing or unusable: network facts are ``error`` with this reason, host checks still run."""


@dataclass(frozen=True)
class NmapConfig:
    """How nmap runs, from the command line; what it scans comes from the probes' :class:`NmapNeeds`."""

    scan_type: str = "auto"  # auto: SYN scan when root (raw sockets), TCP connect scan otherwise
    timing: int | None = 4  # -T0..5
    max_rate: float | None = None  # packets per second, --max-rate
    min_rate: float | None = None
    host_timeout: float = 300.0  # seconds per host (--host-timeout)
    udp: bool = False  # allow UDP scanning (-sU, root only)
    extra_args: tuple[str, ...] = ()  # --nmap-args, checked by check_extra_args
    nmap_path: str | None = None

    def effective_scan_type(self) -> str:
        if self.scan_type != "auto":
            return self.scan_type
        return "syn" if is_root() else "connect"


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def check_extra_args(text: str) -> tuple[str, ...]:
    """Split ``--nmap-args`` and refuse what would break the scan or add targets; raises ValueError."""
    try:
        args = tuple(shlex.split(text))
    except ValueError as exc:
        raise ValueError(f"--nmap-args: {exc}") from None
    for arg in args:
        if any(arg == f or (arg.startswith(f) and f.startswith("-o")) for f in _FORBIDDEN):
            raise ValueError(f"--nmap-args: {arg} is not allowed (hardencheck reads nmap's XML on stdout "
                             "and chooses the targets)")
        if not arg.startswith("-") and _looks_like_target(arg):
            raise ValueError(f"--nmap-args: {arg!r} looks like a target; give targets as TARGET or in the inventory")
    return args


def _looks_like_target(arg: str) -> bool:
    for candidate in (arg, arg.split("-")[0]):
        try:
            ipaddress.ip_network(candidate, strict=False)
            return True
        except ValueError:
            continue
    return False


@lru_cache(maxsize=8)
def locate_nmap(path: str | None = None) -> tuple[str, str]:
    """``(absolute path, version)`` of the nmap binary; raises :class:`NmapUnavailable` with a fix."""
    try:
        import nmap  # python-nmap
    except ImportError as exc:
        raise NmapUnavailable("the python-nmap package is not installed (pip install python-nmap)") from exc
    search = (path,) if path else ("nmap", "/usr/bin/nmap", "/usr/local/bin/nmap", "/opt/local/bin/nmap")
    try:
        scanner = nmap.PortScanner(nmap_search_path=search)
    except nmap.PortScannerError as exc:
        where = path or "PATH"
        raise NmapUnavailable(f"nmap was not found ({where}): install it (apt-get install nmap) or give "
                              f"--nmap PATH ({str(exc).strip()[:200]})") from None
    found = getattr(scanner, "_nmap_path", path or "nmap")
    version = ".".join(str(v) for v in scanner.nmap_version())
    return shutil.which(found) or found, version


def build_argv(binary: str, config: NmapConfig, needs: NmapNeeds, addresses: Sequence[str],
               ipv6: bool = False) -> tuple[list[str], list[str]]:
    """nmap's argument vector for one batch, and warnings about what could not be honoured."""
    warnings: list[str] = []
    scan_type = config.effective_scan_type()
    udp = bool(config.udp and needs.udp_ports)
    if udp and not is_root():
        warnings.append("UDP scanning needs root; UDP ports were not scanned")
        udp = False
    argv = [binary, "-oX", "-", "-n", "-Pn", "--noninteractive"]
    if not needs.tcp_ports and not udp:
        argv.append("-sn")
    else:
        ports = []
        if needs.tcp_ports:
            argv.append("-sS" if scan_type == "syn" else "-sT")
            ports.append("T:" + port_spec(needs.tcp_ports))
        if udp:
            argv.append("-sU")
            ports.append("U:" + port_spec(needs.udp_ports))
        argv += ["-p", ",".join(ports)]
        if needs.version_detection:
            argv.append("-sV")
        if needs.scripts:
            argv += ["--script", ",".join(sorted(needs.scripts))]
        if needs.script_args:
            argv += ["--script-args", ",".join(f"{k}={v}" for k, v in needs.script_args)]
    if config.timing is not None:
        argv.append(f"-T{config.timing}")
    if config.max_rate:
        argv += ["--max-rate", f"{config.max_rate:g}"]
    if config.min_rate:
        argv += ["--min-rate", f"{config.min_rate:g}"]
    argv += ["--host-timeout", f"{max(1, math.ceil(config.host_timeout))}s"]
    if len(addresses) > 1:
        argv += ["--min-hostgroup", str(len(addresses))]
    if ipv6:
        argv.append("-6")
    argv += list(config.extra_args)
    argv += list(addresses)  # resolved IP addresses: never mistaken for options
    return argv, warnings


@dataclass
class NmapOutcome:
    """How one nmap process ended."""

    info: RunInfo
    returncode: int | None
    stderr: str
    duration: float
    killed: str = ""  # why we killed it ("deadline", "cancelled"), empty if it ended by itself
    bad_hosts: list[str] = field(default_factory=list)

    def problem(self) -> str:
        """A one-line reason for hosts nmap never reported, or ''."""
        if self.killed:
            return f"nmap was stopped ({self.killed}) before it reported this host"
        tail = " ".join(self.stderr.split())[-300:]
        if self.returncode not in (0, None) or self.info.exit == "error":
            return (f"nmap failed (exit status {self.returncode}"
                    f"{': ' + self.info.errormsg if self.info.errormsg else ''}){': ' + tail if tail else ''}")
        return f"nmap did not report this host{': ' + tail if tail else ''}"


def run_nmap(argv: list[str], on_host: Callable[[HostScan | None, str], None], deadline: float,
             cancelled: threading.Event) -> NmapOutcome:
    """Run nmap, calling ``on_host`` for each ``<host>`` as it is written; never raises for nmap's faults."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        return NmapOutcome(RunInfo(), None, f"could not start nmap: {exc}", 0.0)
    assert proc.stdout is not None and proc.stderr is not None
    errors: list[bytes] = []
    err_thread = threading.Thread(target=_drain, args=(proc.stderr, errors), daemon=True)
    err_thread.start()
    stream = NmapStream()
    killed = ""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        fd = proc.stdout.fileno()
        while True:
            if cancelled.is_set():
                killed = "cancelled"
            elif time.monotonic() > deadline:
                killed = "deadline"
            if killed:
                _kill(proc)
                break
            if not sel.select(timeout=0.2):
                continue
            data = os.read(fd, 1 << 16)
            if not data:
                break
            for host, error in stream.feed(data):
                on_host(host, error)
    returncode = proc.wait()
    proc.stdout.close()
    err_thread.join(timeout=5)
    return NmapOutcome(stream.close(), returncode, b"".join(errors).decode("utf-8", "replace")[-STDERR_KEPT:],
                       time.monotonic() - started, killed)


def _drain(pipe: object, out: list[bytes]) -> None:
    size = 0
    for line in iter(pipe.readline, b""):  # type: ignore[attr-defined]
        if size < STDERR_KEPT:
            out.append(line)
            size += len(line)
    pipe.close()  # type: ignore[attr-defined]


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
