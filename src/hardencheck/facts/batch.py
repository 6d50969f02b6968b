"""One round trip per host: every probe's request in one ``sh`` script, framed output split back.

The script is POSIX sh (dash, bash, busybox ash), sent on stdin so nothing is written to the
target. Files are tested with shell builtins (their status frames gathered in a variable and
written at once: one write per file would cost the target's sshd an SSH packet each) and then
read by **one** ``tar`` process (one fork for all files instead of one per file: on a 2-core
audit box the target's CPU is the bottleneck), with a per-file ``head -c`` fallback where tar
is missing. Every command is bounded in bytes (``head -c``) and time (``timeout``, where the
target has it), so a hanging or flooding command costs its own probe, not the host;
builtins-only snippets (:attr:`CommandSpec.inline`) run in a subshell without those extra
processes. Frames carry a per-run random nonce so file contents cannot be mistaken for frame
markers. Everything runs in the C locale: outputs (dates, messages) parse the same on every
target, and programs start faster without loading a locale.
"""

from __future__ import annotations

import functools
import io
import re
import secrets
import shlex
import tarfile
from collections.abc import Iterable

from hardencheck.facts.raw import CommandSpec, FileSpec, RawBundle, RawCommand, RawFile

#: The sum of per-file caps is bounded by this, so one hostile file cannot starve the rest.
MAX_FILES_BYTES = 48 * 1024 * 1024
#: Exit codes meaning "killed by timeout": coreutils 124, SIGKILL 137, busybox SIGTERM 143.
TIMEOUT_CODES = (124, 137, 143)

_PREAMBLE = r"""
LC_ALL=C; export LC_ALL
N={nonce}
HC_NL='
'
if command -v timeout >/dev/null 2>&1; then HC_TO=timeout; else HC_TO=; fi
if command -v tar >/dev/null 2>&1; then HC_TAR=1; else HC_TAR=; fi
hc_frame() {{ printf '\n@@HC:%s:%s\n' "$N" "$1"; }}
HC_B=
hc_buf() {{ HC_B="$HC_B$HC_NL@@HC:$N:$1$HC_NL"; }}
hc_st() {{
  case "$2" in *"$HC_NL"*) hc_buf "P:newline-in-name"; return 1;; esac
  if [ -f "$2" ]; then
    if [ -r "$2" ]; then hc_buf "F:$1:ok:$2"; return 0; fi
    hc_buf "F:$1:unreadable:$2"
  elif [ -e "$2" ]; then [ "$3" != glob ] && hc_buf "F:$1:not-a-file:$2"
  else
    hc_d=${{2%/*}}
    if [ -n "$hc_d" ] && [ -d "$hc_d" ] && [ ! -x "$hc_d" ]; then hc_buf "F:$1:unreadable:$2"
    elif [ "$3" != glob ]; then hc_buf "F:$1:missing:$2"; fi
  fi
  return 1
}}
hc_cmd() {{
  hc_i=$1; hc_t=$2; hc_cap=$3; shift 3
  if ! command -v "$1" >/dev/null 2>&1; then hc_frame "C:$hc_i:not-found"; return 0; fi
  hc_frame "C:$hc_i:run"
  if [ -n "$HC_TO" ]; then
    {{ timeout "$hc_t" "$@" </dev/null 2>/dev/null; hc_frame "R:$hc_i:$?"; }} | head -c "$hc_cap"
  else
    {{ "$@" </dev/null 2>/dev/null; hc_frame "R:$hc_i:$?"; }} | head -c "$hc_cap"
  fi
}}
hc_frame "M:uid:$(id -u 2>/dev/null)"
set --
"""

_READ_FILES = r"""
printf '%s' "$HC_B"; HC_B=
if [ $# -gt 0 ]; then
  if [ -n "$HC_TAR" ]; then
    hc_frame "T:tar"; tar -chf - -- "$@" 2>/dev/null | head -c {total}; hc_frame "T:end"
  else
    for hc_f in "$@"; do hc_frame "D:$hc_f"; head -c {per_file} -- "$hc_f" 2>/dev/null; done
  fi
fi
"""

