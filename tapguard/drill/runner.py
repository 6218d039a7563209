"""Run one drill: preconditions, steady state before, method, steady state after, verdict, rollback.

Ctrl-C (or SIGTERM, see interrupts.py) at any point stops the probe, restores what was injected,
concludes a partial journal (status "interrupted") and raises DrillInterrupted carrying it: the
caller keeps the journal, injects nothing more and exits 130.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tapguard.drill import interrupts, locks, phases
from tapguard.drill.journal import new_journal
from tapguard.drill.phases import DrillRun, Progress
from tapguard.drill.settings import DrillSettings
from tapguard.drill.targets.base import FailoverTarget

LOCK = Path(tempfile.gettempdir()) / "tapguard-drill.lock"  # only for callers that name no target (see drill_lock)


class DrillInterrupted(KeyboardInterrupt):
    """A drill stopped by Ctrl-C or SIGTERM; its target restored, its partial journal in `journal`."""

    def __init__(self, journal: dict[str, Any]) -> None:
        super().__init__("drill interrupted")
        self.journal = journal


@contextmanager
def drill_lock(*targets: FailoverTarget) -> Iterator[None]:
    """Hold the lock of every target; with none named, the machine-wide lock older callers took."""
    with locks.drill_lock(*((t.lock_path(), t.lock_subject()) for t in targets) if targets else ((LOCK, "this machine"),)):
        yield


def run_drill(target: FailoverTarget, settings: DrillSettings, progress: Progress | None = None) -> dict[str, Any]:
    """One drill, phase by phase, under its target's lock; restores the target and returns the journal."""
    with drill_lock(target):
        return run_locked(target, settings, progress)


def run_locked(target: FailoverTarget, settings: DrillSettings, progress: Progress | None = None) -> dict[str, Any]:
    """run_drill for a caller that already holds the target's lock (drill_lock(target, ...))."""
    run_id = uuid.uuid4().hex[:12]
    fault = target.fault.name
    journal = new_journal(
        f"{target.component} failover by {fault} under {settings.rate * 60:,.0f} writes/min",
        {
            "target": target.describe(),
            "component": target.component,
            "fault": fault,
            "run": run_id,
            "rate_per_s": round(settings.rate, 1),
            "connections": settings.connections,
            "max_downtime_s": settings.max_downtime,
        },
    )
    run = DrillRun(target, settings, run_id, journal, progress)
    try:
        cols = None
        if phases.preconditions(run) and phases.steady_state_before(run):
            phases.method(run)
            cols = phases.steady_state_after(run)
        done = phases.conclude(run, cols)
        phases.rollback(run)
        return done
    except KeyboardInterrupt:
        journal["status"] = "interrupted"
        journal["reason"] = "interrupted (Ctrl-C or SIGTERM): probe stopped, target restored, nothing more injected"
        try:
            # a second Ctrl-C must not cut the restore or the journal short: held until both are done
            with interrupts.held():
                phases.rollback(run)
                if "verdict" in journal:  # interrupted while restoring a concluded drill
                    journal["verdict"]["passed"] = False
                    journal["verdict"]["reasons"].insert(0, journal["reason"])
                    journal["deviated"] = True
                else:
                    phases.conclude(run)
        except KeyboardInterrupt:  # another one: already stopping
            pass
        raise DrillInterrupted(journal) from None
    finally:
        phases.rollback(run)  # any other failure: the target is still restored
