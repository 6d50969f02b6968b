"""Evaluate one check against a target's facts. Checks only read facts; they never touch a transport.

An expectation is a tree: ``all``/``any``/``not`` over leaves ``{fact, path,
op, value|param}`` and quantifiers ``{path, each|some|none, where}`` over
lists. Inside a quantifier, a node without its own ``fact:`` reads the item.

Every node is true, false or *unknown*: a leaf is unknown when its value is
missing (and has no ``default``) or cannot be compared (an OperatorError).
Unknown combines as in three-valued logic (``any`` of unknown and true is
true, ``all`` of unknown and true is unknown, ``not`` unknown is unknown) and
an unknown result fails the check, so missing data never passes, not even
under ``not`` or ``none``.
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
    unknown: bool = False
    """The comparison could not be made (value missing, or an OperatorError); ``not`` keeps it failed."""


@dataclass
class Outcome:
    """A node's result: ``passed``, or failed because it is false, or failed because it is ``unknown``."""

    passed: bool
    leaves: list[Leaf] = field(default_factory=list)
    unknown: bool = False


_TRUE, _FALSE, _UNKNOWN = "true", "false", "unknown"


def _state(outcome: Outcome) -> str:
    return _TRUE if outcome.passed else _UNKNOWN if outcome.unknown else _FALSE


def _outcome(state: str, leaves: list[Leaf]) -> Outcome:
    return Outcome(state == _TRUE, leaves, state == _UNKNOWN)


def _combine(key: str, states: set[str]) -> str:
    """Three-valued ``all``/``any``: one false part decides ``all``, one true part decides ``any``."""
    decisive, otherwise = (_FALSE, _TRUE) if key == "all" else (_TRUE, _FALSE)
    if decisive in states:
        return decisive
    return _UNKNOWN if _UNKNOWN in states else otherwise


