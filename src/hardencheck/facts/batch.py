"""One round trip per host: every probe's request in one ``sh`` script, framed output split back.

The script is POSIX sh (dash, busybox ash), sent on stdin so nothing is
written to the target. Each file and command is bounded in bytes (``head
-c``) and each command in time (``timeout``, where the target has it), so a
hanging or flooding command costs its own probe, not the host. Frames carry a
per-run random nonce so file contents cannot be mistaken for frame markers.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Iterable

from hardencheck.facts.raw import CommandSpec, FileSpec, RawBundle, RawCommand, RawFile

_PREAMBLE = r"""
exec 4>&1
N={nonce}
if command -v timeout >/dev/null 2>&1; then HC_TO=timeout; else HC_TO=; fi
hc_frame() {{ printf '\n@@HC:%s:%s\n' "$N" "$1"; }}
hc_file() {{
  if [ ! -e "$2" ]; then hc_frame "F:$1:missing:$2"
  elif [ ! -f "$2" ]; then hc_frame "F:$1:not-a-file:$2"
  elif [ ! -r "$2" ]; then hc_frame "F:$1:unreadable:$2"
  else hc_frame "F:$1:ok:$2"; head -c "$3" -- "$2" 2>/dev/null; fi
}}
hc_glob() {{
  hc_g=$1; hc_cap=$2; shift 2
  for hc_f in "$@"; do [ -f "$hc_f" ] && hc_file "$hc_g" "$hc_f" "$hc_cap"; done
  return 0
}}
hc_cmd() {{
  hc_i=$1; hc_t=$2; hc_cap=$3; shift 3
  if ! command -v "$1" >/dev/null 2>&1; then hc_frame "C:$hc_i:not-found"; return 0; fi
  hc_frame "C:$hc_i:run"
  if [ -n "$HC_TO" ]; then
    hc_rc=$( {{ {{ timeout "$hc_t" "$@" </dev/null 2>/dev/null; echo $? >&3; }} | head -c "$hc_cap" >&4; }} 3>&1 )
  else
    hc_rc=$( {{ {{ "$@" </dev/null 2>/dev/null; echo $? >&3; }} | head -c "$hc_cap" >&4; }} 3>&1 )
  fi
  hc_frame "R:$hc_i:$hc_rc"
}}
hc_frame "M:uid:$(id -u 2>/dev/null)"
"""

_FRAME_RE = re.compile(rb"\n@@HC:([0-9a-f]{32}):([^\n]*)\n")


class CollectorScript:
    """Builds the script for a set of file and command specs, and parses its output."""

    def __init__(self, files: Iterable[FileSpec], commands: Iterable[CommandSpec]):
        self.nonce = secrets.token_hex(16)
        self.files = sorted(set(files), key=lambda f: f.path)
        self.commands = sorted({c.key: c for c in commands}.values(), key=lambda c: c.key)

    def render(self) -> str:
        lines = [_PREAMBLE.format(nonce=self.nonce)]
        for i, spec in enumerate(self.files):
            if spec.is_glob:
                d, pattern = spec.path.rsplit("/", 1)
                lines.append(f"hc_glob {i} {spec.max_bytes} {shlex.quote(d)}/{_safe_glob(pattern)}")
            else:
                lines.append(f"hc_file {i} {shlex.quote(spec.path)} {spec.max_bytes}")
        for i, cmd in enumerate(self.commands):
            lines.append(f"hc_cmd {i} {int(cmd.timeout)} {cmd.max_bytes} {shlex.join(cmd.argv)}")
        lines.append('hc_frame "E:end"')
        return "\n".join(lines) + "\n"

    def parse(self, stdout: bytes) -> RawBundle:
        """Split framed output back into files and commands; anything odd becomes a recorded problem."""
        bundle = RawBundle()
        data = b"\n" + stdout
        frames = [(m.group(2).decode("utf-8", "replace"), m.start(), m.end()) for m in _FRAME_RE.finditer(data)
                  if m.group(1).decode() == self.nonce]
        pending: dict[int, RawCommand] = {}
        for idx, (header, _start, end) in enumerate(frames):
            body_end = frames[idx + 1][1] if idx + 1 < len(frames) else len(data)
            body = data[end:body_end]
            kind, _, rest = header.partition(":")
            if kind == "M":
                key, _, value = rest.partition(":")
                bundle.meta[key] = value
            elif kind == "F":
                self._file_frame(bundle, rest, body)
            elif kind == "C":
                self._command_frame(bundle, pending, rest, body)
            elif kind == "R":
                i, _, rc = rest.partition(":")
                cmd = pending.pop(int(i), None) if i.isdigit() else None
                if cmd is not None:
                    cmd.exit_code = int(rc) if rc.strip().lstrip("-").isdigit() else None
                    cmd.truncated = len(cmd.stdout) >= self.commands[int(i)].max_bytes or cmd.exit_code == 141
                    cmd.status = "timeout" if cmd.exit_code in (124, 137) else "ok"
            elif kind == "E":
                bundle.meta["complete"] = "yes"
        for cmd in pending.values():
            cmd.status = "incomplete"
        for i, spec in enumerate(self.commands):
            bundle.commands.setdefault(spec.key, RawCommand(spec.key, spec.argv, "incomplete"))
        for spec in self.files:
            if not spec.is_glob:
                bundle.files.setdefault(spec.path, RawFile(spec.path, "incomplete"))
        return bundle

    def _file_frame(self, bundle: RawBundle, rest: str, body: bytes) -> None:
        i, _, rest = rest.partition(":")
        status, _, path = rest.partition(":")
        if not i.isdigit() or int(i) >= len(self.files):
            bundle.problems.append("malformed file frame")
            return
        spec = self.files[int(i)]
        bundle.files[path] = RawFile(path, status, body if status == "ok" else b"",
                                     truncated=status == "ok" and len(body) >= spec.max_bytes, source=path)

    def _command_frame(self, bundle: RawBundle, pending: dict[int, RawCommand], rest: str, body: bytes) -> None:
        i, _, status = rest.partition(":")
        if not i.isdigit() or int(i) >= len(self.commands):
            bundle.problems.append("malformed command frame")
            return
        spec = self.commands[int(i)]
        cmd = RawCommand(spec.key, spec.argv, "not-found" if status == "not-found" else "incomplete", stdout=body)
        bundle.commands[spec.key] = cmd
        if status == "run":
            pending[int(i)] = cmd


def _safe_glob(pattern: str) -> str:
    """Quote a glob pattern's literal parts so only ``* ? [ ]`` stay special."""
    out = []
    for ch in pattern:
        out.append(ch if ch in "*?[]" or ch.isalnum() or ch in "._-" else "\\" + ch)
    return "".join(out)
