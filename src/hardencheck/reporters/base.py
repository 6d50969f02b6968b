"""What a reporter is: a name, the file it is written to beside run.json, and a pure ``render``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hardencheck.reporters.view import ReportView


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


class ViewReporter:
    """Base of the reporters that render the shared :class:`ReportView` of a run (and comparison).

    Builds the view once, with the garbage collector paused while its ~100,000 records are
    made, and hands it to ``_render``.
    """

    name: ClassVar[str]
    filename: ClassVar[str]
    description: ClassVar[str]

    def render(self, run: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
        from hardencheck.reporters.view import build_view, no_gc

        with no_gc():
            return self._render(build_view(run, comparison), run, comparison)

    def _render(self, view: "ReportView", run: dict[str, Any], comparison: dict[str, Any] | None) -> str:
        raise NotImplementedError
