"""The operator table: one small function per operator, ``op(observed, expected, options) -> bool``.

Values from targets are strings more often than not (config files), so the
comparison operators coerce numbers when both sides look numeric. A missing
value (``MISSING``) satisfies only ``absent``: missing data never passes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from debian.debian_support import version_compare as dpkg_compare
from rpm_vercmp import vercmp as rpm_compare


class _Missing:
    def __repr__(self) -> str:
        return "<not set>"


MISSING: Any = _Missing()


class OperatorError(ValueError):
    """The observed value cannot be compared this way (e.g. ``>=`` on 'yes'); the check fails with this reason."""


_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _num(v: Any) -> float:
    """A finite number from an int, a float or a plain decimal string; anything else is an OperatorError.

    ``float()`` alone would take 'nan', '-inf', 'Infinity' and '1_000', so a garbled setting could pass ``<=``.
    """
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise OperatorError(f"{v!r} is not a number")
    if isinstance(v, str) and not _NUMBER.fullmatch(v.strip()):
        raise OperatorError(f"{v!r} is not a number")
    try:
        out = float(v.strip() if isinstance(v, str) else v)
    except (ValueError, OverflowError):
        raise OperatorError(f"{v!r} is not a number") from None
    if not math.isfinite(out):
        raise OperatorError(f"{v!r} is not a number")
    return out


def _norm(v: Any, ignore_case: bool) -> Any:
    if isinstance(v, str):
        s = v.strip()
        return s.lower() if ignore_case else s
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return str(v) if not isinstance(v, bool) else v
    return v


def _eq(a: Any, b: Any, ic: bool) -> bool:
    if isinstance(a, (int, float, str)) and isinstance(b, (int, float)) and not isinstance(b, bool):
        try:
            return _num(a) == _num(b)
        except OperatorError:
            return False
    return _norm(a, ic) == _norm(b, ic)


def _as_list(v: Any) -> list[Any]:
    if isinstance(v, list):
        return v
    if isinstance(v, str):
        return [x for x in re.split(r"[,\s]+", v) if x]
    return [v]


_RPM_VERSION = re.compile(r"(?:(?P<epoch>[0-9]*):)?(?P<rest>[A-Za-z0-9._+~^-]+)")


def _version_cmp(a: Any, b: Any, scheme: str) -> int:
    """Order two versions by the package manager's rules; an unparseable version is an OperatorError."""
    a, b = str(a).strip(), str(b).strip()
    if scheme == "rpm":
        (ea, va), (eb, vb) = _rpm_evr(a), _rpm_evr(b)
        if ea != eb:
            return (ea > eb) - (ea < eb)
        return rpm_compare(va, vb)
    try:  # generic and apk: dpkg ordering is the closest well-kept implementation
        return dpkg_compare(a, b)
    except ValueError as exc:
        raise OperatorError(f"not a version: {exc}") from None


def _rpm_evr(v: str) -> tuple[int, str]:
    """``[epoch:]version[-release]`` -> (epoch, version-release); the epoch defaults to 0."""
    m = _RPM_VERSION.fullmatch(v)
    if m is None:
        raise OperatorError(f"not a version: {v!r}")
    return int(m.group("epoch") or 0), m.group("rest")


def _ic(o: dict[str, Any]) -> bool:
    return bool(o.get("ignore_case"))


Operator = Callable[[Any, Any, dict[str, Any]], bool]

OPERATORS: dict[str, Operator] = {
    "equals": lambda a, b, o: _eq(a, b, _ic(o)),
    "not_equals": lambda a, b, o: not _eq(a, b, _ic(o)),
    "in": lambda a, b, o: any(_eq(a, x, _ic(o)) for x in b),
    "not_in": lambda a, b, o: not any(_eq(a, x, _ic(o)) for x in b),
    "matches": lambda a, b, o: re.search(b, str(a), re.IGNORECASE if _ic(o) else 0) is not None,
    "not_matches": lambda a, b, o: re.search(b, str(a), re.IGNORECASE if _ic(o) else 0) is None,
    ">=": lambda a, b, o: _num(a) >= _num(b),
    "<=": lambda a, b, o: _num(a) <= _num(b),
    ">": lambda a, b, o: _num(a) > _num(b),
    "<": lambda a, b, o: _num(a) < _num(b),
    "contains": lambda a, b, o: any(_eq(x, b, _ic(o)) for x in _as_list(a)) if not isinstance(a, dict) else b in a,
    "not_contains": lambda a, b, o: (not any(_eq(x, b, _ic(o)) for x in _as_list(a))) if not isinstance(a, dict)
    else b not in a,
    "present": lambda a, b, o: True,
    "absent": lambda a, b, o: False,
    "subset_of": lambda a, b, o: all(any(_eq(x, y, _ic(o)) for y in b) for x in _as_list(a)),
    "disjoint_from": lambda a, b, o: not any(any(_eq(x, y, _ic(o)) for y in b) for x in _as_list(a)),
    "empty": lambda a, b, o: len(a) == 0 if hasattr(a, "__len__") else a is None,
    "not_empty": lambda a, b, o: len(a) > 0 if hasattr(a, "__len__") else a is not None,
    "version_lt": lambda a, b, o: _version_cmp(a, b, o.get("scheme", "dpkg")) < 0,
    "version_le": lambda a, b, o: _version_cmp(a, b, o.get("scheme", "dpkg")) <= 0,
    "version_eq": lambda a, b, o: _version_cmp(a, b, o.get("scheme", "dpkg")) == 0,
    "version_ge": lambda a, b, o: _version_cmp(a, b, o.get("scheme", "dpkg")) >= 0,
    "version_gt": lambda a, b, o: _version_cmp(a, b, o.get("scheme", "dpkg")) > 0,
}


def apply(op: str, observed: Any, expected: Any, options: dict[str, Any]) -> bool:
    """Apply one operator. A missing value satisfies ``absent`` and nothing else."""
    if observed is MISSING:
        return op == "absent"
    try:
        return OPERATORS[op](observed, expected, options)
    except TypeError as exc:  # e.g. ``in`` against a number, ``contains`` of a list in a mapping
        raise OperatorError(f"cannot apply {op} to {observed!r}: {exc}") from None


def describe(op: str, expected: Any) -> str:
    """The expectation in words, for reports: ``>= 12``, ``not in [cbc, arcfour]``."""
    words = {"present": "is set", "absent": "is not set", "empty": "is empty", "not_empty": "is not empty"}
    if op in words:
        return words[op]
    return f"{op.replace('_', ' ')} {expected!r}" if not isinstance(expected, str) else f"{op.replace('_', ' ')} '{expected}'"
