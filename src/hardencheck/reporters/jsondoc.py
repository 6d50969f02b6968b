"""The run document, or the comparison document when one is given, exactly as stored.

Both are versioned and validated by their schemas (schemas/run.schema.json,
schemas/comparison.schema.json); this reporter adds nothing so that the output stays valid
against them and machine consumers read one shape whichever command wrote it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar


class JsonReporter:
    name: ClassVar[str] = "json"
    filename: ClassVar[str] = "run.json"
    description: ClassVar[str] = "the run (or comparison) document as stored, valid against its schema"

    def render(self, run: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
        doc = comparison if comparison is not None else run
        return json.dumps(doc, indent=1, default=str) + "\n"