def _negate(leaf: Leaf) -> Leaf:
    """A known leaf inverted; an unknown one stays failed with its message."""
    expected = "not (" + leaf.expected + ")"
    if leaf.unknown:
        return Leaf(False, leaf.fact, leaf.path, leaf.observed, expected, leaf.message, True)
    return Leaf(not leaf.passed, leaf.fact, leaf.path, leaf.observed, expected, leaf.message)


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
        if "all" in node or "any" in node:
            key = "all" if "all" in node else "any"
            parts = [self.eval(c, fact, base) for c in node[key]]
            state = _combine(key, {_state(p) for p in parts})
            # a pass is justified by its passing parts; a failure shows every part that is not true
            shown = [p for p in parts if p.passed] if state == _TRUE else [p for p in parts if not p.passed]
            return _outcome(state, [leaf for p in shown for leaf in p.leaves])
        if "not" in node:
            inner = self.eval(node["not"], fact, base)
            if inner.unknown:
                return Outcome(False, [_negate(leaf) for leaf in inner.leaves], unknown=True)
            return Outcome(not inner.passed, [_negate(leaf) for leaf in inner.leaves if not leaf.unknown])
        if fact is None:
            raise CheckDefinitionError(f"'{_describe_node(node)}' names no fact, neither its own nor inherited")
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
                                            "the value to compare with is not set", True)], unknown=True)
        elif "param" in node:
            if node["param"] not in self.params:
                raise CheckDefinitionError(f"parameter '{node['param']}' has no value")
            expected = self.params[node["param"]]
        else:
            expected = node.get("value")
        if value is MISSING and "default" in node:
            value = node["default"]
        options: dict[str, Any] = {k: node[k] for k in ("ignore_case", "scheme") if k in node}
        unknown = value is MISSING and op not in ("present", "absent")
        try:
            ok = apply(op, value, expected, options)
            message = "not set on this target" if value is MISSING and not ok else ""
        except OperatorError as exc:
            ok, message, unknown = False, str(exc), True
        except re.error as exc:
            raise CheckDefinitionError(f"bad regular expression {expected!r}: {exc}") from exc
        text = node.get("describe") or describe(op, expected)
        return Outcome(ok, [Leaf(ok, fact, where, value, text, message, unknown)], unknown)

    def quantify(self, node: dict[str, Any], fact: str, value: Any, where: str) -> Outcome:
        """``each``/``some``/``none`` over a list's items (or a mapping's values), item by item.

        An item counts as selected and matching when ``where`` and the inner node both hold; an
        item for which either is unknown cannot be decided, and an undecided item keeps ``each``
        and ``none`` from passing and is not a match for ``some``.
        """
        quant = next(q for q in _QUANTIFIERS if q in node)
        if value is MISSING or not isinstance(value, list | dict):
            observed = value if value is MISSING else _summary(value)
            return Outcome(False, [Leaf(False, fact, where, observed, f"a list to check ({quant})",
                                        "the value is not set" if value is MISSING else "the value is not a list",
                                        True)], unknown=True)
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        results: list[tuple[Any, Any, str, Outcome]] = []  # key, item, the item's state, its evidence
        for k, v in items:
            base = (v, _join(where, str(k)))
            chosen = self.eval(node["where"], fact, base) if "where" in node else Outcome(True)
            if _state(chosen) == _FALSE:
                continue
            inner = self.eval(node[quant], fact, base)
            state = _state(inner)
            if chosen.unknown:  # each: where -> inner; some/none: where and inner
                state = (_TRUE if state == _TRUE else _UNKNOWN) if quant == "each" else \
                    (_FALSE if state == _FALSE else _UNKNOWN)
                if state == _UNKNOWN:
                    inner = Outcome(False, [lf for lf in chosen.leaves if lf.unknown] + inner.leaves, True)
            results.append((k, v, state, inner))
        undecided = [(k, v, r) for k, v, state, r in results if state == _UNKNOWN]
        text = node.get("describe") or ""
        if quant == "each":
            bad = [r for _, _, state, r in results if state == _FALSE] or [r for _, _, r in undecided]
            if bad:
                return Outcome(False, [leaf for r in bad[:MAX_REPORTED] for leaf in r.leaves],
                               unknown=not any(state == _FALSE for _, _, state, _ in results))
            return Outcome(True, [leaf for _, _, _, r in results[:MAX_REPORTED] for leaf in r.leaves]
                           or [Leaf(True, fact, where, [], text or "every item (none to check)")])
        wanted = (text or ("at least one item where " if quant == "some" else "no item where ")
                  + _describe_node(node[quant]))
        matches = [(k, v, r) for k, v, state, r in results if state == _TRUE]
        if quant == "some":
            if matches:
                return Outcome(True, [leaf for _, _, r in matches[:MAX_REPORTED] for leaf in r.leaves])
            if undecided:
                return Outcome(False, _undecided_leaves(fact, where, undecided, wanted), unknown=True)
            return Outcome(False, [Leaf(False, fact, where, _summary([v for _, v, _, _ in results]), wanted)])
        if matches:
            return Outcome(False, [Leaf(False, fact, _join(where, str(k)), _summary(v), wanted)
                                   for k, v, _ in matches[:MAX_REPORTED]])
        if undecided:
            return Outcome(False, _undecided_leaves(fact, where, undecided, wanted), unknown=True)
        return Outcome(True, [Leaf(True, fact, where, f"{len(results)} item(s), none matching", wanted)])


def _undecided_leaves(fact: str, where: str, undecided: list[tuple[Any, Any, Outcome]], wanted: str) -> list[Leaf]:
    """One failed, unknown leaf per item that could not be decided, saying why."""
    out = []
    for k, v, inner in undecided[:MAX_REPORTED]:
        why = next((f"{leaf.path}: {leaf.message}" for leaf in inner.leaves if leaf.unknown and leaf.message), "")
        out.append(Leaf(False, fact, _join(where, str(k)), _summary(v), wanted,
                        "cannot tell whether this item matches" + (f" ({why})" if why else ""), True))
    return out


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
        if rec is not None and rec.status == "not-applicable":
            return "skipped", f"os_release: {rec.reason}"
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
