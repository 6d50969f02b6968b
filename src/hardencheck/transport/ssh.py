"""The ``ssh`` transport (paramiko), strict about host keys.

Host keys are checked against known_hosts; an unknown or changed key is a
:class:`HostKeyError` and the host becomes an ``error`` result. Trust on first
use is only done when explicitly asked for, and the fingerprint used is
always recorded. ``~/.ssh/config`` is honoured (aliases, HostName, User, Port,
IdentityFile, UserKnownHostsFile, ProxyJump), so hardencheck reaches hosts
the way the operator's own ``ssh`` does.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from hardencheck.transport.base import CommandResult, HostKeyError, Transport, TransportError, sudo_wrapper

_tofu_lock = threading.Lock()


@dataclass(frozen=True)
class SshOptions:
    """How to reach SSH targets; shared by every host of a run."""

    known_hosts: tuple[Path, ...] = ()
    trust_on_first_use: bool = False
    connect_timeout: float = 10.0
    ssh_config: Path | None = Path("~/.ssh/config")
    identity_files: tuple[Path, ...] = ()
    allow_agent: bool = True
    look_for_keys: bool = True


@dataclass
class SshEndpoint:
    """Where and as whom to connect, after ``~/.ssh/config`` has been applied."""

    hostname: str
    port: int = 22
    user: str = "root"
    identity_files: list[str] = field(default_factory=list)
    known_hosts: list[str] = field(default_factory=list)
    proxy_jump: str | None = None


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style ``SHA256:...`` fingerprint of a host key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def resolve_endpoint(alias: str, user: str | None, port: int | None, options: SshOptions) -> SshEndpoint:
    """Apply ``~/.ssh/config`` to ``alias``; explicit user/port (CLI, inventory) win over it."""
    cfg: dict[str, Any] = {}
    if options.ssh_config is not None:
        path = options.ssh_config.expanduser()
        if path.is_file():
            cfg = paramiko.SSHConfig.from_path(str(path)).lookup(alias)
    endpoint = SshEndpoint(
        hostname=cfg.get("hostname", alias),
        port=int(port or cfg.get("port", 22)),
        user=user or cfg.get("user") or "root",
        identity_files=[os.path.expanduser(p) for p in cfg.get("identityfile", [])],
        known_hosts=[os.path.expanduser(p) for p in str(cfg.get("userknownhostsfile", "")).split() if p],
        proxy_jump=None if cfg.get("proxyjump", "none").lower() == "none" else cfg.get("proxyjump"),
    )
    return endpoint


_known_hosts_cache: dict[tuple[str, int, int], list[Any]] = {}
_known_hosts_lock = threading.Lock()


def _known_hosts(path: Path) -> list[Any]:
    """Parsed known_hosts entries, read once per file version rather than once per host.

    A fleet's known_hosts holds thousands of lines; parsing it for every connection made
    start-up cost grow with the square of the fleet. Keyed by mtime and size, so a key added
    by trust-on-first-use is seen by the next connection.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return []
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _known_hosts_lock:
        if key not in _known_hosts_cache:
            keys = paramiko.HostKeys()
            try:
                keys.load(str(path))
            except (OSError, paramiko.SSHException) as exc:
                raise TransportError(f"cannot read known_hosts {path}: {exc}") from exc
            _known_hosts_cache[key] = list(keys._entries)
        return _known_hosts_cache[key]


class _RecordingPolicy(paramiko.MissingHostKeyPolicy):
    """Unknown host key: refuse, or with trust-on-first-use accept and remember it."""

    def __init__(self, tofu: bool, known_hosts_file: Path | None):
        self.tofu = tofu
        self.known_hosts_file = known_hosts_file
        self.accepted = False

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if not self.tofu:
            raise HostKeyError(
                f"unknown host key {key.get_name()} {fingerprint(key)} for {hostname}: not in known_hosts "
                "(add it after verifying it out of band, or pass --trust-on-first-use)"
            )
        self.accepted = True
        if self.known_hosts_file is not None:
            with _tofu_lock, open(self.known_hosts_file, "a") as fh:
                fh.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")


