"""CollectorScript, executed for real: files and commands framed in one sh script and split back exactly."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hardencheck.facts.batch import CollectorScript
from hardencheck.facts.raw import CommandSpec, FileSpec, RawBundle
from hardencheck.transport.local import LocalTransport

FAKE_NONCE = "0123456789abcdef0123456789abcdef"
BINARY = b"a\x00b\x00\xff\xfe\x00\n\x00"
MARKER_CONTENT = f"x\n@@HC:{FAKE_NONCE}:F:0:ok:/etc/passwd\n@@HC:{FAKE_NONCE}:E:end\ny\n".encode()
ODD_NAME = "we'ird $(touch pwned) `x` name.conf"


def make_tree(root: Path) -> Path:
    (root / "conf.d").mkdir(parents=True)
    (root / "adir").mkdir()
    (root / "no-newline.txt").write_bytes(b"line1\nline2")
    (root / "binary.dat").write_bytes(BINARY)
    (root / "marker.txt").write_bytes(MARKER_CONTENT)
    (root / "empty.txt").write_bytes(b"")
    (root / "big.txt").write_bytes(b"0123456789" * 10)
    (root / ODD_NAME).write_bytes(b"odd\n")
    (root / "conf.d" / "10-a.conf").write_bytes(b"one\n")
    (root / "conf.d" / "20-b.conf").write_bytes(b"two")
    (root / "conf.d" / "c.txt").write_bytes(b"not matched\n")
    (root / "conf.d" / "sub.conf").mkdir()  # a directory matching the glob is skipped
    return root


def make_script(root: Path) -> CollectorScript:
    files = [
        FileSpec(f"{root}/no-newline.txt"),
        FileSpec(f"{root}/binary.dat"),
        FileSpec(f"{root}/marker.txt"),
        FileSpec(f"{root}/empty.txt"),
        FileSpec(f"{root}/big.txt", max_bytes=25),
        FileSpec(f"{root}/{ODD_NAME}"),
        FileSpec(f"{root}/missing.txt"),
        FileSpec(f"{root}/adir"),
        FileSpec(f"{root}/conf.d/*.conf"),
        FileSpec(f"{root}/nomatch/*.conf"),
    ]
    commands = [
        CommandSpec("echo", ("echo", "hello world")),
        CommandSpec("printf-nonl", ("printf", "%s", "no newline")),
        CommandSpec("literal", ("echo", "$(id)", "`id`", "a;b", "'q'")),
        CommandSpec("missing", ("hc-no-such-command-xyz", "--help")),
        CommandSpec("flood", ("yes",), max_bytes=1000),
        CommandSpec("slow", ("sleep", "10"), timeout=1),
        CommandSpec("exit3", ("sh", "-c", "echo out; echo err >&2; exit 3")),
        CommandSpec("fake-frame", ("printf", f"before\\n@@HC:{FAKE_NONCE}:R:0:0\\nafter\\n")),
        CommandSpec("stdin", ("cat",)),
    ]
    return CollectorScript(files, commands)


def run_with(argv: list[str], script: str) -> bytes:
    proc = subprocess.run(argv, input=script.encode(), capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return make_tree(tmp_path_factory.mktemp("batch"))


@pytest.fixture(scope="module")
def local_run(tree):
    script = make_script(tree)
    result = LocalTransport().run_script(script.render(), timeout=30, max_bytes=1_000_000)
    return script, result, script.parse(result.stdout)


def check_bundle(bundle: RawBundle, root: Path) -> None:
    """Everything the shared script must produce, whatever the shell."""
    f = bundle.files
    assert f[f"{root}/no-newline.txt"].content == b"line1\nline2"
    assert f[f"{root}/binary.dat"].content == BINARY
    assert f[f"{root}/marker.txt"].content == MARKER_CONTENT
    assert f[f"{root}/empty.txt"].content == b""
    assert f[f"{root}/{ODD_NAME}"].content == b"odd\n"
    assert not (Path.cwd() / "pwned").exists()
    for name in ("no-newline.txt", "binary.dat", "marker.txt", "empty.txt", ODD_NAME):
        assert (f[f"{root}/{name}"].status, f[f"{root}/{name}"].truncated) == ("ok", False), name
    big = f[f"{root}/big.txt"]
    assert (big.status, big.content, big.truncated) == ("ok", b"0123456789012345678901234", True)
    assert (f[f"{root}/missing.txt"].status, f[f"{root}/missing.txt"].content) == ("missing", b"")
    assert (f[f"{root}/adir"].status, f[f"{root}/adir"].content) == ("not-a-file", b"")
    assert f[f"{root}/conf.d/10-a.conf"].content == b"one\n"
    assert f[f"{root}/conf.d/20-b.conf"].content == b"two"
    globbed = sorted(p for p in f if p.startswith(f"{root}/conf.d/"))
    assert globbed == [f"{root}/conf.d/10-a.conf", f"{root}/conf.d/20-b.conf"]
    assert not any("nomatch" in p for p in f)
    assert f[f"{root}/binary.dat"].source == f"{root}/binary.dat"

    c = bundle.commands
    assert (c["echo"].status, c["echo"].stdout, c["echo"].exit_code, c["echo"].truncated) == (
        "ok", b"hello world\n", 0, False)
    assert c["printf-nonl"].stdout == b"no newline"
    assert c["literal"].stdout == b"$(id) `id` a;b 'q'\n"
    assert (c["missing"].status, c["missing"].stdout, c["missing"].exit_code) == ("not-found", b"", None)
    flood = c["flood"]
    assert (flood.status, flood.stdout, flood.truncated) == ("ok", b"y\n" * 500, True)
    slow = c["slow"]
    assert (slow.status, slow.exit_code, slow.stdout) == ("timeout", 124, b"")
    exit3 = c["exit3"]
    assert (exit3.status, exit3.exit_code, exit3.stdout, exit3.stderr) == ("ok", 3, b"out\n", b"")
    fake = c["fake-frame"]
    assert (fake.status, fake.exit_code) == ("ok", 0)
    assert fake.stdout == f"before\n@@HC:{FAKE_NONCE}:R:0:0\nafter\n".encode()
    assert (c["stdin"].status, c["stdin"].stdout) == ("ok", b"")  # commands get /dev/null, not the script

    assert bundle.meta["complete"] == "yes"
    assert bundle.meta["uid"] == str(os.getuid())
    assert bundle.problems == []


def test_local_transport_run(local_run, tree):
    _, result, bundle = local_run
    assert result.exit_status == 0
    assert (result.timed_out, result.truncated) == (False, False)
    check_bundle(bundle, tree)


def test_same_result_without_dd(tree):
    """Where the target has no dd, the output is written unblocked and reads back the same."""
    script = make_script(tree)
    text = script.render()
    assert "hc_main | dd obs=65536" in text
    out = run_with(["sh", "-s"], text.replace("command -v dd ", "command -v hc-no-such-dd-xyz "))
    check_bundle(script.parse(out), tree)


def test_every_requested_command_is_reported(local_run):
    script, _, bundle = local_run
    assert sorted(bundle.commands) == sorted(c.key for c in script.commands)


def test_fake_marker_in_a_file_does_not_split_it(local_run, tree):
    _, result, bundle = local_run
    assert MARKER_CONTENT in result.stdout
    assert "/etc/passwd" not in bundle.files


def test_nonce_is_random_per_script(tree):
    a, b = make_script(tree), make_script(tree)
    assert a.nonce != b.nonce
    assert len(a.nonce) == 32
    assert f"N={a.nonce}" in a.render()


def test_output_of_another_run_is_ignored(local_run, tree):
    _, result, _ = local_run
    other = make_script(tree)
    bundle = other.parse(result.stdout)
    assert bundle.meta == {}
    assert {f.status for f in bundle.files.values()} == {"incomplete"}
    assert {c.status for c in bundle.commands.values()} == {"incomplete"}


def test_empty_output_marks_everything_incomplete(tree):
    script = make_script(tree)
    bundle = script.parse(b"")
    assert "complete" not in bundle.meta
    assert bundle.files[f"{tree}/no-newline.txt"].status == "incomplete"
    assert not any(p.endswith("*.conf") for p in bundle.files)
    assert bundle.commands["echo"].status == "incomplete"


def test_malformed_frames_are_problems_not_crashes(tree):
    script = CollectorScript([FileSpec(f"{tree}/empty.txt")], [CommandSpec("echo", ("echo",))])
    n = script.nonce
    out = f"\n@@HC:{n}:F:9:ok:/x\nzz\n@@HC:{n}:C:7:run\n\n@@HC:{n}:R:x:0\n\n@@HC:{n}:E:end\n".encode()
    bundle = script.parse(out)
    assert bundle.problems == ["malformed file frame", "malformed command frame"]
    assert bundle.meta["complete"] == "yes"
    assert bundle.commands["echo"].status == "incomplete"


def test_a_command_cut_before_its_result_is_incomplete(tree):
    script = CollectorScript([], [CommandSpec("echo", ("echo", "hi"))])
    bundle = script.parse(f"@@HC:{script.nonce}:C:0:run\nhi\n".encode())
    assert (bundle.commands["echo"].status, bundle.commands["echo"].stdout) == ("incomplete", b"hi\n")


def test_transport_byte_cap_cuts_the_run(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"A" * 100)
    script = CollectorScript([FileSpec(f"{tmp_path}/a.txt")], [CommandSpec("flood", ("yes",))])
    result = LocalTransport().run_script(script.render(), timeout=30, max_bytes=5000)
    bundle = script.parse(result.stdout)
    assert result.truncated is True
    assert len(result.stdout) == 5000
    assert bundle.files[f"{tmp_path}/a.txt"].content == b"A" * 100
    assert bundle.commands["flood"].status == "incomplete"
    assert "complete" not in bundle.meta


def test_file_cut_by_the_transport_cap_is_not_reported_complete(tmp_path):
    (tmp_path / "sshd_config").write_bytes(b"# padding\n" * 1000 + b"PermitRootLogin yes\n")
    script = CollectorScript([FileSpec(f"{tmp_path}/sshd_config")], [])
    result = LocalTransport().run_script(script.render(), timeout=30, max_bytes=2000)
    assert result.truncated is True
    f = script.parse(result.stdout).files[f"{tmp_path}/sshd_config"]
    assert f.truncated or f.status != "ok"


def test_same_path_requested_twice_is_read_once_with_the_larger_cap(tmp_path):
    (tmp_path / "f.txt").write_bytes(b"line1\nline2")
    script = CollectorScript([FileSpec(f"{tmp_path}/f.txt"), FileSpec(f"{tmp_path}/f.txt", max_bytes=3)], [])
    assert [ln for ln in script.render().splitlines() if ln.startswith("hc_st ")] == [
        f'hc_st 0 {tmp_path}/f.txt && set -- "$@" {tmp_path}/f.txt']
    result = LocalTransport().run_script(script.render(), timeout=30, max_bytes=10_000)
    f = script.parse(result.stdout).files[f"{tmp_path}/f.txt"]
    assert (f.content, f.truncated) == (b"line1\nline2", False)


def test_newline_in_a_globbed_file_name_cannot_replace_another_file(tmp_path):
    d = tmp_path / "sshd_config.d"
    d.mkdir()
    (d / "10-a.conf").write_bytes(b"PermitRootLogin yes\n")
    (d / "10-a.conf\nz.conf").write_bytes(b"PermitRootLogin no\n")
    script = CollectorScript([FileSpec(f"{d}/*.conf")], [])
    result = LocalTransport().run_script(script.render(), timeout=30, max_bytes=10_000)
    assert script.parse(result.stdout).files[f"{d}/10-a.conf"].content == b"PermitRootLogin yes\n"


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-s"]
needs_root = pytest.mark.skipif(os.getuid() != 0 or shutil.which("setpriv") is None,
                                reason="needs root and setpriv to drop to an unprivileged user")


@pytest.fixture
def public_dir():
    """A folder an unprivileged user can traverse (pytest's tmp_path lives under a 0700 folder)."""
    d = Path(tempfile.mkdtemp(prefix="hc-core-batch-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d)


@needs_root
def test_unreadable_file_as_an_unprivileged_user(public_dir):
    secret = public_dir / "shadow"
    secret.write_bytes(b"root:$6$x:1::\n")
    secret.chmod(0o000)
    script = CollectorScript([FileSpec(str(secret))], [])
    bundle = script.parse(run_with(NOBODY, script.render()))
    assert (bundle.files[str(secret)].status, bundle.files[str(secret)].content) == ("unreadable", b"")
    assert bundle.meta["uid"] == "65534"


@needs_root
def test_truly_missing_file_as_an_unprivileged_user(public_dir):
    script = CollectorScript([FileSpec(str(public_dir / "nope"))], [])
    bundle = script.parse(run_with(NOBODY, script.render()))
    assert bundle.files[str(public_dir / "nope")].status == "missing"


@needs_root
def test_file_behind_an_unsearchable_folder_is_not_missing(public_dir):
    private = public_dir / "root-only"
    private.mkdir(mode=0o700)
    (private / "authorized_keys").write_bytes(b"ssh-ed25519 AAAA intruder\n")
    script = CollectorScript([FileSpec(str(private / "authorized_keys"))], [])
    bundle = script.parse(run_with(NOBODY, script.render()))
    assert bundle.files[str(private / "authorized_keys")].status != "missing"


def test_glob_pattern_literal_parts_are_quoted(tmp_path):
    d = tmp_path / "odd dir $HOME"
    d.mkdir()
    (d / "x y.conf").write_bytes(b"ok\n")
    (d / "xzy.conf").write_bytes(b"no\n")
    script = CollectorScript([FileSpec(f"{d}/x y*.conf")], [])
    result = LocalTransport().run_script(script.render(), timeout=30, max_bytes=10_000)
    files = script.parse(result.stdout).files
    assert {p: f.content for p, f in files.items()} == {f"{d}/x y.conf": b"ok\n"}


SHELLS = {
    "dash": ["dash", "-s"],
    "busybox-sh": ["busybox", "sh", "-s"],
    "bash-posix": ["bash", "--posix", "-s"],
}


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_same_script_under_other_shells(tree, shell):
    argv = SHELLS[shell]
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed")
    script = make_script(tree)
    check_bundle(script.parse(run_with(argv, script.render())), tree)


def _inline_specs() -> list[CommandSpec]:
    from hardencheck.facts.base import load_probes

    out = []
    for probe in load_probes().values():
        out += [c for c in probe.request({}).commands if c.inline]
    return out


def test_probes_declare_inline_snippets() -> None:
    assert {"kernel_release", "boot_kernels", "cron_spool"} <= {c.key for c in _inline_specs()}


@pytest.mark.parametrize("spec", _inline_specs(), ids=lambda c: c.key)
def test_inline_snippets_start_no_process(spec: CommandSpec) -> None:
    """An inline snippet skips timeout/head, so it must be builtins only: with an empty PATH,
    anything it tried to start would fail with "not found" on stderr."""
    assert spec.argv[:2] == ("sh", "-c")
    proc = subprocess.run(["/bin/sh", "-c", spec.argv[2], *spec.argv[3:]], capture_output=True,
                          env={"PATH": "/nonexistent"}, timeout=10, check=False)
    assert b"not found" not in proc.stderr, proc.stderr


def test_inline_snippet_runs_in_the_collector_with_its_arguments(tmp_path: Path) -> None:
    inline = CommandSpec("inline", ("sh", "-c", 'printf "%s|" "$@"; exit 4', "hardencheck", "a b", "$(id)"),
                         inline=True)
    after = CommandSpec("after", ("echo", "still here"))
    script = CollectorScript([], [inline, after])
    out = subprocess.run(["sh", "-s"], input=script.render().encode(), capture_output=True, timeout=20,
                         check=False).stdout
    bundle = script.parse(out)
    got = bundle.commands["inline"]
    assert (got.status, got.exit_code, got.stdout) == ("ok", 4, b"a b|$(id)|")
    assert bundle.commands["after"].stdout == b"still here\n"
    assert bundle.meta.get("complete") == "yes"


def _tar_of(root: Path, names: list[str], *extra: str) -> bytes:
    return subprocess.run(["tar", "-chf", "-", *extra, "--", *names], cwd=root, capture_output=True,
                          check=True).stdout


def test_plain_tar_reader_matches_tarfile(tmp_path: Path) -> None:
    """The fast reader gives exactly what the general tarfile reader gives on what tar -ch produces:
    long names, names needing the ustar prefix, a file met twice (a hard link in the archive),
    binary and empty content."""
    from hardencheck.facts.batch import _untar_general, _untar_plain

    deep = tmp_path / ("d" * 90) / ("e" * 90)
    deep.mkdir(parents=True)
    (deep / ("f" * 120 + ".conf")).write_bytes(b"long\n")
    (tmp_path / "bin.dat").write_bytes(BINARY * 100)
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "link").symlink_to(tmp_path / "bin.dat")  # -h: the same inode twice
    names = [str(p) for p in (deep / ("f" * 120 + ".conf"), tmp_path / "bin.dat", tmp_path / "empty",
                              tmp_path / "link")]
    stream = _tar_of(Path("/"), names)
    fast = _untar_plain(stream)
    assert fast is not None
    assert fast == _untar_general(stream, RawBundle())
    assert fast[str(tmp_path / "link")] == (BINARY * 100, False)
    cut = stream[:1536]  # cut inside the data: the member is kept, flagged truncated
    partial = _untar_plain(cut)
    assert partial is not None and all(isinstance(v[0], bytes) for v in partial.values())
    assert any(truncated for _, truncated in partial.values())


def test_plain_tar_reader_hands_other_formats_to_tarfile(tmp_path: Path) -> None:
    from hardencheck.facts.batch import _untar, _untar_plain

    (tmp_path / "a.conf").write_bytes(b"pax\n")
    stream = _tar_of(tmp_path, ["a.conf"], "--format=pax")
    assert _untar_plain(stream) is None  # a pax header: not ours to read
    assert _untar(stream, RawBundle())["/a.conf"] == (b"pax\n", False)
    corrupt = bytearray(_tar_of(tmp_path, ["a.conf"]))
    corrupt[0] ^= 0xFF  # checksum no longer matches: never trust the header
    assert _untar_plain(bytes(corrupt)) is None


def test_command_is_skipped_where_its_file_is_readable(tmp_path: Path) -> None:
    (tmp_path / "here").write_bytes(b"x")
    present = CommandSpec("present", ("echo", "ran"), skip_if_readable=str(tmp_path / "here"))
    absent = CommandSpec("absent", ("echo", "ran"), skip_if_readable=str(tmp_path / "gone"))
    script = CollectorScript([], [present, absent])
    out = subprocess.run(["sh", "-s"], input=script.render().encode(), capture_output=True, timeout=20,
                         check=False).stdout
    bundle = script.parse(out)
    assert (bundle.commands["present"].status, bundle.commands["present"].stdout) == ("skipped", b"")
    assert (bundle.commands["absent"].status, bundle.commands["absent"].stdout) == ("ok", b"ran\n")
