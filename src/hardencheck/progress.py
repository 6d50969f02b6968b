"""Progress: a bar on a terminal, one quiet line per host otherwise (CI logs)."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from hardencheck.inventory.model import Target
from hardencheck.results.model import HostResult
from hardencheck.results.redact import terminal_safe


def _line(host: HostResult) -> str:
    c = host.counts()
    name = terminal_safe(host.target["id"], 80)
    if host.status != "ok":
        return f"{name}: ERROR {terminal_safe(host.error, 300)}"
    return (f"{name}: {c['pass']} pass, {c['fail']} fail, {c['error']} error, {c['skipped']} skipped, "
            f"{c['waived']} waived ({host.duration:.1f}s)")


class PlainProgress:
    def __init__(self, total: int, stream: TextIO = sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self._lock = threading.Lock()

    def host_started(self, target: Target) -> None:
        pass

    def host_done(self, host: HostResult) -> None:
        with self._lock:
            self.done += 1
            print(f"[{self.done}/{self.total}] {_line(host)}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    """A live bar; host lines scroll above it so errors stay visible."""

    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True, highlight=False, markup=False)
        self.progress = Progress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=self.console, transient=True)
        self.task = self.progress.add_task("hosts", total=total)
        self.progress.start()

    def host_started(self, target: Target) -> None:
        pass

    def host_done(self, host: HostResult) -> None:
        self.progress.console.print(_line(host), markup=False, highlight=False)
        self.progress.advance(self.task)

    def close(self) -> None:
        self.progress.stop()


def make_progress(total: int, quiet: bool) -> PlainProgress | RichProgress | None:
    if quiet:
        return None
    if sys.stderr.isatty():
        return RichProgress(total)
    return PlainProgress(total)
