"""Every record of the OSV fixture feed is valid against the OSV schema shipped in ../shared/schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FEED = REPO / "tests" / "fixtures" / "osv"
SCHEMA = REPO.parent / "shared" / "schemas" / "osv-schema.json"
RECORDS = sorted(FEED.rglob("*.json"))


def test_the_feed_has_records_for_three_distributions() -> None:
    ecosystems = {a["package"]["ecosystem"].split(":")[0] for f in RECORDS for a in json.loads(f.read_text())["affected"]}
    assert ecosystems == {"Debian", "Ubuntu", "Alpine"}


@pytest.mark.parametrize("record", RECORDS, ids=[r.name for r in RECORDS])
def test_record_is_valid_osv(record: Path) -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"OSV schema not found at {SCHEMA} (it lives beside the repository in shared/schemas)")
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    doc = json.loads(record.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert record.stem == doc["id"]
