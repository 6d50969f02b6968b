"""The ``local`` transport: audit the machine hardencheck runs on."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time

from hardencheck.transport.base import CommandResult, Transport, sudo_wrapper


class LocalTransport(Transport):
    """Runs the collector script with the local ``sh``; same script as over SSH."""

    @classmethod
    def kind(cls) -> str:
        return "local"

    def __init__(self) -> None:
        super().__init__()
        self.info.address = "localhost"

    def run_script(self, script: str, *, timeout: float, max_bytes: int, use_sudo: bool = False) -> CommandResult:
        argv = ["sh", "-c", sudo_wrapper()] if use_sudo else ["sh", "-s"]
        started = time.monotonic()
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        assert proc.stdin and proc.stdout and proc.stderr
        try:
            proc.stdin.write(script.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        out, err, timed_out, truncated = _drain(proc, timeout, max_bytes)
        duration = time.monotonic() - started
        return CommandResult(out, err, proc.returncode, timed_out, truncated, duration)


def _drain(proc: subprocess.Popen[bytes], timeout: float, max_bytes: int) -> tuple[bytes, bytes, bool, bool]:
    """Read both pipes until EOF, the deadline or the byte cap; kill the group on either limit."""
    assert proc.stdout and proc.stderr
    deadline = time.monotonic() + timeout
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs = {out_fd: bytearray(), err_fd: bytearray()}
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    timed_out = truncated = False
    open_count = 2
    while open_count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        for key, _ in sel.select(timeout=min(remaining, 0.5)):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_count -= 1
                continue
            bufs[key.fd] += chunk
        if sum(len(b) for b in bufs.values()) > max_bytes:
            truncated = True
            break
    if timed_out or truncated:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    sel.close()
    proc.stdout.close()
    proc.stderr.close()
    return bytes(bufs[out_fd])[:max_bytes], bytes(bufs[err_fd])[:max_bytes], timed_out, truncated