#: The output goes through ``dd`` in 64 KiB blocks where the target has it: sshd sends every write
#: it reads from the pipe as its own SSH packet, and the auditor handles each packet in Python
#: (decrypt, MAC), so ~65 small writes per host cost more than the bytes. If the whole collection
#: times out, at most the last block is lost with it.
_RUN_MAIN = """if command -v dd >/dev/null 2>&1; then hc_main | dd obs=65536 2>/dev/null; else hc_main; fi"""

#: ``head -c`` lets this much more than a command's cap through, so the result frame that follows
#: the output (``\n@@HC:<nonce>:R:<i>:<rc>\n``) survives whenever the output itself fits the cap:
#: a missing result frame after more than the cap means the command was cut off there.
_RESULT_SLACK = 128

_FRAME_RE = re.compile(rb"\n@@HC:([0-9a-f]{32}):([^\n]*)\n")
#: Stands for the nonce in a cached script template (never a valid nonce: not hex).
_NONCE_SLOT = "@@NONCE@@"


class CollectorScript:
    """Builds the script for a set of file and command specs, and parses its output."""

    def __init__(self, files: Iterable[FileSpec], commands: Iterable[CommandSpec]):
        self.nonce = secrets.token_hex(16)
        by_path: dict[str, FileSpec] = {}
        for f in files:  # one read per path, with the largest cap any probe asked for
            if f.path not in by_path or f.max_bytes > by_path[f.path].max_bytes:
                by_path[f.path] = f
        self.files = [by_path[p] for p in sorted(by_path)]
        self.commands = sorted({c.key: c for c in commands}.values(), key=lambda c: c.key)

    def render(self) -> str:
        """The script; the nonce is its only per-host part, so the rest is built once per spec set."""
        return _render_template(tuple(self.files), tuple(self.commands)).replace(_NONCE_SLOT, self.nonce, 1)

    def parse(self, stdout: bytes) -> RawBundle:
        """Split framed output back into files and commands; anything odd becomes a recorded problem."""
        bundle = RawBundle()
        data = b"\n" + stdout
        frames = [(m.group(2).decode("utf-8", "replace"), m.start(), m.end()) for m in _FRAME_RE.finditer(data)
                  if m.group(1).decode() == self.nonce]
        pending: dict[int, RawCommand] = {}
        caps: dict[str, int] = {}
        contents: dict[str, tuple[bytes, bool]] = {}
        tar_complete = True
        for idx, (header, _start, end) in enumerate(frames):
            body_end = frames[idx + 1][1] if idx + 1 < len(frames) else len(data)
            body = data[end:body_end]
            kind, _, rest = header.partition(":")
            if kind == "M":
                key, _, value = rest.partition(":")
                bundle.meta[key] = value
            elif kind == "F":
                self._status_frame(bundle, caps, rest)
            elif kind == "T" and rest == "tar":
                tar_complete = idx + 1 < len(frames) and frames[idx + 1][0] == "T:end"
                contents.update(_untar(body, bundle))
            elif kind == "D":
                contents[rest] = (body, idx + 1 == len(frames))
            elif kind == "C":
                self._command_frame(bundle, pending, rest, body)
            elif kind == "R":
                self._result_frame(pending, rest)
            elif kind == "P":
                bundle.problems.append(f"the target returned a suspicious file name ({rest}); it was skipped")
            elif kind == "E":
                bundle.meta["complete"] = "yes"
        self._attach_contents(bundle, caps, contents, tar_complete)
        for i, cmd in pending.items():
            cap = self.commands[i].max_bytes
            if len(cmd.stdout) > cap:  # head cut it at its cap (and SIGPIPE stopped it): output truncated
                cmd.status, cmd.exit_code, cmd.stdout = "ok", 141, cmd.stdout[:cap]
            else:  # the stream itself ended inside this command (collection timeout or size limit)
                cmd.status = "incomplete"
            cmd.truncated = True
        for spec in self.commands:
            bundle.commands.setdefault(spec.key, RawCommand(spec.key, spec.argv, "incomplete"))
        for spec in self.files:
            if not spec.is_glob:
                bundle.files.setdefault(spec.path, RawFile(spec.path, "incomplete", source=spec.path))
        return bundle

    def _status_frame(self, bundle: RawBundle, caps: dict[str, int], rest: str) -> None:
        i, _, rest = rest.partition(":")
        status, _, path = rest.partition(":")
        if not i.isdigit() or int(i) >= len(self.files):
            bundle.problems.append("malformed file frame")
            return
        caps[path] = self.files[int(i)].max_bytes
        bundle.files[path] = RawFile(path, "incomplete" if status == "ok" else status, source=path)

    def _attach_contents(self, bundle: RawBundle, caps: dict[str, int], contents: dict[str, tuple[bytes, bool]],
                         tar_complete: bool) -> None:
        """Give each file reported readable its bytes; one the stream never delivered stays incomplete."""
        for path, f in bundle.files.items():
            if f.status != "incomplete":
                continue
            got = contents.get(path)
            if got is None:
                if not tar_complete:
                    bundle.problems.append(f"{path}: not delivered (output cut short)")
                continue
            content, cut = got
            cap = caps.get(path, len(content))
            f.status, f.content = "ok", content[:cap]
            f.truncated = cut or len(content) >= cap

    def _command_frame(self, bundle: RawBundle, pending: dict[int, RawCommand], rest: str, body: bytes) -> None:
        i, _, status = rest.partition(":")
        if not i.isdigit() or int(i) >= len(self.commands):
            bundle.problems.append("malformed command frame")
            return
        spec = self.commands[int(i)]
        cmd = RawCommand(spec.key, spec.argv, status if status in ("not-found", "skipped") else "incomplete",
                         stdout=b"" if status == "skipped" else body)
        bundle.commands[spec.key] = cmd
        if status == "run":
            pending[int(i)] = cmd

    def _result_frame(self, pending: dict[int, RawCommand], rest: str) -> None:
        i, _, rc = rest.partition(":")
        cmd = pending.pop(int(i), None) if i.isdigit() else None
        if cmd is None:
            return
        cmd.exit_code = int(rc) if rc.strip().lstrip("-").isdigit() else None
        cap = self.commands[int(i)].max_bytes
        cmd.truncated = len(cmd.stdout) >= cap or cmd.exit_code == 141
        cmd.stdout = cmd.stdout[:cap]
        cmd.status = "timeout" if cmd.exit_code in TIMEOUT_CODES else "ok"


