"""One object per plan, from the command line (or the runner) to the bundle: admitted once, hashed once, parsed once.

`tapguard check` makes one `AdmittedPlan` per environment as soon as it has its plan: a `--plan-json` file is read,
validated and redacted into a copy (intake.admit_file), a planned environment's redacted copy comes from the runner.
Every later step asks this object, never the file again: checkov's cache key (`digest`), the controls (`model()`),
AC1 across plans (`model()`), checkov's reconciliation (`unknowns()`), the bundle and controls.json (`path`, `digest`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tapguard.planning import intake, model

if TYPE_CHECKING:
    from tapguard.planning.runner import PlanResult


@dataclass(eq=False)
class AdmittedPlan:
    environment: str
    path: Path  # the redacted copy: what checkov scans and the bundle keeps
    label: str  # where it came from, for messages
    _digest: str | None = field(default=None, repr=False)
    _model: model.Plan | None = field(default=None, repr=False)
    _unknowns: dict[str, Any] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    loads: int = 0  # how often the copy was parsed (once; again only after release())

    @classmethod
    def given(cls, environment: str, path: Path) -> AdmittedPlan:
        """A plan JSON made elsewhere (`--plan-json ENV=PATH`): admitted through intake into a redacted copy."""
        label = f"--plan-json {environment}={path}"
        return cls(environment, intake.admit_file(environment, path, label), label)

    @classmethod
    def planned(cls, result: PlanResult) -> AdmittedPlan:
        """A plan this process made (or took from the content cache): the runner's redacted copy."""
        return cls(result.environment, result.json_path, f"plan of {result.environment}")

    @property
    def digest(self) -> str:
        """sha256 of the redacted copy: known from its writing when this process wrote it, else read once."""
        with self._lock:
            if self._digest is None:
                self._digest = intake.digest_of(self.path)
            return self._digest

    def model(self) -> model.Plan:
        """The plan model, parsed on first use and kept until release()."""
        with self._lock:
            if self._model is None:
                self._model = model.load(self.path)
                self.loads += 1
            return self._model

    def unknowns(self) -> dict[str, Any]:
        """address -> change.after_unknown (what checkov's plan failures are reconciled against), from the model."""
        if self._unknowns is None:
            self._unknowns = {
                str(rc.get("address")): (rc.get("change") or {}).get("after_unknown") or {}
                for rc in self.model().data.get("resource_changes") or []
                if isinstance(rc, dict)
            }
        return self._unknowns

    def __deepcopy__(self, memo: dict[int, Any]) -> AdmittedPlan:
        """One object per plan: a copy of a result (an environment cloned for a report) shares its plan."""
        return self

    def release(self) -> None:
        """Drop the parsed model (the bundle needs only the copy and its digest): a big plan is not held while
        the bundle is written."""
        with self._lock:
            self._model = None


def of(environment: str, plan: AdmittedPlan | Path) -> AdmittedPlan:
    """The object for a plan given either way (callers holding only a path: tests, the hook's --plan-json)."""
    return plan if isinstance(plan, AdmittedPlan) else AdmittedPlan(environment, plan, str(plan))
