"""Card-number detection: IIN ranges, Luhn, masking, the on-target pipeline, and hostile output."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from hardencheck.facts.collect import CollectLimits, collect
from hardencheck.facts.parsers.pan import brand, luhn_ok, mask_digits, parse_pan_scan
from hardencheck.facts.probes.pan_scan import PanScanProbe
from hardencheck.transport.local import LocalTransport

DATA = Path(__file__).parent / "data" / "recorded"
TEST_PANS = {  # well-known test card numbers, never real ones
    "4111111111111111": "Visa", "5555555555554444": "Mastercard", "2223003122003222": "Mastercard",
    "378282246310005": "American Express", "6011111111111117": "Discover", "3530111333300000": "JCB",
    "36227206271667": "Diners Club", "4012888888881881": "Visa", "6200000000000005": "UnionPay",
}


@pytest.mark.parametrize(("pan", "name"), sorted(TEST_PANS.items()))
def test_test_cards_pass_luhn_and_have_a_brand(pan: str, name: str) -> None:
    assert luhn_ok(pan)
    assert brand(pan[:6], len(pan)) == name


def test_non_cards_are_rejected() -> None:
    assert not luhn_ok("4111111111111112")
    assert brand("123456", 16) is None  # no card range starts with 1
    assert brand("411111", 15) is None  # Visa is never 15 digits
    assert brand("371111", 16) is None  # Amex is always 15


def test_mask_digits_masks_only_card_like_runs() -> None:
    text = "file /tmp/4111111111111111.txt order 1234567890123456 ref 4111-1111-1111-1111"
    masked = mask_digits(text)
    assert "4111111111111111" not in masked and "4111-1111-1111-1111" not in masked
    assert "411111******1111" in masked and "1234567890123456" in masked


def test_recorded_weak_host_output() -> None:
    fact = parse_pan_scan((DATA / "pan_scan_weak.txt").read_text(), "cmd:pan_scan", ["/var/log/pos"])
    assert fact.data["files_scanned"] == 13 and fact.data["complete"] is True
    masked = [f["masked"] for f in fact.data["findings"]]
    assert "411111******1111" in masked and "378282*****0005" in masked and "362272****1667" in masked
    first = fact.locations["findings/0"]
    assert (first.source, first.line, first.excerpt) == ("/var/log/pos/transactions.log", 1, "411111******1111 (Visa)")
    assert {e["file"] for e in fact.data["files_with_pan"]} >= {"/tmp/.pos-sync/dump.txt",
                                                                "/var/log/pos/debug.log.2.gz"}
    assert fact.warnings == []


def test_hostile_output_cannot_smuggle_a_full_number() -> None:
    text = ("C\t3\t10000\n"
            "P\t4111111111111111\t1111\t16\t7\t/tmp/x\n"       # 16 digits where 6 belong: no brand
            "P\t411111\t1111\t16\t8\t/tmp/4111111111111111\n"  # full number in a file name
            "P\t411111\t11\t16\t9\t/tmp/y\n"                   # malformed
            "\x1b[31mgarbage\n")
    fact = parse_pan_scan(text, "cmd:pan_scan", [])
    assert len(fact.data["findings"]) == 1
    assert fact.data["findings"][0]["file"] == "/tmp/411111******1111"
    assert "4111111111111111" not in repr(fact.data) + repr(fact.locations) + repr(fact.warnings)
    assert any("malformed" in w for w in fact.warnings)


def test_missing_count_means_incomplete() -> None:
    fact = parse_pan_scan("P\t411111\t1111\t16\t1\t/x\n", "cmd:pan_scan", [])
    assert fact.data["files_scanned"] is None and fact.data["complete"] is False


@pytest.mark.skipif(shutil.which("gzip") is None or shutil.which("awk") is None, reason="needs gzip and awk")
def test_pipeline_on_a_real_tree(tmp_path: Path) -> None:
    """The exact script the probe sends, run by the local transport: only masked digits come back."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "txn.log").write_text(
        "2024-03-12 SALE pan=4111111111111111 exp=2512\n"
        "2024-03-12 SALE pan=5555 5555 5555 4444 and order 1234567890123456\n"
        "2024-03-12 REFUND amex=3782-822463-10005 ref 20240312101700123\n"
        "spaced 4111 1111 1111 1111 2024, 25 digits 4111111111111111111111111\n")
    with gzip.open(tmp_path / "logs" / "old.log.1.gz", "wt") as f:
        f.write("TLV 57=4012888888881881D2712\n")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "x.txt").write_text("4111111111111111\n")
    (tmp_path / "link").symlink_to(deep)
    options = {"paths": [str(tmp_path), str(tmp_path / "missing")], "max_depth": 3}
    coll = collect(LocalTransport(), {"pan_scan": (PanScanProbe(), options)}, CollectLimits(timeout=60))
    rec = coll.facts["pan_scan"]
    assert rec.status == "ok", rec.reason
    data = rec.fact.data
    found = sorted((f["file"].rsplit("/", 1)[-1], f["line"], f["masked"]) for f in data["findings"])
    assert found == [("old.log.1.gz", 1, "401288******1881"), ("txn.log", 1, "411111******1111"),
                     ("txn.log", 2, "555555******4444"), ("txn.log", 3, "378282*****0005"),
                     ("txn.log", 4, "411111******1111")]
    assert data["paths_missing"] == [str(tmp_path / "missing")]
    assert data["files_scanned"] == 2  # depth 4 and the symlinked directory are not read
    raw = coll.facts["pan_scan"].sources
    assert all("4111111111111111" not in str(v) for v in raw.values())


def test_file_limit_without_findings_is_not_a_pass(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.log").write_text("nothing here\n")
    coll = collect(LocalTransport(), {"pan_scan": (PanScanProbe(), {"paths": [str(tmp_path)], "max_files": 3})},
                   CollectLimits(timeout=60))
    rec = coll.facts["pan_scan"]
    assert rec.status == "error" and "max_files" in rec.reason
