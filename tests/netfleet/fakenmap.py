"""A stand-in for the nmap binary that replays recorded XML: for tests of the runner, the session and
the engine's network hook that must not depend on timing, on root, or on nmap being installed."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "unit" / "data" / "nmap"


def fake_nmap(tmp_path: Path, xml: str = "listeners.xml", *, exit_code: int = 0, stderr: str = "",
              delay: float = 0.0, cut_after_hosts: int | None = None, hang: bool = False,
              start_delay: float = 0.0) -> Path:
    """An executable that answers -V like nmap 7.93 and replays ``xml`` host by host.

    ``start_delay`` seconds pass before any output, ``delay`` after each host; ``cut_after_hosts``
    stops after that many hosts; ``hang`` keeps the process alive (for deadline/cancel tests).
    """
    script = tmp_path / "nmap"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, sys, time
        if "-V" in sys.argv:
            print("Nmap version 7.93 ( https://nmap.org )")
            sys.exit(0)
        with open({str(tmp_path / 'argv.jsonl')!r}, "a") as f:
            f.write(json.dumps(sys.argv[1:]) + chr(10))
        raw = open({str(DATA / xml)!r}, "rb").read()
        time.sleep({start_delay!r})
        parts = raw.split(b"</host>")
        out = sys.stdout.buffer
        for i, part in enumerate(parts[:-1]):
            if {cut_after_hosts!r} is not None and i >= {cut_after_hosts!r}:
                break
            out.write(part + b"</host>")
            out.flush()
            time.sleep({delay!r})
        else:
            out.write(parts[-1])
        out.flush()
        if {hang!r}:
            time.sleep(60)
        sys.stderr.write({stderr!r})
        sys.exit({exit_code!r})
        """))
    script.chmod(0o755)
    return script


def invocations(tmp_path: Path) -> list[list[str]]:
    """Every argument vector the fake nmap was started with."""
    log = tmp_path / "argv.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
