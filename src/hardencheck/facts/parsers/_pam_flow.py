"""What a PAM control does to the stack: parsing controls and following jumps.

A check asking "does a pam_faillock failure block sshd logins?" needs more
than the module list: ``[success=1 default=ignore]`` jumps, ``sufficient``
ends the stack early, and a ``substack`` confines both. The rules here follow
Linux-PAM's ``pam_misc.c`` (``_pam_parse_control``) and ``pam_dispatch.c``:

* a bracket control's values not named get the first ``default=`` action,
  and ``bad`` when there is no ``default`` at all; an unparsable control
  makes every value ``bad`` (a typo like ``requried`` fails closed);
* ``default`` also covers ``success`` unless ``success`` is named, so
  Debian's ``[default=1] pam_permit.so`` jumps on success;
* a jump counts modules at its own substack level, a substack counting as one;
  ``done`` ends the current substack (the whole stack at level 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RETURN_VALUES = frozenset(
    {
        "success",
        "open_err",
        "symbol_err",
        "service_err",
        "system_err",
        "buf_err",
        "perm_denied",
        "auth_err",
        "cred_insufficient",
        "authinfo_unavail",
        "user_unknown",
        "maxtries",
        "new_authtok_reqd",
        "acct_expired",
        "session_err",
        "cred_unavail",
        "cred_expired",
        "cred_err",
        "no_module_data",
        "conv_err",
        "authtok_err",
        "authtok_recover_err",
        "authtok_lock_busy",
        "authtok_disable_aging",
        "try_again",
        "ignore",
        "abort",
        "authtok_expired",
        "module_unknown",
        "bad_item",
        "conv_again",
        "incomplete",
    }
)
ACTIONS = frozenset({"ignore", "bad", "die", "ok", "done", "reset"})

SIMPLE_CONTROLS: dict[str, dict[str, str]] = {
    "required": {"success": "ok", "new_authtok_reqd": "ok", "ignore": "ignore", "default": "bad"},
    "requisite": {"success": "ok", "new_authtok_reqd": "ok", "ignore": "ignore", "default": "die"},
    "optional": {"success": "ok", "new_authtok_reqd": "ok", "default": "ignore"},
    "sufficient": {"success": "done", "new_authtok_reqd": "done", "default": "ignore"},
}
_NOT_FAILURES = frozenset({"success", "ignore", "new_authtok_reqd"})


def parse_control(word: str, bracketed: bool) -> tuple[str, dict[str, str], str | None]:
    """Return ``(control, actions, error)`` for a control field.

    ``control`` is the keyword for simple controls and the normalised
    ``[value=action ...]`` string for bracket syntax.
    """
    if not bracketed:
        lowered = word.lower()
        if lowered in SIMPLE_CONTROLS:
            return lowered, dict(SIMPLE_CONTROLS[lowered]), None
        if lowered in ("include", "substack"):
            return lowered, {}, None
        return word, {"default": "bad"}, f"unknown control {word!r}; Linux-PAM treats every result as failure"
    actions: dict[str, str] = {}
    default: str | None = None
    pairs = []
    for token in word.split():
        value, sep, action = token.partition("=")
        valid_action = action in ACTIONS or (action.isdigit() and int(action) > 0)
        if not sep or not valid_action or (value not in RETURN_VALUES and value != "default"):
            return (
                f"[{word}]",
                {"default": "bad"},
                f"unparsable control [{word}]; Linux-PAM treats every result as failure",
            )
        pairs.append(f"{value}={action}")
        if value == "default":
            default = default or action
        else:
            actions[value] = action
    actions["default"] = default or "bad"
    return "[" + " ".join(pairs) + "]", actions, None


def on_success(actions: dict[str, str]) -> str:
    """The action taken when the module succeeds."""
    return actions.get("success", actions.get("default", "bad"))


def is_enforcing(actions: dict[str, str]) -> bool:
    """A failure of the module makes the stack fail (``bad``/``die`` on a failure value)."""
    return any(action in ("bad", "die") for value, action in actions.items() if value not in _NOT_FAILURES)


def is_optional(actions: dict[str, str]) -> bool:
    """The module never decides: no failure is fatal and success neither ends nor jumps."""
    return bool(actions) and not is_enforcing(actions) and on_success(actions) in ("ok", "ignore")


@dataclass(frozen=True)
class Node:
    """One handler in load order: a module entry, or a substack marker (``entry is None``)."""

    entry: dict[str, Any] | None
    level: int


def mark_bypasses(nodes: list[Node]) -> None:
    """Fill each entry's ``bypassed_by`` with earlier modules whose success skips it."""
    for index, node in enumerate(nodes):
        if node.entry is None:
            continue
        action = on_success(node.entry["actions"])
        if action == "done":
            end = index
            while end + 1 < len(nodes) and nodes[end + 1].level >= node.level:
                end += 1
        elif action.isdigit():
            end = _jump_end(nodes, index, int(action))
        else:
            continue
        for skipped in nodes[index + 1 : end + 1]:
            if skipped.entry is not None:
                skipped.entry["bypassed_by"].append(node.entry["module"])


def _jump_end(nodes: list[Node], index: int, count: int) -> int:
    """Last node skipped by a jump of ``count`` (pam_dispatch.c's skip loop)."""
    level = nodes[index].level
    end = index
    while end + 1 < len(nodes) and nodes[end + 1].level >= level and count > 0:
        end += 1
        while end + 1 < len(nodes) and nodes[end + 1].level > level:
            end += 1
        count -= 1
    return end