@functools.lru_cache(maxsize=16)
def _render_template(files: tuple[FileSpec, ...], commands: tuple[CommandSpec, ...]) -> str:
    """Every host of a run gets the same script but for its nonce: rendered once, nonce as a slot."""
    lines = [_PREAMBLE.format(nonce=_NONCE_SLOT), "hc_main() {"]
    for i, spec in enumerate(files):
        if spec.is_glob:
            d, pattern = spec.path.rsplit("/", 1)
            lines.append(f'for hc_f in {shlex.quote(d)}/{_safe_glob(pattern)}; do hc_st {i} "$hc_f" glob '
                         f'&& set -- "$@" "$hc_f"; done')
        else:
            q = shlex.quote(spec.path)
            lines.append(f"hc_st {i} {q} && set -- \"$@\" {q}")
    largest = max((f.max_bytes for f in files), default=0)
    total = min(MAX_FILES_BYTES, sum(f.max_bytes for f in files) + 1024 * len(files))
    lines.append(_READ_FILES.format(total=total, per_file=largest))
    for i, cmd in enumerate(commands):
        if cmd.inline and len(cmd.argv) >= 3 and cmd.argv[:2] == ("sh", "-c"):
            lines.append(f'hc_frame "C:{i}:run"\n( set -- {shlex.join(cmd.argv[4:])}\n{cmd.argv[2]}\n'
                         f') </dev/null 2>/dev/null\nhc_frame "R:{i}:$?"')
        else:
            run = f"hc_cmd {i} {int(cmd.timeout)} {cmd.max_bytes + _RESULT_SLACK} {shlex.join(cmd.argv)}"
            if cmd.skip_if_readable:
                q = shlex.quote(cmd.skip_if_readable)
                run = f'if [ -f {q} ] && [ -r {q} ]; then hc_frame "C:{i}:skipped"; else {run}; fi'
            lines.append(run)
    lines.append('hc_frame "E:end"')
    lines.append("}")
    lines.append(_RUN_MAIN)
    return "\n".join(lines) + "\n"


