"""No full card number, password hash or private key ever leaves the audit: every file a scan of the weak image
writes (run.json, hosts.jsonl, every report format, the history store) is searched for the fixtures' secrets.

The secrets are read from the weak image itself (test card numbers in POS logs, exports, a scraper dump and a
gzipped log; the shadow file's hashes; the planted private keys), so a new fixture is covered without editing
this test.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from clirun import REPO, run_cli, run_doc, ssh_args

from hardencheck.facts.parsers.pan import brand, luhn_ok

WEAK = REPO / "tests" / "fleet" / "images" / "weak" / "root"
CARD_DATA = ("var/log/pos", "opt/pos", "tmp", "home", "var/tmp")
_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
_PEM_BODY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n(.*?)-----END", re.DOTALL)
FORMATS = "html,md,junit,sarif,csv"


def _text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def card_numbers() -> set[str]:
    """Every card number in the weak image's data, as digits and as written (with its separators)."""
    found: set[str] = set()
    for top in CARD_DATA:
        for f in (WEAK / top).rglob("*"):
            if not f.is_file():
                continue
            for m in _RUN.finditer(_text(f)):
                digits = re.sub(r"[ -]", "", m.group(0))
                if luhn_ok(digits) and brand(digits[:6], len(digits)):
                    found |= {digits, m.group(0)}
    return found


def password_hashes() -> set[str]:
    hashes = set()
    for line in (WEAK / "etc" / "shadow").read_text().splitlines():
        fields = line.split(":")
        if len(fields) > 1 and fields[1].startswith("$"):
            hashes.add(fields[1])
            hashes.add(fields[1].rsplit("$", 1)[-1])  # the digest alone
    return hashes


def key_material() -> set[str]:
    lines = set()
    for f in [*WEAK.joinpath("etc").rglob("*"), *WEAK.joinpath("home").rglob("*")]:
        if f.is_file() and not f.is_symlink():
            for body in _PEM_BODY.findall(f.read_text(errors="replace")):
                lines |= {ln for ln in body.split() if len(ln) >= 40 and ":" not in ln}
    return lines


def test_the_weak_image_really_holds_the_secrets() -> None:
    cards = card_numbers()
    assert {"4111111111111111", "5555555555554444", "378282246310005", "5555 5555 5555 4444",
            "3782-822463-10005", "4012888888881881"} <= cards
    assert len(password_hashes()) >= 4 and len(key_material()) >= 10


def _leaks(folders: list[Path]) -> list[str]:
    secrets = sorted(card_numbers() | password_hashes() | key_material(), key=len, reverse=True)
    found = []
    for folder in folders:
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            blob = f.read_bytes()
            for s in secrets:
                if s.encode() in blob:
                    found.append(f"{f.relative_to(folder.parent)}: {s[:8]}...")
    return found


def _store_files(store: Path) -> list[Path]:
    return [store.parent] if any(store.parent.glob(store.name + "*")) else []


def test_config_directory_scan_of_the_weak_image_leaks_nothing(tmp_path: Path) -> None:
    out, store = tmp_path / "out", tmp_path / "store" / "history.db"
    proc = run_cli("scan", f"dir:{WEAK}", "--output", str(out), "--format", FORMATS, HARDENCHECK_STORE=str(store))
    if proc.returncode == 2:  # report formats not all available in this build
        proc = run_cli("scan", f"dir:{WEAK}", "--output", str(out), HARDENCHECK_STORE=str(store))
    assert proc.returncode in (1, 3), proc.stderr[-2000:]
    doc = run_doc(proc)
    assert doc["hosts"][0]["status"] == "ok"
    assert not _leaks([out, *_store_files(store)])


@pytest.mark.integration
def test_fleet_scan_and_evaluate_of_the_weak_host_leak_nothing(fleet: object, tmp_path: Path) -> None:
    weak = fleet.host("weak-1")  # type: ignore[attr-defined]
    out, store = tmp_path / "out", tmp_path / "store" / "history.db"
    feed = REPO / "tests" / "fixtures" / "osv"
    args = ["scan", f"root@{weak.address}", "--output", str(out), "--timeout", "60", "--advisories", str(feed),
            *ssh_args(fleet)]
    proc = run_cli(*args, "--format", FORMATS, HARDENCHECK_STORE=str(store))
    if proc.returncode == 2:
        proc = run_cli(*args, HARDENCHECK_STORE=str(store))
    assert proc.returncode in (1, 3), proc.stderr[-2000:]
    doc = run_doc(proc)
    host = doc["hosts"][0]
    assert host["status"] == "ok", host["error"]
    pan = next(r for r in host["results"] if r["check_id"] == "pan-cleartext-absent")
    assert pan["status"] == "fail" and any("411111******1111" in e["excerpt"] for e in pan["evidence"])
    run_dir = next(p for p in out.iterdir() if p.is_dir())
    proc = run_cli("evaluate", str(run_dir), "--output", str(tmp_path / "ev"), "--advisories", str(feed),
                   HARDENCHECK_STORE=str(store))
    assert proc.returncode in (1, 3), proc.stderr[-2000:]
    leaks = _leaks([out, tmp_path / "ev", *_store_files(store)])
    assert not leaks, f"secrets found in the audit's output: {leaks[:10]}"
    assert "4111111111111111" not in proc.stdout + proc.stderr
