"""Network fact collection for one scan: nmap runs in the background while SSH collection goes on.

A :class:`NetworkSession` is started with every target of the run before any
SSH work begins. It merges what the selected network probes need into one nmap
invocation per batch of hosts (``--net-batch``, default 64: one nmap for a
whole store), runs the batches on its own threads, and hands each host's scan
over the moment nmap writes it. The engine's per-host pipeline then calls
:meth:`NetworkSession.records_for` after its SSH collection and merges the
network :class:`FactRecord` objects into the same host result, under the same
target identity.

Nothing here raises for a target's sake: nmap missing, a failed or killed
nmap, an unresolvable name or a host nmap gave up on become ``error`` records
with the reason (checks reading them are ``error``), and targets that cannot
have a network view (config directories, ``--network off``) get
``not-applicable`` ones (checks ``skipped``).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hardencheck.facts.base import FactUnavailable, Probe
from hardencheck.facts.model import FactRecord, ParsedFact
from hardencheck.facts.probes.net_scan import NetScanProbe
from hardencheck.inventory.model import Target
from hardencheck.network.nmap_xml import HostScan, RunInfo
from hardencheck.network.probe import NetworkProbe, NmapNeeds, ScanContext, is_network_probe, source_of
from hardencheck.network.runner import NmapConfig, NmapUnavailable, build_argv, is_root, locate_nmap, run_nmap

NETWORK_MODES = ("auto", "off", "only")
NO_NETWORK_VIEW = "a configuration directory has no network presence"
NETWORK_OFF = "network scanning is off (--network off)"


@dataclass(frozen=True)
class NetworkOptions:
    """``mode``: ``auto`` scans from the network when selected checks need it, ``off`` never,
    ``only`` scans from the network and skips SSH on every target."""

    mode: str = "auto"
    nmap: NmapConfig = field(default_factory=NmapConfig)
    batch_size: int = 64
    parallel: int = 1


def split_probes(probes: Mapping[str, tuple[Probe, dict[str, Any]]]
                 ) -> tuple[dict[str, tuple[Probe, dict[str, Any]]], dict[str, tuple[NetworkProbe, dict[str, Any]]]]:
    """(host probes, network probes) of a plan."""
    host = {n: v for n, v in probes.items() if not is_network_probe(v[0])}
    net = {n: v for n, v in probes.items() if is_network_probe(v[0])}
    return host, net  # type: ignore[return-value]


def network_warnings(probes: Mapping[str, tuple[Probe, dict[str, Any]]], options: NetworkOptions) -> list[str]:
    """Said once, before the scan: network checks are selected but nmap cannot run or UDP is not allowed."""
    _, net = split_probes(probes)
    if not net or options.mode == "off":
        return []
    out = []
    try:
        locate_nmap(options.nmap.nmap_path)
    except NmapUnavailable as exc:
        out.append(f"{exc}; network checks will end in error, host checks still run")
    if options.nmap.udp and not is_root():
        out.append("--net-udp needs root (raw sockets); UDP ports will not be scanned")
    return out


class _Slot:
    """One scanned address: filled once by the batch that scans it."""

    def __init__(self, address: str):
        self.address = address
        self.done = threading.Event()
        self.scan: HostScan | None = None
        self.error = ""
        self.argv: list[str] = []
        self.info = RunInfo()
        self.warnings: tuple[str, ...] = ()
        self.received_at = 0.0


class NetworkSession:
    """Background nmap scanning for the targets of one run (see the module docstring)."""

    def __init__(self, probes: Mapping[str, tuple[Probe, dict[str, Any]]], options: NetworkOptions):
        _, net = split_probes(probes)
        net.setdefault("net_scan", (NetScanProbe(), {}))
        self.probes = net
        self.options = options
        self.needs = NmapNeeds()
        for probe, opts in net.values():
            self.needs = self.needs.merge(probe.needs(opts))
        self._slots: dict[str, _Slot] = {}
        self._by_target: dict[str, _Slot | FactRecord] = {}
        self._cancelled = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    # ---- starting -------------------------------------------------------------------

    def start(self, targets: Iterable[Target]) -> NetworkSession:
        """Resolve the targets' addresses and start scanning them in batches; returns at once."""
        targets = list(targets)
        if "net_ssh" in self.probes:  # an SSH target's own port is an SSH port to enumerate
            extra = frozenset(t.port for t in targets if t.transport == "ssh" and t.port)
            self.needs = self.needs.merge(NmapNeeds(tcp_ports=extra))
        try:
            binary, version = locate_nmap(self.options.nmap.nmap_path) if self.options.mode != "off" else ("", "")
            unavailable = ""
        except NmapUnavailable as exc:
            binary, version, unavailable = "", "", str(exc)
        order: dict[str, None] = {}  # addresses in target order, each once
        for t in targets:
            outcome = self._place(t, unavailable)
            self._by_target[t.name] = outcome
            if isinstance(outcome, _Slot):
                order[outcome.address] = None
        if not order:
            return self
        batches = self._batches(list(order))
        self._pool = ThreadPoolExecutor(max_workers=max(1, self.options.parallel), thread_name_prefix="nmap")
        for batch in batches:
            self._pool.submit(self._run_batch, binary, version, batch)
        return self

    def _place(self, target: Target, unavailable: str) -> _Slot | FactRecord:
        if self.options.mode == "off":
            return FactRecord("", "not-applicable", NETWORK_OFF)
        if target.transport == "dir":
            return FactRecord("", "not-applicable", NO_NETWORK_VIEW)
        if unavailable:
            return FactRecord("", "error", unavailable)
        name = str(target.vars.get("net_address") or target.address or target.name)
        try:
            address = resolve(name)
        except OSError as exc:
            return FactRecord("", "error", f"cannot resolve {name!r} for the network scan ({exc})")
        with self._lock:
            return self._slots.setdefault(address, _Slot(address))

    def _batches(self, order: list[str]) -> list[list[str]]:
        size = max(1, self.options.batch_size)
        v4 = [a for a in order if ipaddress.ip_address(a).version == 4]
        v6 = [a for a in order if ipaddress.ip_address(a).version == 6]
        return [group[i:i + size] for group in (v4, v6) for i in range(0, len(group), size)]

    def _run_batch(self, binary: str, version: str, batch: list[str]) -> None:
        slots = [self._slots[a] for a in batch]
        try:
            if self._cancelled.is_set():
                raise _Stop("the network scan was interrupted")
            ipv6 = ipaddress.ip_address(batch[0]).version == 6
            argv, warnings = build_argv(binary, self.options.nmap, self.needs, batch, ipv6)
            deadline = time.monotonic() + self.options.nmap.host_timeout * 1.25 + 60
            bad: list[str] = []
            info = RunInfo(version=version, args=" ".join(argv))

            def deliver(host: HostScan | None, error: str) -> None:
                if host is None:
                    bad.append(error)
                    return
                slot = self._slots.get(host.address)
                if slot is None or slot.done.is_set():
                    return
                slot.scan, slot.argv, slot.warnings, slot.received_at = host, argv, tuple(warnings), time.time()
                slot.info = info
                slot.done.set()

            outcome = run_nmap(argv, deliver, deadline, self._cancelled)
            problem = outcome.problem() + (f"; unparseable host output: {bad[0]}" if bad else "")
            for slot in slots:
                if not slot.done.is_set():
                    slot.error, slot.argv = problem, argv
                    slot.done.set()
        except _Stop as exc:
            self._fail(slots, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug here must cost the network facts, not the run
            self._fail(slots, f"internal error in the network scan: {type(exc).__name__}: {exc}")

    @staticmethod
    def _fail(slots: list[_Slot], reason: str) -> None:
        for slot in slots:
            if not slot.done.is_set():
                slot.error = reason
                slot.done.set()

    # ---- results --------------------------------------------------------------------

    def ready(self, target: Target) -> bool:
        """Whether :meth:`records_for` would return at once."""
        placed = self._by_target.get(target.name)
        return not isinstance(placed, _Slot) or placed.done.is_set()

    def wait_ready(self, target: Target, timeout: float) -> bool:
        placed = self._by_target.get(target.name)
        return placed.done.wait(timeout) if isinstance(placed, _Slot) else True

    def records_for(self, target: Target) -> dict[str, FactRecord]:
        """The network facts of ``target``, waiting for its scan if needed (never raises)."""
        placed = self._by_target.get(target.name)
        if placed is None:
            placed = FactRecord("", "error", "this target was not part of the network scan")
        if isinstance(placed, FactRecord):
            return {n: FactRecord(n, placed.status, placed.reason) for n in self.probes}
        while not placed.done.wait(0.25):
            if self._cancelled.is_set():
                break
        if not placed.done.is_set():
            return {n: FactRecord(n, "error", "the network scan was interrupted") for n in self.probes}
        if placed.scan is None:
            return {n: FactRecord(n, "error", placed.error, sources=self._base_sources(placed))
                    for n in self.probes}
        return self._parse(placed)

    def _parse(self, slot: _Slot) -> dict[str, FactRecord]:
        assert slot.scan is not None
        ctx = ScanContext(address=slot.address, scan_type="syn" if "-sS" in slot.argv else "connect",
                          udp_scanned="-sU" in slot.argv, now_epoch=slot.received_at,
                          nmap_version=slot.info.version, nmap_args=" ".join(slot.argv), warnings=slot.warnings)
        base = self._base_sources(slot)
        out: dict[str, FactRecord] = {}
        for name, (probe, opts) in self.probes.items():
            try:
                fact = probe.parse_scan(slot.scan, ctx, opts)
            except FactUnavailable as exc:
                out[name] = FactRecord(name, "not-applicable" if exc.not_applicable else "error", exc.reason,
                                       sources=base)
                continue
            except Exception as exc:  # noqa: BLE001 - hostile scan output costs one fact, never the host
                out[name] = FactRecord(name, "error", f"the {name} parser failed on this host's scan "
                                                      f"({type(exc).__name__})", sources=base)
                continue
            out[name] = FactRecord(name, "ok", fact=fact, sources=_with_locations(base, fact, slot))
        return out

    @staticmethod
    def _base_sources(slot: _Slot) -> dict[str, dict[str, Any]]:
        scan = slot.scan
        entry: dict[str, Any] = {"kind": "nmap", "argv": list(slot.argv), "nmap_version": slot.info.version,
                                 "status": "ok" if scan is not None else "error", "sha256": None, "bytes": 0}
        if scan is not None:
            entry.update(status="timed-out" if scan.timed_out else "ok", sha256=scan.sha256, bytes=len(scan.xml),
                         kept_in="net_scan.xml")
        return {source_of(slot.address): entry}

    # ---- stopping -------------------------------------------------------------------

    def cancel(self) -> None:
        """Kill running nmap processes; hosts still waiting get an ``interrupted`` error at once."""
        self._cancelled.set()
        self.close(wait=False)

    def close(self, wait: bool = True) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            if not wait:
                self._cancelled.set()
            pool.shutdown(wait=wait, cancel_futures=not wait)
        if not wait:
            self._fail([s for s in self._slots.values()], "the network scan was interrupted")


class _Stop(Exception):
    pass


def _with_locations(base: dict[str, dict[str, Any]], fact: ParsedFact, slot: _Slot) -> dict[str, dict[str, Any]]:
    """Every location source gets an entry carrying the host XML's sha256, so evidence shows it."""
    out = dict(base)
    main = source_of(slot.address)
    for loc in fact.locations.values():
        if loc.source not in out:
            out[loc.source] = {"kind": "nmap", "of": main, "status": base[main]["status"],
                               "sha256": base[main]["sha256"]}
    return out


def resolve(name: str) -> str:
    """An address for nmap: IP literals as they are, names through the resolver (IPv4 first)."""
    try:
        return str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        pass
    infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    if not infos:
        raise OSError("no address")
    infos.sort(key=lambda i: 0 if i[0] == socket.AF_INET else 1)
    return str(infos[0][4][0])