def _untar(stream: bytes, bundle: RawBundle) -> dict[str, tuple[bytes, bool]]:
    """Regular files of a (possibly truncated) tar stream, by absolute path; never raises.

    The archives our collector asks for (GNU or busybox ``tar -c`` of regular files: ustar headers,
    GNU long names, hard links) are read directly, several times faster than :mod:`tarfile`'s
    general reader; anything else in the stream (pax headers, sparse files, base-256 sizes) hands
    the whole stream to :mod:`tarfile`.
    """
    fast = _untar_plain(stream)
    return fast if fast is not None else _untar_general(stream, bundle)


def _untar_plain(stream: bytes) -> dict[str, tuple[bytes, bool]] | None:
    """The plain-archive reader; None when the stream holds something only :mod:`tarfile` knows."""
    out: dict[str, tuple[bytes, bool]] = {}
    pos, end, long_name, long_link = 0, len(stream), None, None
    while pos + 512 <= end:
        header = stream[pos:pos + 512]
        if header.count(0) == 512:  # end-of-archive block
            return out
        stored = header[148:156].split(b"\0", 1)[0].strip()
        if not stored.isdigit() or int(stored, 8) != sum(header[:148]) + 256 + sum(header[156:]):
            return None
        kind, size_field = header[156:157], header[124:136].split(b"\0", 1)[0].strip()
        if size_field and not size_field.isdigit():
            return None  # base-256 size: tarfile's job
        size = int(size_field, 8) if size_field else 0
        data = stream[pos + 512:pos + 512 + size]
        pos += 512 + (size + 511) // 512 * 512
        if kind in (b"L", b"K"):  # GNU long name / long link target for the next member
            text = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            long_name, long_link = (text, long_link) if kind == b"L" else (long_name, text)
            continue
        if kind not in (b"0", b"\0", b"1", b"7", b"2", b"3", b"4", b"5", b"6"):
            return None  # pax, sparse, multi-volume...
        if long_name is not None:
            name, long_name = long_name, None
        else:
            prefix = header[345:500].split(b"\0", 1)[0] if header[257:262] == b"ustar" else b""
            base = header[:100].split(b"\0", 1)[0]
            name = (prefix + b"/" + base if prefix else base).decode("utf-8", "surrogateescape")
        name = name if name.startswith("/") else "/" + name
        if kind in (b"0", b"\0", b"7"):
            out[name] = (data, len(data) < size)
        elif kind == b"1":  # a hard link to a member already read (tar -h meets one file twice)
            target = long_link or header[157:257].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            target = target if target.startswith("/") else "/" + target
            if target in out:
                out[name] = out[target]
        long_link = None
    return out


def _untar_general(stream: bytes, bundle: RawBundle) -> dict[str, tuple[bytes, bool]]:
    out: dict[str, tuple[bytes, bool]] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(stream), mode="r:") as tar:
            for member in tar:
                if not (member.isfile() or member.islnk()):
                    continue
                fh = tar.extractfile(member)
                if fh is None:
                    continue
                content = fh.read()
                name = member.name if member.name.startswith("/") else "/" + member.name
                out[name] = (content, len(content) < member.size)
    except (tarfile.TarError, EOFError, OSError, KeyError) as exc:
        bundle.problems.append(f"the file archive from the target ended early ({type(exc).__name__})")
    return out


def _safe_glob(pattern: str) -> str:
    """Quote a glob pattern's literal parts so only ``* ? [ ]`` stay special."""
    out = []
    for ch in pattern:
        out.append(ch if ch in "*?[]" or ch.isalnum() or ch in "._-" else "\\" + ch)
    return "".join(out)