class SshTransport(Transport):
    """One paramiko connection per host; the collector runs in one exec channel."""

    @classmethod
    def kind(cls) -> str:
        return "ssh"

    def __init__(self, alias: str, options: SshOptions, user: str | None = None, port: int | None = None,
                 identity_files: list[str] | None = None):
        super().__init__()
        self.alias = alias
        self.options = options
        self.endpoint = resolve_endpoint(alias, user, port, options)
        if identity_files:
            self.endpoint.identity_files = list(identity_files) + self.endpoint.identity_files
        self.info.address = f"{self.endpoint.hostname}:{self.endpoint.port}"
        self.info.user = self.endpoint.user
        self._client: paramiko.SSHClient | None = None
        self._jump: SshTransport | None = None

    def _known_hosts_files(self) -> list[Path]:
        files = [Path(p) for p in self.endpoint.known_hosts] or list(self.options.known_hosts)
        if not files:
            files = [Path("~/.ssh/known_hosts").expanduser()]
        return files

    def _socket(self) -> Any:
        """A TCP socket with Nagle off (each exec otherwise waits ~40 ms for a delayed ACK), or a jump channel."""
        ep = self.endpoint
        if ep.proxy_jump:
            jump_alias = ep.proxy_jump.split(",")[0]
            jump_user, _, jump_host = jump_alias.rpartition("@")
            jump_host, _, jump_port = jump_host.partition(":")
            self._jump = SshTransport(jump_host, self.options, user=jump_user or None,
                                      port=int(jump_port) if jump_port else None)
            self._jump.open()
            assert self._jump._client is not None
            jt = self._jump._client.get_transport()
            assert jt is not None
            return jt.open_channel("direct-tcpip", (ep.hostname, ep.port), ("127.0.0.1", 0),
                                   timeout=self.options.connect_timeout)
        sock = socket.create_connection((ep.hostname, ep.port), timeout=self.options.connect_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def open(self) -> None:
        ep = self.endpoint
        client = paramiko.SSHClient()
        known = self._known_hosts_files()
        for f in known:
            client.get_host_keys()._entries.extend(_known_hosts(f.expanduser()))
        policy = _RecordingPolicy(self.options.trust_on_first_use, known[0].expanduser() if known else None)
        client.set_missing_host_key_policy(policy)
        keys = [*map(str, self.options.identity_files), *ep.identity_files]
        try:
            sock = self._socket()
            client.connect(
                ep.hostname, port=ep.port, username=ep.user, sock=sock,
                key_filename=[k for k in keys if os.path.exists(k)] or None,
                allow_agent=self.options.allow_agent, look_for_keys=self.options.look_for_keys,
                timeout=self.options.connect_timeout, banner_timeout=self.options.connect_timeout,
                auth_timeout=self.options.connect_timeout,
            )
        except HostKeyError:
            self.close()
            raise
        except paramiko.BadHostKeyException as exc:
            self.close()
            raise HostKeyError(
                f"host key CHANGED for {ep.hostname}: got {exc.key.get_name()} {fingerprint(exc.key)}, "
                f"known_hosts has {fingerprint(exc.expected_key)} — refusing (possible interception)"
            ) from exc
        except paramiko.AuthenticationException as exc:
            self.close()
            raise TransportError(f"authentication refused for {ep.user}@{ep.hostname}: {exc}") from exc
        except (OSError, paramiko.SSHException, EOFError) as exc:
            self.close()
            raise TransportError(f"cannot connect to {ep.hostname}:{ep.port}: {exc or type(exc).__name__}") from exc
        self._client = client
        transport = client.get_transport()
        assert transport is not None
        key = transport.get_remote_server_key()
        self.info.host_key_fingerprint = fingerprint(key)
        self.info.host_key_type = key.get_name()
        self.info.host_key_trust = "trust-on-first-use" if policy.accepted else "known_hosts"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._jump is not None:
            self._jump.close()
            self._jump = None

    def run_script(self, script: str, *, timeout: float, max_bytes: int, use_sudo: bool = False) -> CommandResult:
        if self._client is None:
            raise TransportError("not connected")
        transport = self._client.get_transport()
        assert transport is not None
        started = time.monotonic()
        chan = transport.open_session(timeout=timeout)
        self.info.channels_opened += 1
        try:
            chan.exec_command("sh -c '" + sudo_wrapper().replace("'", "'\\''") + "'" if use_sudo else "sh -s")
            chan.sendall(script.encode())
            chan.shutdown_write()
            return _read_channel(chan, started, timeout, max_bytes)
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise TransportError(f"collector failed on {self.endpoint.hostname}: {exc}") from exc
        finally:
            chan.close()


def _read_channel(chan: paramiko.Channel, started: float, timeout: float, max_bytes: int) -> CommandResult:
    """Read stdout and stderr until exit, the deadline or the byte cap, whichever comes first."""
    out, err = bytearray(), bytearray()
    deadline = started + timeout
    timed_out = truncated = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        select.select([chan], [], [], min(remaining, 1.0))
        got = False
        while chan.recv_ready():
            out += chan.recv(65536)
            got = True
        while chan.recv_stderr_ready():
            err += chan.recv_stderr(65536)
            got = True
        if len(out) + len(err) > max_bytes:
            truncated = True
            break
        if not got and chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
            break
        if not got and chan.closed:
            break
    status = chan.recv_exit_status() if chan.exit_status_ready() else None
    return CommandResult(bytes(out[:max_bytes]), bytes(err[:max_bytes]), status, timed_out, truncated,
                         time.monotonic() - started)


class _EscapingFilter(logging.Filter):
    """paramiko logs a target's banner before login: escape it like everything else a host sends."""

    def filter(self, record: logging.LogRecord) -> bool:
        from hardencheck.results.redact import terminal_safe

        record.msg = terminal_safe(record.getMessage())
        record.args = ()
        return True


def route_paramiko_logs() -> None:
    """Make paramiko's logger quiet and escaped; call once from the CLI."""
    logger = logging.getLogger("paramiko")
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _EscapingFilter) for f in logger.filters):
        logger.addFilter(_EscapingFilter())
