"""A target: one host (or config directory) to audit, and the variables that shape its audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Target:
    """``name`` is the identity used in results, comparisons and waivers; ``address`` is where to connect."""

    name: str
    transport: str  # ssh, local, dir
    address: str = ""
    port: int | None = None
    user: str | None = None
    identity_files: tuple[str, ...] = ()
    asset_class: str | None = None
    groups: tuple[str, ...] = ()
    path: str | None = None  # dir targets
    mappings: tuple[tuple[str, str], ...] = ()  # dir targets: (repo path, target path)
    vars: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.name, "transport": self.transport, "address": self.address,
                             "port": self.port, "user": self.user, "asset_class": self.asset_class,
                             "groups": list(self.groups)}
        if self.path:
            d["path"] = self.path
        return d
