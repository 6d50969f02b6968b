"""A fleet of real OpenSSH hosts on this machine, for hardencheck's integration tests.

Each host is a mount/UTS/PID namespace whose root is an overlay of an *image* over the
machine's ``/`` and whose PID 1 is the machine's real ``/usr/sbin/sshd``, listening on its own
loopback address (``127.77.0.1``, ``127.77.0.2``...). Killing that PID 1 removes the host
with everything it mounted and ran. See README.md for the design and its limits.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from .images import IMAGES_DIR, Image, load_image, stage_image
from .keys import HOST_NAME_RE, KeyStore, public_key
from .tree import make_parents, mirror_metadata, relative, whiteout

DEFAULT_KEY_CACHE = Path("/tmp/hardencheck-fleet-keys")
START_SCRIPT = Path(__file__).resolve().parent / "start-host.sh"
#: Where each host finds the fleet's authorized_keys (its private /run, outside any image).
AUTHORIZED_KEYS = "/run/hardencheck-fleet/authorized_keys"
#: What a Debian root directory holds; anything else at the machine's ``/`` (``/.dockerenv``,
#: workspaces, sandbox files) is hidden from hosts: it says "container" or is plain clutter.
FHS_ROOT = {"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32",
            "lost+found", "media", "mnt", "opt", "proc", "root", "run", "sbin", "srv", "sys",
            "tmp", "usr", "var"}
#: Machine directories a host sees empty unless its image fills them: the machine's homes
#: hold tool chains (root's .bashrc runs pyenv on every command) and tokens, its temp dirs
#: other programs' files (and the fleet's own work and key directories).
ALWAYS_OPAQUE = ("/root", "/home", "/tmp", "/var/tmp")
#: Debian's pristine dot files for root, from base-files, used unless the image brings its own.
ROOT_DOT_FILES = {".bashrc": "/usr/share/base-files/dot.bashrc",
                  ".profile": "/usr/share/base-files/dot.profile"}
_ALL_HOST_KEY_FILES = [f"ssh_host_{a}_key{s}" for a in ("rsa", "ecdsa", "ed25519", "dsa")
                       for s in ("", ".pub")]
_HOSTS_PER_OCTET = 250
#: One lock file per address base: a fleet holds ``flock`` on its base while it may run
#: hosts, so fleets of different processes (pytest runs, benchmarks) never share addresses.
#: The kernel drops the lock when the process dies, so a killed run frees its base.
LOCK_DIR = Path("/tmp/hardencheck-fleet-locks")
FIRST_AUTO_BASE = 77


class FleetError(RuntimeError):
    """A host could not be started or stopped; the message carries the host's log."""


@dataclass(frozen=True)
class FleetHost:
    """One started host, as a test sees it."""

    name: str
    """The fleet's name for the host (``weak-1``); also names its key cache and log."""
    image: str
    """The image it runs."""
    address: str
    """Its own loopback address; sshd listens on ``address:port`` only."""
    port: int
    """Always 22: every host owns a whole address."""
    hostname: str
    """What ``hostname`` and ``/etc/hostname`` say on the host."""


@dataclass
class _Host:
    """Fleet-internal state of one host, running or not."""

    public: FleetHost
    image: Image
    keys: list[Path]
    proc: subprocess.Popen[bytes] | None = None


