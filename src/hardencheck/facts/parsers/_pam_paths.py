"""Can a PAM stack succeed without one module succeeding? (A second factor must not be optional.)

``enforcing``/``bypassed_by`` in the PAM fact describe each line on its own.
Whether a module really gates the login depends on the lines around it:
Debian's ``[success=1 default=ignore]`` followed by ``requisite pam_deny.so``
is as strict as ``required``; the same line followed by ``optional`` modules
is not. So this walks every path libpam could take through the stack
(``pam_dispatch.c``: ``ok``/``done`` set a success impression unless one
failure was already recorded, ``bad`` records a failure, ``die`` ends in
failure, ``reset`` forgets, ``N`` skips N modules), letting every other
module succeed or fail as an attacker with the first factor would like,
except ``pam_deny`` (always fails) and ``pam_permit`` (always succeeds).

Substacks are walked flat (a ``die`` inside one is treated as ending the
whole stack), which is exact for the include-only stacks of Debian and
Ubuntu; results for stacks with ``substack`` lines say ``approximate``.
"""

from __future__ import annotations

from typing import Any

ALWAYS_FAILS = frozenset({"pam_deny.so"})
ALWAYS_SUCCEEDS = frozenset({"pam_permit.so"})
_IMPRESSIONS = ("none", "success", "fail")


def gate(entries: list[dict[str, Any]], target: int) -> dict[str, Any]:
    """How ``entries[target]`` gates the stack, assuming it never succeeds.

    ``fail_open``: the stack can succeed on a path where the module ran and failed
    (optional, sufficient, an ``ignore`` not followed by a deny...).
    ``skippable``: the stack can succeed on a path that never runs the module
    (an earlier ``sufficient`` or ``[success=N]`` jump over it).
    ``enforced``: neither.

    Every step moves forward, so the walk is computed backwards from the end of
    the stack (no recursion: a hostile stack of a thousand lines is fine).
    """
    n = len(entries)
    # reach[i][(impression, ran)] = the ``ran`` flags of successful paths continuing at module i
    reach: list[dict[tuple[str, bool], frozenset[bool]]] = [{} for _ in range(n + 1)]
    states = [(imp, ran) for imp in _IMPRESSIONS for ran in (False, True)]
    for imp, ran in states:
        reach[n][(imp, ran)] = frozenset({ran}) if imp == "success" else frozenset()

    def after(j: int, imp: str, ran: bool) -> frozenset[bool]:
        return reach[min(j, n)][(imp, ran)]

    for i in range(n - 1, -1, -1):
        entry = entries[i]
        outcomes: tuple[str, ...]
        if i == target or entry["module"] in ALWAYS_FAILS:
            outcomes = ("auth_err",)
        elif entry["module"] in ALWAYS_SUCCEEDS:
            outcomes = ("success",)
        else:
            outcomes = ("success", "auth_err")
        actions = entry.get("actions") or {}
        for imp, ran in states:
            now_ran = ran or i == target
            found: set[bool] = set()
            for value in outcomes:
                found |= _step(after, i, imp, now_ran, actions.get(value, actions.get("default", "bad")))
            reach[i][(imp, ran)] = frozenset(found)
    successes = reach[0][("none", False)] if n else frozenset()
    return {"fail_open": True in successes, "skippable": False in successes,
            "enforced": not successes, "approximate": any(e.get("stack_level", 0) for e in entries)}


def _step(after: Any, i: int, impression: str, ran: bool, action: str) -> frozenset[bool]:
    if action == "ignore":
        return after(i + 1, impression, ran)
    if action in ("ok", "done"):
        new = impression if impression == "fail" else "success"
        if action == "done":
            return frozenset({ran}) if new == "success" else frozenset()
        return after(i + 1, new, ran)
    if action == "bad":
        return after(i + 1, "fail", ran)
    if action == "reset":
        return after(i + 1, "none", ran)
    if action.isdigit():
        return after(i + 1 + int(action), impression, ran)
    return frozenset()  # die, or anything unknown: the stack fails here
