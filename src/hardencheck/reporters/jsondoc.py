"""The run document, or the comparison document when one is given, exactly as stored.

Both are versioned and validated by their schemas (schemas/run.schema.json,
schemas/comparison.schema.json); this reporter adds nothing so that the output stays valid
against them and machine consumers read one shape whichever command wrote it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

#: Past this many results (or transitions) the document is written without indentation: Python's
#: indenting JSON encoder is pure Python and several times slower than the C one.
LARGE_RESULTS = 5000


def _size(doc: dict[str, Any]) -> int:
    if doc.get("kind") == "comparison":
        return len(doc.get("transitions") or ())
    return sum(len(h.get("results") or ()) for h in doc.get("hosts") or ())


class JsonReporter:
    name: ClassVar[str] = "json"
    filename: ClassVar[str] = "run.json"
    description: ClassVar[str] = "the run (or comparison) document as stored, valid against its schema"

    def render(self, run: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
        doc = comparison if comparison is not None else run
        indent = None if _size(doc) > LARGE_RESULTS else 1
        return json.dumps(doc, indent=indent, default=str) + "\n"