class Fleet:
    """Start, stop and restart fleet hosts; a context manager that always cleans up.

    Call :meth:`start` from a thread that outlives the hosts (normally the main thread):
    each host is tied to the starting thread with ``PR_SET_PDEATHSIG`` so that a crashed
    test run cannot leave hosts behind.
    """

    def __init__(self, workdir: Path, key_cache: Path | None = None,
                 base: str | None = "127.77", images_dir: Path = IMAGES_DIR,
                 ready_timeout: float = 30.0) -> None:
        """Prepare a fleet and claim its address base; nothing runs until :meth:`start`.

        ``workdir`` receives staged images, per-host layers and logs, and ``known_hosts``;
        ``key_cache`` (default /tmp/hardencheck-fleet-keys) keeps host keys across runs;
        ``base`` ("127.N") is the address range, ``None`` for the first one no other fleet
        holds (from 127.77 up); ``ready_timeout`` bounds the wait for every host's banner.
        Raises :class:`FleetError` if another live fleet holds ``base``.
        """
        if base is not None and not _valid_base(base):
            raise ValueError(f"base must look like '127.N' with N in 1..255, got {base!r}")
        self.workdir = Path(workdir).resolve()
        self._base_lock: IO[bytes] | None
        self.base, self._base_lock = _claim_base(base)
        self.images_dir = images_dir
        self.ready_timeout = ready_timeout
        self.keys = KeyStore(Path(key_cache or DEFAULT_KEY_CACHE).resolve())
        self._hosts: dict[str, _Host] = {}
        self._staged: dict[str, Path] = {}
        self._next_index = 0
        self._atexit_registered = False
        self.workdir.mkdir(parents=True, exist_ok=True)

    # ---- public API -------------------------------------------------------------------

    @property
    def known_hosts(self) -> Path:
        """A known_hosts file with every host this fleet has started, by address (port 22)."""
        return self.workdir / "known_hosts"

    @property
    def client_key(self) -> Path:
        """The ed25519 private key that logs in as root on every host."""
        return self.keys.client_key()

    @property
    def hosts(self) -> list[FleetHost]:
        """Every host of this fleet, running or stopped, in start order."""
        return [h.public for h in self._hosts.values()]

    def host(self, name: str) -> FleetHost:
        """The host called ``name``."""
        return self._hosts[name].public

    def log_path(self, host: FleetHost | str) -> Path:
        """The host's sshd log (stderr of ``sshd -D -e`` and of its start script)."""
        return self._host_dir(_name(host)) / "sshd.log"

    def is_running(self, host: FleetHost | str) -> bool:
        """Whether the host's namespace is still alive."""
        proc = self._hosts[_name(host)].proc
        return proc is not None and proc.poll() is None

    def start(self, specs: Sequence[tuple[str, str]]) -> list[FleetHost]:
        """Start hosts given as ``(host_name, image_name)`` pairs; returns when all are ready.

        Raises :class:`FleetError` (with the host's log) if one does not come up; the hosts
        of this call are stopped again in that case.
        """
        images = self._check_specs(specs)
        new = [self._add_host(name, images[image]) for name, image in specs]
        self._prepare_keys(new)
        self._write_known_hosts()
        self._launch_and_wait(new)
        return [h.public for h in new]

    def stop_host(self, host: FleetHost | str) -> None:
        """Stop one host (kill its namespace); it stays known and can be restarted."""
        self._stop([self._hosts[_name(host)]])

    def restart_host(self, host: FleetHost | str, new_key: bool = False) -> FleetHost:
        """Restart one host, with its cached keys or, if ``new_key``, a fresh uncached key.

        ``known_hosts`` is not rewritten, so after ``new_key=True`` it still holds the old
        key: exactly the "host key changed" situation a client must refuse.
        """
        state = self._hosts[_name(host)]
        self._stop([state])
        if new_key:
            key_dir = self._host_dir(state.public.name) / "rotated-keys"
            state.keys = [self.keys.fresh_host_key(t, key_dir / t.spec)
                          for t in state.image.host_key_types]
        else:
            state.keys = [self.keys.host_key(state.public.name, t)
                          for t in state.image.host_key_types]
        self._launch_and_wait([state])
        return state.public

    def restart_with_new_key(self, host: FleetHost | str) -> FleetHost:
        """Shorthand for ``restart_host(host, new_key=True)``."""
        return self.restart_host(host, new_key=True)

    def stop(self) -> None:
        """Stop every host, check that none of their addresses answers, free the base."""
        self._stop(list(self._hosts.values()))
        if self._base_lock is not None:
            self._base_lock.close()
            self._base_lock = None
        if self._atexit_registered:
            atexit.unregister(self.stop)
            self._atexit_registered = False

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ---- adding hosts -----------------------------------------------------------------

    def _check_specs(self, specs: Sequence[tuple[str, str]]) -> dict[str, Image]:
        """Validate names and load images before any state changes; returns images by name."""
        names = [name for name, _image in specs]
        for name in names:
            if not HOST_NAME_RE.match(name):
                raise ValueError(f"invalid host name {name!r}")
        taken = sorted({n for n in names if n in self._hosts or names.count(n) > 1})
        if taken:
            raise ValueError(f"host name(s) used twice in this fleet: {taken}")
        return {image: load_image(image, self.images_dir) for _name, image in specs}

    def _add_host(self, name: str, image: Image) -> _Host:
        self._stage(image)
        address = self._address(self._next_index)
        self._next_index += 1
        public = FleetHost(name, image.name, address, 22, image.hostname_for(name))
        state = _Host(public, image, keys=[])
        self._hosts[name] = state
        return state

    def _address(self, index: int) -> str:
        """Host ``index`` -> ``<base>.<index // 250>.<index % 250 + 1>``."""
        high, low = divmod(index, _HOSTS_PER_OCTET)
        if high > 255:
            raise ValueError("address range exhausted")
        return f"{self.base}.{high}.{low + 1}"

    def _stage(self, image: Image) -> None:
        """Stage each image once per fleet, hiding the fleet's own directories from hosts."""
        if image.name in self._staged:
            return
        hidden = sorted({*_machine_clutter(), *self._own_dirs()})
        layer = stage_image(image, self.workdir / "images" / image.name, hidden, ALWAYS_OPAQUE)
        for name, source in ROOT_DOT_FILES.items():
            target = layer / "root" / name
            if not target.exists() and Path(source).is_file():
                shutil.copyfile(source, target)
        self._staged[image.name] = layer

    def _own_dirs(self) -> list[str]:
        """The fleet's work and key directories, where neither clutter nor opaque hides them."""
        root_dev = os.stat("/").st_dev
        return [str(d) for d in (self.workdir, self.keys.cache)
                if os.stat(d).st_dev == root_dev and not _covered(d)]

    def _prepare_keys(self, hosts: list[_Host]) -> None:
        """Fetch or generate host keys for all new hosts in parallel (ssh-keygen is slow)."""
        self.keys.client_key()
        jobs = [(h, t) for h in hosts for t in h.image.host_key_types]
        with ThreadPoolExecutor(max_workers=8) as pool:
            paths = list(pool.map(lambda job: self.keys.host_key(job[0].public.name, job[1]),
                                  jobs))
        for (host, _type), path in zip(jobs, paths, strict=True):
            host.keys.append(path)

    def _write_known_hosts(self) -> None:
        lines = []
        for state in self._hosts.values():
            for key_type in state.image.host_key_types:
                key = self.keys.host_key(state.public.name, key_type)
                lines.append(f"{state.public.address} {public_key(key)}\n")
        _write_atomic(self.known_hosts, "".join(lines))

    # ---- launching --------------------------------------------------------------------

    def _launch_and_wait(self, hosts: list[_Host]) -> None:
        if self._base_lock is None:  # started again after stop()
            self.base, self._base_lock = _claim_base(self.base)
        for state in hosts:
            _refuse_if_answering(state.public)
        run_layer = self._run_layer()
        for state in hosts:  # Popen from this thread: PDEATHSIG follows the parent thread
            self._launch(state, run_layer)
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        deadline = time.monotonic() + self.ready_timeout
        with ThreadPoolExecutor(max_workers=16) as pool:
            errors = [e for e in pool.map(lambda s: self._wait_ready(s, deadline), hosts) if e]
        if errors:
            self._stop(hosts)
            raise FleetError("\n\n".join(errors))

    def _run_layer(self) -> Path:
        """What every host gets in its private /run: the fleet's authorized_keys."""
        layer = self.workdir / "run"
        target = layer / relative(AUTHORIZED_KEYS).relative_to("run")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(layer, 0o755)
        _write_atomic(target, public_key(self.client_key) + " hardencheck-fleet\n")
        return layer

    def _launch(self, state: _Host, run_layer: Path) -> None:
        host_dir = self._host_dir(state.public.name)
        (host_dir / "mnt").mkdir(parents=True, exist_ok=True)
        self._write_host_layer(state, host_dir / "layer")
        release = host_dir / "kernel-release"  # start-host.sh binds it over /proc/sys/kernel/osrelease
        if state.image.kernel_release:
            release.write_text(state.image.kernel_release + "\n")
        else:
            release.unlink(missing_ok=True)
        cmd = ["setpriv", "--pdeathsig", "KILL", "--",
               "unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child",
               "--mount-proc", "--propagation", "private",
               "/bin/sh", str(START_SCRIPT), str(host_dir), str(self._staged[state.image.name]),
               str(run_layer), state.public.hostname, *self._sshd_args(state)]
        with open(host_dir / "sshd.log", "ab") as log:
            log.write(f"--- fleet: starting {state.public.name} at {time.ctime()}\n".encode())
            log.flush()
            state.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True,
                                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})

    def _write_host_layer(self, state: _Host, layer: Path) -> None:
        """Hostname and host keys of one host, and whiteouts for the machine's other keys."""
        if layer.exists():
            shutil.rmtree(layer)
        layer.mkdir(parents=True)
        hostname = make_parents(layer, relative("/etc/hostname"))
        hostname.write_text(state.public.hostname + "\n")
        ssh_dir = layer / "etc" / "ssh"
        ssh_dir.mkdir(exist_ok=True)
        mirror_metadata(layer, relative("/etc/ssh"))
        mirror_metadata(layer, relative("/"))
        for key in state.keys:
            shutil.copyfile(key, ssh_dir / key.name)
            shutil.copyfile(f"{key}.pub", ssh_dir / f"{key.name}.pub")
            os.chmod(ssh_dir / key.name, 0o600)
            os.chmod(ssh_dir / f"{key.name}.pub", 0o644)
        own = {p.name for p in ssh_dir.iterdir()}
        for file_name in _ALL_HOST_KEY_FILES:
            if file_name not in own:
                whiteout(layer, f"/etc/ssh/{file_name}")

    def _sshd_args(self, state: _Host) -> list[str]:
        """Overrides that let the fleet key in whatever the image's sshd_config says.

        sshd keeps the first value it sees for these options, and ``-o`` comes before the
        config file, so they win for the running daemon while ``sshd -T`` run on the host
        still reports the image's file. LogLevel is raised so the log explains failures.
        No HostKey: the keys sit at sshd's default paths (the machine's other keys are whited
        out) and images may only name those paths, so a HostKey here would only repeat one and
        make sshd offer every key twice.
        """
        options = [
            f"ListenAddress={state.public.address}:{state.public.port}",
            "PermitRootLogin=prohibit-password",
            "AuthenticationMethods=any",
            "PubkeyAuthentication=yes",
            f"AuthorizedKeysFile={AUTHORIZED_KEYS}",
            "StrictModes=no",
            "PidFile=none",
            "UsePAM=no",
            "LogLevel=INFO",
        ]
        return [arg for option in options for arg in ("-o", option)]

    def _wait_ready(self, state: _Host, deadline: float) -> str | None:
        """Wait for the SSH banner on the host's address; returns an error text or None."""
        public = state.public
        while time.monotonic() < deadline:
            assert state.proc is not None
            if state.proc.poll() is not None:
                return self._failure(state, f"exited with status {state.proc.returncode}")
            if _banner(public.address, public.port).startswith(b"SSH-2.0-"):
                return None
            time.sleep(0.05)
        return self._failure(state, f"sent no SSH banner within {self.ready_timeout:.0f} s")

    def _failure(self, state: _Host, what: str) -> str:
        log = self.log_path(state.public)
        tail = log.read_bytes()[-4000:].decode(errors="replace") if log.exists() else ""
        return (f"fleet host {state.public.name} ({state.public.image} at "
                f"{state.public.address}) {what}; {log}:\n{tail}")

    # ---- stopping ---------------------------------------------------------------------

    def _stop(self, hosts: Iterable[_Host]) -> None:
        """Kill each namespace's PID 1, reap, then prove the addresses are silent."""
        running = [h for h in hosts if h.proc is not None]
        for state in running:
            assert state.proc is not None
            _kill_namespace(state.proc)
        problems = []
        for state in running:
            assert state.proc is not None
            try:
                state.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                state.proc.kill()
                state.proc.wait(timeout=10)
            state.proc = None
            if _banner(state.public.address, state.public.port, timeout=0.5):
                problems.append(f"{state.public.name}: {state.public.address} still answers")
        if problems:
            raise FleetError("hosts left behind after stop: " + "; ".join(problems))

    def _host_dir(self, name: str) -> Path:
        return self.workdir / "hosts" / name


