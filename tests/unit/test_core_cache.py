"""Facts shared between hosts with identical answers, verdicts reused from shared facts, and the run
document assembled from the journal: each checked against doing the work afresh, for real."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hardencheck.commands.config import load_plan
from hardencheck.engine import evaluate_host
from hardencheck.facts.base import Probe
from hardencheck.facts.cache import FactCache
from hardencheck.facts.collect import CollectLimits, collect
from hardencheck.facts.model import FactRecord, ParsedFact
from hardencheck.facts.raw import FileSpec, ProbeRequest, RawAnswers
from hardencheck.results.document import RunWriter, load_run, new_run_id, run_header
from hardencheck.results.model import HostResult
from hardencheck.transport.local import LocalTransport

CARD = "4111111111111111"  # Luhn-valid test PAN: must never reach a shared record unmasked


class LinesProbe(Probe):
    """Reads one file (path from options) into its lines; counts how often it really parses."""

    name = "lines"
    description = "test probe"
    parses = 0

    def request(self, options: Mapping[str, Any]) -> ProbeRequest:
        return ProbeRequest(files=(FileSpec(options["path"]),))

    def parse(self, raw: RawAnswers, options: Mapping[str, Any]) -> ParsedFact:
        type(self).parses += 1
        text = raw.text(options["path"]) or ""
        fact = ParsedFact(data={"lines": text.splitlines()})
        fact.locate("lines", options["path"], 1, text.splitlines()[0] if text else "")
        if options.get("peek"):  # reads a file it never asked for
            raw.text(options["peek"])
        return fact


class ClockProbe(LinesProbe):
    name = "clock"
    pure = False


@pytest.fixture(autouse=True)
def _reset() -> None:
    LinesProbe.parses = 0


def _collect(probe: Probe, options: dict[str, Any], cache: FactCache | None) -> FactRecord:
    return collect(LocalTransport(), {probe.name: (probe, options)}, CollectLimits(timeout=30), cache).facts[probe.name]


def test_identical_answers_share_one_redacted_record(tmp_path: Path) -> None:
    path = tmp_path / "conf"
    path.write_text(f"card {CARD}\nsecond\n")
    cache = FactCache()
    first = _collect(LinesProbe(), {"path": str(path)}, cache)
    second = _collect(LinesProbe(), {"path": str(path)}, cache)
    assert second is first and first.identity and LinesProbe.parses == 1
    assert (cache.hits, cache.misses) == (1, 1)
    assert CARD not in json.dumps(first.to_dict())  # redacted before it was shared
    assert first.redacted
    path.write_text("changed\n")
    third = _collect(LinesProbe(), {"path": str(path)}, cache)
    assert third is not first and third.fact.data["lines"] == ["changed"] and LinesProbe.parses == 2


def test_other_options_or_an_undeclared_read_are_not_shared(tmp_path: Path) -> None:
    path, other = tmp_path / "conf", tmp_path / "other"
    path.write_text("same\n")
    other.write_text("another probe's file\n")
    cache = FactCache()
    a = _collect(LinesProbe(), {"path": str(path)}, cache)
    b = _collect(LinesProbe(), {"path": str(path), "x": 1}, cache)
    assert b is not a and LinesProbe.parses == 2

    class OtherProbe(LinesProbe):
        name = "other"

    peeking = {"path": str(path), "peek": str(other)}  # in the bundle because OtherProbe asked for it
    probes = {"lines": (LinesProbe(), peeking), "other": (OtherProbe(), {"path": str(other)})}
    runs = [collect(LocalTransport(), probes, CollectLimits(timeout=30), cache).facts for _ in range(2)]
    assert runs[0]["lines"].identity is None and runs[1]["lines"] is not runs[0]["lines"]
    assert runs[1]["other"] is runs[0]["other"]  # the well-behaved probe is still shared


def test_a_probe_that_reads_the_clock_is_parsed_for_every_host(tmp_path: Path) -> None:
    path = tmp_path / "conf"
    path.write_text("same\n")
    cache = FactCache()
    a = _collect(ClockProbe(), {"path": str(path)}, cache)
    b = _collect(ClockProbe(), {"path": str(path)}, cache)
    assert a is not b and a.identity is None and a.redacted and cache.misses == 0


def test_cache_is_bounded(tmp_path: Path) -> None:
    cache = FactCache(max_entries=3)
    for i in range(6):
        (tmp_path / "conf").write_text(f"{i}\n")
        _collect(LinesProbe(), {"path": str(tmp_path / "conf")}, cache)
    assert len(cache._entries) == 3


def _plan() -> Any:
    return load_plan(argparse.Namespace(profile="linux-baseline", checks=[], checks_dir=[], profiles_dir=[],
                                        waivers=None, advisories=None))


def _shared_facts(login_defs: str) -> dict[str, FactRecord]:
    data: dict[str, Any] = {"PASS_MAX_DAYS": 99999, "PASS_MIN_DAYS": 0, "ENCRYPT_METHOD": "MD5", "UMASK": "022"}
    if login_defs == "hardened":
        data = {"PASS_MAX_DAYS": 90, "PASS_MIN_DAYS": 1, "ENCRYPT_METHOD": "YESCRYPT", "UMASK": "027"}
    rec = FactRecord("login_defs", "ok", fact=ParsedFact(data=data),
                     sources={"/etc/login.defs": {"kind": "file", "sha256": login_defs}})
    rec.identity = f"digest-{login_defs}"
    rec.redacted = True
    os_rec = FactRecord("os_release", "ok", fact=ParsedFact(data={"id": "debian", "family": "debian"}))
    os_rec.identity = "digest-os"
    return {"login_defs": rec, "os_release": os_rec}


def test_verdicts_from_shared_facts_are_reused_and_equal_fresh_ones() -> None:
    plan = _plan()
    facts = _shared_facts("weak")
    first = evaluate_host({"id": "a", "transport": "ssh"}, facts, plan)
    remembered = len(plan.verdicts)
    assert remembered > 0
    second = evaluate_host({"id": "b", "transport": "ssh"}, facts, plan)
    assert len(plan.verdicts) == remembered  # nothing evaluated again
    fresh_plan = _plan()
    for rec in facts.values():
        rec.identity = None  # no identity: every check is evaluated afresh
    fresh = evaluate_host({"id": "b", "transport": "ssh"}, facts, fresh_plan)
    assert fresh_plan.verdicts.keys() < plan.verdicts.keys()  # only checks whose facts are all absent
    assert [r.to_dict() for r in second] == [r.to_dict() for r in fresh]
    assert {r.fingerprint for r in first}.isdisjoint(r.fingerprint for r in second)  # tied to each host
    other = evaluate_host({"id": "c", "transport": "ssh"}, _shared_facts("hardened"), plan)
    changed = {r.check_id for r, o in zip(first, other) if r.status != o.status}
    assert "login-defs-pass-max-days" in changed  # another identity is another verdict, not a reused one


def test_run_json_assembled_from_the_journal_equals_the_host_documents(tmp_path: Path) -> None:
    plan = _plan()
    writer = RunWriter(tmp_path, new_run_id(), run_header(plan, ["unit"], "2026-11-27T00:00:00Z"))
    for name in ("zeta", "alpha", "mid"):
        facts = _shared_facts("weak" if name != "mid" else "hardened")
        host = HostResult(target={"id": name, "transport": "ssh"}, status="ok", facts=facts)
        host.results = evaluate_host(host.target, facts, plan)
        writer.add_host(host)
    path = writer.finish(complete=True, interrupted=False, unfinished=[], warnings=[])
    doc = json.loads(path.read_text())
    assert [h["target"]["id"] for h in doc["hosts"]] == ["alpha", "mid", "zeta"]
    expected = json.loads(json.dumps(sorted(writer.hosts, key=lambda h: h["target"]["id"]), default=str))
    assert doc["hosts"] == expected
    journal = [json.loads(line) for line in (path.parent / "hosts.jsonl").read_text().splitlines()]
    assert sorted(journal, key=lambda h: h["target"]["id"]) == expected
    assert doc["summary"]["hosts"] == 3 and load_run(path)["run_id"] == writer.run_id
