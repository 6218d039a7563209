"""Run one drill: preconditions, steady state before, method, steady state after, verdict, rollback.

Ctrl-C at any point stops the probe, unfreezes and restores the target, and still
returns the partial journal (status "interrupted"); the caller re-raises.
"""

from __future__ import annotations

import fcntl
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tapguard.drill import phases
from tapguard.drill.journal import new_journal
from tapguard.drill.phases import DrillRun, Progress
from tapguard.drill.settings import DrillSettings
from tapguard.drill.targets.base import FailoverTarget
from tapguard.errors import TapguardError

LOCK = Path(tempfile.gettempdir()) / "tapguard-drill.lock"


@contextmanager
def drill_lock(path: Path = LOCK) -> Iterator[None]:
    """Two drills never overlap on one machine."""
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise TapguardError(f"another drill is running (lock {path}); wait for it to finish") from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def run_drill(target: FailoverTarget, settings: DrillSettings, progress: Progress | None = None) -> dict[str, Any]:
    """One drill, phase by phase; always restores the target and returns the journal."""
    run_id = uuid.uuid4().hex[:12]
    journal = new_journal(
        f"{target.component} failover by {settings.fault} under {settings.rate * 60:,.0f} writes/min",
        {
            "target": target.describe(),
            "component": target.component,
            "fault": settings.fault,
            "run": run_id,
            "rate_per_s": round(settings.rate, 1),
            "connections": settings.connections,
            "max_downtime_s": settings.max_downtime,
        },
    )
    run = DrillRun(target, settings, run_id, journal, progress)
    try:
        if not phases.preconditions(run) or not phases.steady_state_before(run):
            return phases.conclude(run)
        phases.method(run)
        cols = phases.steady_state_after(run)
        return phases.conclude(run, cols)
    except KeyboardInterrupt:
        journal["status"] = "interrupted"
        journal["reason"] = "interrupted (Ctrl-C): probe stopped, target restored, partial journal kept"
        return phases.conclude(run)
    finally:
        phases.rollback(run)