def _machine_clutter() -> list[str]:
    """Entries of the machine's ``/`` that a Debian host would not have."""
    return [f"/{entry}" for entry in os.listdir("/") if entry not in FHS_ROOT]


def _covered(path: Path) -> bool:
    """Whether hosts cannot see ``path`` anyway, or it is a top-level directory they need."""
    if len(path.parts) < 3:  # "/" or "/tmp": never white out a whole top-level directory
        return True
    return path.parts[1] not in FHS_ROOT or any(path.is_relative_to(d) for d in ALWAYS_OPAQUE)


def _name(host: FleetHost | str) -> str:
    return host if isinstance(host, str) else host.name


def _valid_base(base: str) -> bool:
    parts = base.split(".")
    return (len(parts) == 2 and parts[0] == "127" and parts[1].isdigit()
            and 0 < int(parts[1]) < 256)


def _claim_base(base: str | None) -> tuple[str, IO[bytes]]:
    """Lock ``base`` (or the first free base) for this process; the lock file names the pid."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    candidates = [base] if base else [f"127.{n}" for n in range(FIRST_AUTO_BASE, 256)]
    holder = "?"
    for candidate in candidates:
        handle = open(LOCK_DIR / f"{candidate}.lock", "a+b")  # noqa: SIM115 (held open)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().decode(errors="replace").strip() or "?"
            handle.close()
            continue
        if not base and _banner(f"{candidate}.0.1", 22, timeout=0.2):
            handle.close()  # a fleet from before locks, or a stray server: not free
            continue
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        return candidate, handle
    if base:
        raise FleetError(f"address base {base} is held by another fleet (pid {holder}); "
                         "use another base, or base=None for a free one")
    raise FleetError("every address base 127.77-127.255 is held by another fleet")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _banner(address: str, port: int, timeout: float = 1.0) -> bytes:
    """The first line a server at ``address:port`` sends, or b'' if nothing answers."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(256)
    except OSError:
        return b""


def _refuse_if_answering(host: FleetHost) -> None:
    """Fail early if another server holds the address: its banner would fake readiness."""
    if _banner(host.address, host.port, timeout=0.5):
        raise FleetError(
            f"{host.address}:{host.port} already answers before {host.name} starts: another "
            "fleet (or a stale one from a killed run) uses this base; stop it or pick another "
            "base= for this Fleet")


def _kill_namespace(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the namespace's PID 1 (unshare's child); the kernel then kills the rest.

    If unshare has no child yet, killing unshare itself is enough: ``--kill-child``
    takes the child with it.
    """
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    try:
        pids = [int(p) for p in children.read_text().split()]
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pids = []
    for pid in pids or [proc.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
