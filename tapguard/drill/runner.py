"""Run one drill: steady state, one fault, recovery, read-back, restore; a chaostoolkit-style journal.

Ctrl-C at any point stops the probe, unfreezes and restores the target, and still
returns the partial journal (status "interrupted"); the caller re-raises.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tapguard.drill import verdict as verdicts
from tapguard.drill.probe import OK, Probe
from tapguard.drill.target import FailoverTarget
from tapguard.errors import TapguardError

LOCK = Path(tempfile.gettempdir()) / "tapguard-drill.lock"


@dataclass
class DrillSettings:
    fault: str = "kill"
    rate: float = 100_000 / 60  # 100,000 transactions per minute
    connections: int = 8
    steady_seconds: float = 5.0
    settle_seconds: float = 3.0
    max_downtime: float = 30.0
    recovery_timeout: float = 90.0
    attempt_timeout: float = 2.0


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


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


class Activity:
    def __init__(self, journal: dict[str, Any], name: str, kind: str = "action") -> None:
        self.entry: dict[str, Any] = {"activity": {"name": name, "type": kind}, "start": now_iso(), "status": "running"}
        journal["run"].append(self.entry)

    def done(self, status: str = "succeeded", output: Any = None) -> None:
        self.entry.update(end=now_iso(), status=status, output=output)


def run_drill(target: FailoverTarget, settings: DrillSettings, progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:12]
    journal: dict[str, Any] = {
        "chaoslib-version": None,
        "platform": "tapguard",
        "title": f"{target.component} failover by {settings.fault} under {settings.rate * 60:,.0f} writes/min",
        "experiment": {
            "target": target.describe(),
            "component": target.component,
            "fault": settings.fault,
            "run": run_id,
            "rate_per_s": round(settings.rate, 1),
            "connections": settings.connections,
            "max_downtime_s": settings.max_downtime,
        },
        "start": now_iso(),
        "status": "running",
        "steady_states": {},
        "run": [],
        "rollbacks": [],
    }
    probe: Probe | None = None
    inject_at: float | None = None
    marks: dict[str, float] = {}
    stop_watch = threading.Event()
    watcher: threading.Thread | None = None
    injected = False
    try:
        problems = target.preconditions()
        journal["steady_states"]["preconditions"] = {"met": not problems, "problems": problems}
        if problems:
            journal["status"] = "aborted"
            journal["deviated"] = True
            journal["reason"] = "preconditions not met: " + "; ".join(problems)
            return _finish(journal, probe, marks, None, None, target, settings, run_id)
        target.prepare()
        probe = Probe(target.writer_factory(run_id), settings.rate, settings.connections, settings.attempt_timeout)
        probe.start()
        _wait(settings.steady_seconds, probe, progress, "steady state")
        cols = probe.columns()
        # skip the first second: connections warm up
        before = verdicts.steady_state(cols, probe.t0 + min(1.0, settings.steady_seconds / 3), time.monotonic(), settings.rate)
        journal["steady_states"]["before"] = before
        if not before["met"]:
            journal["status"] = "aborted"
            journal["reason"] = (
                f"steady state not met before injection: {before['achieved_rate']}/s of {settings.rate:.0f}/s, "
                f"p99 {before['p99_ms']} ms, {before['failures']} failures; no fault injected"
            )
            return _finish(journal, probe, marks, None, None, target, settings, run_id)
        act = Activity(journal, f"inject {settings.fault}")
        inject_at = time.monotonic()
        marks["inject"] = inject_at
        act.done(output=target.inject(settings.fault))
        injected = True
        watcher = threading.Thread(target=target.watch, args=(marks, stop_watch), daemon=True)
        watcher.start()
        act = Activity(journal, "probe until the writer is back", "probe")
        recovered = _wait_recovery(probe, inject_at, settings, progress)
        if recovered is not None:
            marks["recover"] = recovered
        act.done("succeeded" if recovered else "failed", {"recovered": recovered is not None})
        _wait(settings.settle_seconds, probe, progress, "after")
        probe.stop()
        cols = probe.columns()
        last = max(cols["start"], default=inject_at)
        journal["steady_states"]["after"] = verdicts.steady_state(
            cols, max(last - settings.settle_seconds + 0.5, recovered or last), last, settings.rate
        )
        journal["steady_states"]["during"] = {
            "failures": sum(1 for s, st in zip(cols["start"], cols["status"], strict=True) if s >= inject_at and st != OK)
        }
        return _finish(journal, probe, marks, inject_at, cols, target, settings, run_id)
    except KeyboardInterrupt:
        journal["status"] = "interrupted"
        journal["reason"] = "interrupted (Ctrl-C): probe stopped, target restored, partial journal kept"
        return _finish(journal, probe, marks, inject_at, None, target, settings, run_id)
    finally:
        stop_watch.set()
        if probe is not None:
            probe.stop()
        if injected:
            act = Activity(journal, "restore the target", "rollback")
            try:
                act.done(output=target.restore())
            except Exception as exc:  # a failed restore is reported, the journal still returned
                act.done("failed", str(exc))
            journal["rollbacks"].append(journal["run"].pop())


def _wait(seconds: float, probe: Probe, progress: Callable[[dict[str, Any]], None] | None, phase: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if progress:
            progress(_live(probe, phase))


def _wait_recovery(
    probe: Probe, inject_at: float, settings: DrillSettings, progress: Callable[[dict[str, Any]], None] | None
) -> float | None:
    """The first acknowledged write that ends a gap after the injection (or None at the timeout)."""
    deadline = inject_at + settings.recovery_timeout
    failed_seen = False
    while time.monotonic() < deadline:
        time.sleep(0.1)
        live = _live(probe, "failover")
        if progress:
            progress(live)
        cols = probe.columns()
        after = [(s, e, st) for s, e, st in zip(cols["start"], cols["end"], cols["status"], strict=True) if s >= inject_at]
        failed_seen = failed_seen or any(st != OK for _, _, st in after)
        if failed_seen:
            # recovered: acknowledged writes without a failure for a whole second since the last
            # failure (a write slipping through while the writer dies is not a recovery)
            last_fail = max(s for s, _, st in after if st != OK)
            oks = sorted(e for s, e, st in after if st == OK and s > last_fail)
            if oks and oks[-1] - oks[0] >= 1.0:
                return float(oks[0])
        elif time.monotonic() - inject_at > 5 and after and all(st == OK for _, _, st in after):
            # a seamless switch: no write failed
            return inject_at
    return None


def _live(probe: Probe, phase: str) -> dict[str, Any]:
    recent = time.monotonic() - 1.0
    ok = fail = 0
    server = None
    for log in probe.logs:
        for i in range(len(log) - 1, -1, -1):
            if log.end[i] < recent:
                break
            if log.status[i] == OK:
                ok += 1
                server = log.server[i]
            else:
                fail += 1
    return {"phase": phase, "ok_per_s": ok, "errors_per_s": fail, "writer": server, "elapsed_s": round(time.monotonic() - probe.t0, 1)}


def _finish(
    journal: dict[str, Any],
    probe: Probe | None,
    marks: dict[str, float],
    inject_at: float | None,
    cols: dict[str, Any] | None,
    target: FailoverTarget,
    settings: DrillSettings,
    run_id: str,
) -> dict[str, Any]:
    if probe is not None and cols is None:
        probe.stop()
        cols = probe.columns()
    journal["end"] = now_iso()
    if probe is None or cols is None:
        journal.setdefault("status", "aborted")
        journal["verdict"] = {"passed": False, "reasons": [journal.get("reason", "not run")], "max_downtime_s": settings.max_downtime}
        return journal
    present = None
    if inject_at is not None:
        act = Activity(journal, "read back every acknowledged write from the writer", "probe")
        acked = {s for s, st in zip(cols["seq"], cols["status"], strict=True) if st == OK}
        try:
            present = target.readback(run_id, acked)
            act.done(output={"checked": len(acked), "present": len(present & acked)})
        except Exception as exc:  # report it: the verdict then fails for lack of proof
            act.done("failed", f"{type(exc).__name__}: {exc}")
    result = verdicts.decide(cols, probe.t0, inject_at, marks, present, settings.max_downtime, target.require_replica_ack, settings.rate)
    if journal["status"] == "running":
        journal["status"] = "completed"
        journal["deviated"] = not result.passed
    elif journal["status"] in ("aborted", "interrupted"):
        result.passed = False
        result.reasons.insert(0, journal.get("reason", journal["status"]))
    journal["verdict"] = result.as_dict()
    series = verdicts.timeline(cols, probe.t0)
    series["t0"] = 0.0
    journal["timeline"] = series
    if result.gap_end_s is not None:
        marks["recover"] = probe.t0 + result.gap_end_s  # the verdict's first acknowledged write on the new writer
    journal["marks"] = {k: round(v - probe.t0, 3) for k, v in sorted(marks.items(), key=lambda kv: kv[1])}
    journal["probe"] = {"attempts": len(cols["seq"]), "capacity_reached": probe.full}
    return journal
