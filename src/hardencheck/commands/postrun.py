"""What happens to a finished run after ``run.json`` is written: store it, compare it, then (``seal``) sign it.

``prepare`` runs before any host is contacted, so a bad ``--store``,
``--baseline`` or ``--sign-key`` fails at once; it also resolves the
baseline *before* the new run is stored, so ``--baseline latest`` means the
latest run before this one. ``latest~N`` beyond the store's history is a
warning, not an error, so a nightly job's first night still runs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hardencheck.checks.yamlsource import SourceError, SourceErrorList
from hardencheck.plan import ScanPlan
from hardencheck.results.document import load_run
from hardencheck.store import NotEnoughRuns, Store, StoreError

EXIT_OK, EXIT_FINDINGS, EXIT_UNAUDITED, EXIT_INTERRUPTED = 0, 1, 3, 130


@dataclass
class AfterRun:
    plan: ScanPlan
    store: Store | None = None
    baseline: dict[str, Any] | None = None
    sign_key: Ed25519PrivateKey | None = None
    fail_on_regression: bool = False

    @classmethod
    def prepare(cls, args: argparse.Namespace, plan: ScanPlan) -> AfterRun:
        from hardencheck.commands.history import open_store
        from hardencheck.commands.sign import signing_key

        ref: str | None = getattr(args, "baseline", None)
        no_store = bool(getattr(args, "no_store", False))
        regression = bool(getattr(args, "fail_on_regression", False))
        if regression and not ref:
            raise SourceErrorList([SourceError("--fail-on-regression", None, "", "needs --baseline RUN")])
        after = cls(plan, sign_key=signing_key(args), fail_on_regression=regression)
        ref_is_path = ref is not None and Path(ref).exists()
        store = open_store(args) if not no_store or (ref and not ref_is_path) else None
        if ref:
            try:
                after.baseline = load_run(Path(ref)) if ref_is_path else store.resolve(ref)  # type: ignore[union-attr]
            except NotEnoughRuns as exc:  # the first night of a scheduled audit: nothing to compare with yet
                print(f"warning: no baseline, this run is not compared: {exc}", file=sys.stderr)
            except (StoreError, OSError, ValueError) as exc:
                if store is not None:
                    store.close()
                raise SourceErrorList([SourceError("--baseline", None, "", str(exc))]) from None
        if no_store and store is not None:
            store.close()  # opened only to find the baseline
        else:
            after.store = store
        return after

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def finish(self, run_json: Path, code: int) -> int:
        """Store the run and compare it with the baseline; returns the exit code (the regression gate may raise it).

        Signing is :meth:`seal`, called once every file of the run folder (reports too) is written.
        """
        try:
            doc = load_run(run_json)
            if self.store is not None:
                self._store(doc, run_json.parent)
            if self.baseline is not None:
                code = self._compare(doc, run_json.parent, code)
        finally:
            self.close()
        return code

    def seal(self, run_json: Path) -> None:
        """Sign run.json and write the signed manifest of the whole folder (with ``--sign-key``)."""
        if self.sign_key is not None:
            from hardencheck.commands.sign import sign_or_fail

            sign_or_fail(run_json.parent, self.sign_key, run_json.name)

    def _store(self, doc: dict[str, Any], folder: Path) -> None:
        assert self.store is not None
        try:
            self.store.add_run(doc)
            print(f"stored in {self.store.url}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - the run is on disk; losing history must not lose the run
            print(f"error: run not stored in the history ({exc}); store it later with "
                  f"`hardencheck import {folder}`", file=sys.stderr)

    def _compare(self, doc: dict[str, Any], folder: Path, code: int) -> int:
        from hardencheck.commands.compare import print_summary, write_comparison
        from hardencheck.compare import compare_runs, gate

        assert self.baseline is not None
        try:
            comparison = compare_runs(self.baseline, doc, self.plan)
        except Exception as exc:  # noqa: BLE001 - the run is safe on disk; the comparison can be redone
            print(f"error: comparison with the baseline failed ({type(exc).__name__}: {exc}); redo it with "
                  f"`hardencheck compare BASELINE {folder}`", file=sys.stderr)
            return code if code == EXIT_INTERRUPTED else EXIT_UNAUDITED  # unknown is never "no regression"
        print_summary(comparison, write_comparison(folder, comparison), path_on_stdout=False)
        if self.fail_on_regression and code == EXIT_OK and gate(comparison, regression=True, fail_on="none"):
            return EXIT_FINDINGS
        return code
