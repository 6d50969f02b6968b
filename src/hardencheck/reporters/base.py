"""What a reporter is: a name, the file it is written to beside run.json, and a pure ``render``."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable


@runtime_checkable
class Reporter(Protocol):
    """Turns a run (and optionally a comparison with it) into one document; never touches files.

    ``render`` receives the run document (the later run of a comparison) and, when one is given,
    the comparison document; it returns text or bytes and the CLI decides where they go.
    """

    #: The ``--format`` value.
    name: ClassVar[str]
    #: The file ``scan --format NAME`` writes beside run.json.
    filename: ClassVar[str]
    #: One line for ``--help``.
    description: ClassVar[str]

    def render(self, run: dict[str, Any], comparison: dict[str, Any] | None = None) -> str | bytes: ...
