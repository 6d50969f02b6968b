"""Evidence integrity: keygen, signed run folders, and verify failing on any single changed byte."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from hardencheck.cli import main
from hardencheck.signing import (
    MANIFEST,
    SigningError,
    evidence_hashes,
    generate_keypair,
    load_private_key,
    sign_folder,
    verify_folder,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate_keypair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signed_master(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    """A real scan of the example repository, signed by the scan itself."""
    out = tmp_path_factory.mktemp("signed")
    code = main(["scan", f"dir:{REPO / 'docs/examples/config-repo'}", "--output", str(out), "-q", "--no-store",
                 "--sign-key", str(keys[0])])
    assert code in (0, 1, 3)
    (folder,) = out.iterdir()
    return folder


@pytest.fixture
def signed(signed_master: Path, tmp_path: Path) -> Path:
    folder = tmp_path / signed_master.name
    shutil.copytree(signed_master, folder)
    return folder


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    assert main(["keygen", "--out", str(tmp_path)]) == 0
    private = tmp_path / "hardencheck-signing.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes()
    assert main(["keygen", "--out", str(tmp_path)]) == 2  # never overwrites a key
    with pytest.raises(SigningError):
        generate_keypair(tmp_path)


def test_a_signed_scan_verifies(signed: Path, keys: tuple[Path, Path]) -> None:
    assert {p.name for p in signed.iterdir()} >= {"run.json", "run.json.sig", MANIFEST, MANIFEST + ".sig",
                                                  "hosts.jsonl"}
    result = verify_folder(signed, keys[1])
    assert result.ok, result.problems
    manifest = json.loads((signed / MANIFEST).read_text())
    assert set(manifest["files"]) == {"run.json", "run.json.sig", "hosts.jsonl"}
    assert manifest["evidence"] == evidence_hashes(json.loads((signed / "run.json").read_text()))
    assert manifest["evidence"], "a real scan records the sha256 of what it read"
    assert main(["verify", str(signed / "run.json"), "--pubkey", str(keys[1])]) == 0


@pytest.mark.parametrize("name", ["run.json", MANIFEST, "run.json.sig", MANIFEST + ".sig", "hosts.jsonl"])
def test_flipping_any_single_byte_fails_verify(signed: Path, keys: tuple[Path, Path], name: str) -> None:
    path = signed / name
    original = path.read_bytes()
    size = len(original)
    if name.endswith(".sig"):  # small: every byte (base64's unused low bits in the last character too)
        positions = list(range(size))
    else:
        positions = sorted({0, 1, size // 3, size // 2, (2 * size) // 3, size - 2, size - 1})
    for pos in positions:
        for flip in (0x01, 0x80):
            changed = bytearray(original)
            changed[pos] ^= flip
            path.write_bytes(bytes(changed))
            result = verify_folder(signed, keys[1])
            assert not result.ok, f"{name}: byte {pos} ^ {flip:#x} went unnoticed"
            assert main(["verify", str(signed), "--pubkey", str(keys[1])]) == 1
    path.write_bytes(original)
    assert verify_folder(signed, keys[1]).ok


@pytest.mark.parametrize("name", ["manifest.json.sig", "run.json.sig"])
@pytest.mark.parametrize("extra", [b"\n", b" ", b"=", b"\r\n"])
def test_a_signature_file_with_anything_appended_fails_verify(signed: Path, keys: tuple[Path, Path], name: str,
                                                              extra: bytes) -> None:
    with open(signed / name, "ab") as f:
        f.write(extra)
    assert any(name in p for p in verify_folder(signed, keys[1]).problems)


def test_another_key_does_not_verify(signed: Path, tmp_path: Path) -> None:
    _, other_pub = generate_keypair(tmp_path / "other")
    result = verify_folder(signed, other_pub)
    assert not result.ok
    assert any("signature does not match" in p for p in result.problems)


def test_resigning_with_another_key_is_caught_by_pubkey_not_by_the_manifest_alone(
        signed: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    """Without --pubkey only integrity is proven; the note says so, and --pubkey catches the swap."""
    other_private, _ = generate_keypair(tmp_path / "attacker")
    run = json.loads((signed / "run.json").read_text())
    run["summary"]["results"]["fail"] = 0
    (signed / "run.json").write_text(json.dumps(run))
    sign_folder(signed, load_private_key(other_private))
    loose = verify_folder(signed)
    assert loose.ok and any("not who signed" in n for n in loose.notes)
    assert not verify_folder(signed, keys[1]).ok


def test_added_removed_and_missing_files_fail_verify(signed: Path, keys: tuple[Path, Path]) -> None:
    (signed / "report.html").write_text("<p>all green</p>")
    assert any("added after signing" in p for p in verify_folder(signed, keys[1]).problems)
    (signed / "report.html").unlink()
    (signed / "hosts.jsonl").unlink()
    assert any("missing" in p for p in verify_folder(signed, keys[1]).problems)


def test_unsigned_folder_is_reported_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run.json").write_text("{}")
    assert main(["verify", str(tmp_path)]) == 1
    assert "manifest.json is missing" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nothing")]) == 2


def test_a_signed_comparison_verifies(signed: Path, keys: tuple[Path, Path], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDENCHECK_STORE", str(tmp_path / "h.db"))
    out = tmp_path / "cmp"
    assert main(["compare", str(signed), str(signed), "--output", str(out), "--sign-key", str(keys[0])]) == 0
    assert verify_folder(out, keys[1]).ok
    data = bytearray((out / "comparison.json").read_bytes())
    data[len(data) // 2] ^= 0x01
    (out / "comparison.json").write_bytes(bytes(data))
    assert main(["verify", str(out), "--pubkey", str(keys[1])]) == 1


def test_reports_written_by_the_scan_are_inside_the_signed_manifest(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    """Signing is the very last step of a scan: reports beside run.json are covered, not 'added after'."""
    from hardencheck.commands.report import reporter_names

    formats = [f for f in ("md", "csv", "html") if f in reporter_names()]
    if not formats:
        pytest.skip("no file reporter installed")
    code = main(["scan", f"dir:{REPO / 'docs/examples/config-repo'}", "--output", str(tmp_path), "-q",
                 "--no-store", "--format", ",".join(formats), "--sign-key", str(keys[0])])
    assert code in (0, 1, 3)
    (folder,) = tmp_path.iterdir()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert len(manifest["files"]) > 3, manifest["files"]  # run.json, its .sig, hosts.jsonl and the reports
    result = verify_folder(folder, keys[1])
    assert result.ok, result.problems
