"""Evaluate one check against a target's facts. Checks only read facts; they never touch a transport.

An expectation is a tree: ``all``/``any``/``not`` over leaves ``{fact, path,
op, value|param}`` and quantifiers ``{path, each|some|none, where}`` over
lists. Inside a quantifier, a node without its own ``fact:`` reads the item.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hardencheck.checks.model import Check
from hardencheck.checks.operators import MISSING, OperatorError, apply, describe
from hardencheck.facts.model import FactRecord, Location

_QUANTIFIERS = ("each", "some", "none")
MAX_REPORTED = 25


@dataclass
class Leaf:
    """One comparison as it went: where the value came from, what it was, what was expected."""

    passed: bool
    fact: str
    path: str
    observed: Any
    expected: str
    message: str = ""


@dataclass
class Outcome:
    passed: bool
    leaves: list[Leaf] = field(default_factory=list)


@dataclass(frozen=True)
class TargetContext:
    """What applicability needs to know about the target."""

    asset_class: str | None
    transport: str


@dataclass
class CheckOutcome:
    status: str  # pass, fail, error, skipped
    reason: str = ""
    leaves: list[Leaf] = field(default_factory=list)


class FactProblem(Exception):
    def __init__(self, record: FactRecord | None, name: str):
        self.name = name
        self.status = record.status if record else "error"
        self.reason = record.reason if record else f"the {name} fact was not collected"
        super().__init__(self.reason)


class _Evaluator:
    def __init__(self, facts: dict[str, FactRecord], params: dict[str, Any]):
        self.facts = facts
        self.params = params

    def fact_data(self, name: str) -> Any:
        rec = self.facts.get(name)
        if rec is None or rec.status != "ok":
            raise FactProblem(rec, name)
        return rec.fact.data

    def eval(self, node: dict[str, Any], fact: str | None, base: tuple[Any, str] | None) -> Outcome:
        if "fact" in node:
            fact, base = node["fact"], None
        if "all" in node:
            parts = [self.eval(c, fact, base) for c in node["all"]]
            ok = all(p.passed for p in parts)
            return Outcome(ok, [leaf for p in parts if p.passed == ok for leaf in p.leaves])
        if "any" in node:
            parts = [self.eval(c, fact, base) for c in node["any"]]
            ok = any(p.passed for p in parts)
            return Outcome(ok, [leaf for p in parts if p.passed == ok for leaf in p.leaves])
        if "not" in node:
            inner = self.eval(node["not"], fact, base)
            return Outcome(not inner.passed, [Leaf(not leaf.passed, leaf.fact, leaf.path, leaf.observed,
                                                   "not (" + leaf.expected + ")") for leaf in inner.leaves])
        assert fact is not None, "schema guarantees a fact on every leaf path"
        value, where = self.resolve(fact, node.get("path", ""), base)
        if any(q in node for q in _QUANTIFIERS):
            return self.quantify(node, fact, value, where)
        return self.leaf(node, fact, value, where)

    def resolve(self, fact: str, path: Any, base: tuple[Any, str] | None) -> tuple[Any, str]:
        value, where = base if base is not None else (self.fact_data(fact), "")
        parts = path if isinstance(path, list) else [p for p in str(path).split(".") if p]
        for part in parts:
            if isinstance(value, dict) and str(part) in value:
                value = value[str(part)]
            elif isinstance(value, list) and isinstance(part, int | str) and str(part).lstrip("-").isdigit() \
                    and -len(value) <= int(part) < len(value):
                part = int(part) % len(value)
                value = value[part]
            else:
                return MISSING, _join(where, str(part))
            where = _join(where, str(part))
        return value, where

    def leaf(self, node: dict[str, Any], fact: str, value: Any, where: str) -> Outcome:
        op = node["op"]
        if "value_from" in node:
            ref = node["value_from"]
            expected, _ = self.resolve(ref["fact"], ref.get("path", ""), None)
            if expected is MISSING:
                return Outcome(False, [Leaf(False, fact, where, value, f"{op} {ref['fact']}.{ref.get('path', '')}",
                                            "the value to compare with is not set")])
        else:
            expected = self.params[node["param"]] if "param" in node else node.get("value")
        if value is MISSING and "default" in node:
            value = node["default"]
        options = {k: node[k] for k in ("ignore_case", "scheme") if k in node}
        try:
            ok = apply(op, value, expected, options)
            message = "not set on this target" if value is MISSING and not ok else ""
        except OperatorError as exc:
            ok, message = False, str(exc)
        except re.error as exc:
            raise CheckDefinitionError(f"bad regular expression {expected!r}: {exc}") from exc
        text = node.get("describe") or describe(op, expected)
        return Outcome(ok, [Leaf(ok, fact, where, value, text, message)])

    def quantify(self, node: dict[str, Any], fact: str, value: Any, where: str) -> Outcome:
        quant = next(q for q in _QUANTIFIERS if q in node)
        if value is MISSING or not isinstance(value, list | dict):
            observed = value if value is MISSING else _summary(value)
            return Outcome(False, [Leaf(False, fact, where, observed, f"a list to check ({quant})",
                                        "the value is not set" if value is MISSING else "the value is not a list")])
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        selected = [(k, v) for k, v in items
                    if "where" not in node or self.eval(node["where"], fact, (v, _join(where, str(k)))).passed]
        results = [(k, v, self.eval(node[quant], fact, (v, _join(where, str(k))))) for k, v in selected]
        text = node.get("describe") or ""
        if quant == "each":
            bad = [(k, v, r) for k, v, r in results if not r.passed]
            if bad:
                return Outcome(False, [leaf for _, _, r in bad[:MAX_REPORTED] for leaf in r.leaves])
            return Outcome(True, [leaf for _, _, r in results[:MAX_REPORTED] for leaf in r.leaves]
                           or [Leaf(True, fact, where, [], text or "every item (none to check)")])
        if quant == "some":
            good = [(k, v, r) for k, v, r in results if r.passed]
            if good:
                return Outcome(True, [leaf for _, _, r in good[:MAX_REPORTED] for leaf in r.leaves])
            return Outcome(False, [Leaf(False, fact, where, _summary([v for _, v in selected]),
                                        text or "at least one item where " + _describe_node(node[quant]))])
        offenders = [(k, v) for k, v, r in results if r.passed]
        if offenders:
            expected = text or "no item where " + _describe_node(node[quant])
            return Outcome(False, [Leaf(False, fact, _join(where, str(k)), _summary(v), expected)
                                   for k, v in offenders[:MAX_REPORTED]])
        return Outcome(True, [Leaf(True, fact, where, f"{len(selected)} item(s), none matching",
                                   text or "no item where " + _describe_node(node[quant]))])


class CheckDefinitionError(Exception):
    """The check itself is wrong (e.g. a bad regex); the result is ``error`` naming the check."""


def _join(where: str, part: str) -> str:
    return f"{where}/{part}" if where else part


def _describe_node(node: dict[str, Any]) -> str:
    if "describe" in node:
        return str(node["describe"])
    if "op" in node:
        path = node.get("path", "")
        path = ".".join(map(str, path)) if isinstance(path, list) else path
        expected = (f"param {node['param']}" if "param" in node else
                    f"{node['value_from']['fact']}.{node['value_from'].get('path', '')}" if "value_from" in node
                    else node.get("value"))
        return f"{path or 'value'} {describe(node['op'], expected)}".strip()
    for key in ("all", "any"):
        if key in node:
            return f" {'and' if key == 'all' else 'or'} ".join(_describe_node(c) for c in node[key])
    if "not" in node:
        return "not (" + _describe_node(node["not"]) + ")"
    return "(nested condition)"


def _summary(value: Any) -> Any:
    """A compact, JSON-able rendering of an offending item for the report."""
    if isinstance(value, dict):
        for key in ("name", "module", "path", "id", "package", "file"):
            if key in value and isinstance(value[key], str):
                rest = {k: v for k, v in value.items() if k != key and not isinstance(v, dict | list)}
                text = json.dumps(rest, default=str)
                return f"{value[key]} {text[:200]}"
        return json.dumps(value, default=str)[:300]
    if isinstance(value, list) and len(value) > MAX_REPORTED:
        return value[:MAX_REPORTED] + [f"... {len(value) - MAX_REPORTED} more"]
    return value


def applicability(check: Check, ctx: TargetContext, facts: dict[str, FactRecord]) -> tuple[str, str] | None:
    """(status, reason) when the check does not run on this target, else None."""
    if check.transports and ctx.transport not in check.transports:
        return "skipped", f"applies to {', '.join(check.transports)} targets, not {ctx.transport}"
    for ex in check.exemptions:
        if ctx.asset_class in ex.asset_classes:
            return "skipped", f"exempt for asset class {ctx.asset_class}: {ex.reason}"
    if check.asset_classes and ctx.asset_class not in check.asset_classes:
        return "skipped", f"applies to asset classes {', '.join(check.asset_classes)}, not {ctx.asset_class or 'unset'}"
    if check.os_families:
        rec = facts.get("os_release")
        if rec is None or rec.status != "ok":
            reason = rec.reason if rec else "not collected"
            return "error", f"OS family unknown, needed to decide applicability ({reason})"
        family = rec.fact.data.get("family", "unknown")
        if family not in check.os_families:
            return "skipped", f"applies to {', '.join(check.os_families)} systems, this one is {family}"
    return None


def evaluate_check(check: Check, facts: dict[str, FactRecord], ctx: TargetContext,
                   params: dict[str, Any]) -> CheckOutcome:
    """Applicability, then the expectation; missing data is ``error`` (or ``skipped``), never ``pass``."""
    gate = applicability(check, ctx, facts)
    if gate is not None:
        return CheckOutcome(gate[0], gate[1])
    for name in check.facts:
        rec = facts.get(name)
        if rec is None or rec.status != "ok":
            if rec is not None and rec.status == "not-applicable":
                return CheckOutcome("skipped", f"{name}: {rec.reason}")
            return CheckOutcome("error", f"fact '{name}' could not be gathered: "
                                         f"{rec.reason if rec else 'not collected'}")
    try:
        outcome = _Evaluator(facts, params).eval(check.expect, None, None)
    except FactProblem as exc:
        return CheckOutcome("error", f"fact '{exc.name}' could not be gathered: {exc.reason}")
    except CheckDefinitionError as exc:
        return CheckOutcome("error", f"check definition error: {exc}")
    return CheckOutcome("pass" if outcome.passed else "fail", "", outcome.leaves)


def locate(record: FactRecord, path: str) -> Location | None:
    """The deepest recorded location on ``path`` (``users/3/uid`` -> ``users/3`` -> ``users``)."""
    parts = path.split("/") if path else []
    while True:
        loc = record.fact.locations.get("/".join(parts))
        if loc is not None:
            return loc
        if not parts:
            return None
        parts.pop()
