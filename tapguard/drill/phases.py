"""The phases of one drill, named as chaostoolkit names them.

steady_state_before -> method (inject the fault, probe until the writer is back) ->
steady_state_after (settle window) -> conclude (read back, verdict) -> rollback (restore).
Each phase reads and writes one `DrillRun`; runner.run_drill sequences them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tapguard.drill import interrupts
from tapguard.drill import verdict as verdicts
from tapguard.drill.journal import Activity, now_iso
from tapguard.drill.probe import OK, Probe
from tapguard.drill.settings import DrillSettings
from tapguard.drill.targets.base import FailoverTarget

Progress = Callable[[dict[str, Any]], None]
FENCE_RATE = 20.0  # writes per second to the old writer: enough to see a window of a second, light beside the probe


def fence_run(run_id: str) -> str:
    """The fencing probe's run name: its rows and keys never mix with the probe's."""
    return f"{run_id}-fence"


@dataclass
class DrillRun:
    """Everything one drill knows while it runs."""

    target: FailoverTarget
    settings: DrillSettings
    run_id: str
    journal: dict[str, Any]
    progress: Progress | None = None
    probe: Probe | None = None
    fence: Probe | None = None  # writes straight to the old writer from the injection on (fault.fences)
    inject_at: float | None = None
    injected: bool = False
    rolled_back: bool = False
    marks: dict[str, float] = field(default_factory=dict)
    stop_watch: threading.Event = field(default_factory=threading.Event)


def preconditions(run: DrillRun) -> bool:
    """The target is ready for a drill; otherwise the journal says why and nothing is injected."""
    problems = run.target.preconditions()
    run.journal["steady_states"]["preconditions"] = {"met": not problems, "problems": problems}
    if problems:
        run.journal["status"] = "aborted"
        run.journal["deviated"] = True
        run.journal["reason"] = "preconditions not met: " + "; ".join(problems)
    return not problems


def steady_state_before(run: DrillRun) -> bool:
    """Start the probe and prove a whole steady window before any fault.

    Connections warm up and a busy machine stutters: the probe writes until a window of
    steady_seconds meets the steady state, for at most warmup_timeout more. Past that the
    drill aborts with the window that came closest, and nothing is injected.
    """
    settings = run.settings
    run.target.prepare()
    run.probe = probe = Probe(run.target.writer_factory(run.run_id), settings.rate, settings.connections, settings.attempt_timeout)
    probe.start()
    since = probe.t0 + min(1.0, settings.steady_seconds / 3)  # the first second: connections open
    deadline = since + settings.steady_seconds + settings.warmup_timeout
    _wait(max(0.0, since + settings.steady_seconds - time.monotonic()), probe, run.progress, "steady state")
    while True:
        state = verdicts.steady_again(probe.columns(), since, settings.rate, settings.steady_seconds)
        if state["met"] or time.monotonic() >= deadline:
            break
        _wait(0.5, probe, run.progress, "steady state")
    window_start = state["since"] if state["met"] else state.get("closest_since", since)
    before = {k: v for k, v in state.items() if k not in ("since", "closest_since", "incomplete")}
    before["warmup_s"] = round(window_start - probe.t0, 2)  # seconds after the probe started, like every journal time
    run.journal["steady_states"]["before"] = before
    if not before["met"]:
        run.journal["status"] = "aborted"
        run.journal["reason"] = (
            f"steady state not met before injection within {settings.steady_seconds + settings.warmup_timeout:.0f} s: "
            f"at best {before['achieved_rate']}/s of {settings.rate:.0f}/s, p99 {before['p99_ms']} ms, "
            f"{before['failures']} failures; no fault injected"
        )
    return bool(before["met"])


def method(run: DrillRun) -> None:
    """Inject the fault, watch the target, and probe until the writer is back (or the timeout)."""
    assert run.probe is not None
    act = Activity(run.journal, f"inject {run.target.fault.name}")
    run.inject_at = inject_at = time.monotonic()
    run.marks["inject"] = inject_at
    # injected before the call: whatever part of the fault took effect is restored; an interrupt waits for the call to end
    run.injected = True
    with interrupts.held():
        act.done(output=run.target.inject())
    if run.target.fault.fences:
        factory = run.target.fence_writer_factory(fence_run(run.run_id))
        if factory is not None:
            # Jepsen style: a client of the old writer's own keeps writing to it through the fault and after
            run.fence = Probe(factory, min(FENCE_RATE, run.settings.rate), 1, run.settings.attempt_timeout)
            run.fence.start()
    threading.Thread(target=run.target.watch, args=(run.marks, run.stop_watch), daemon=True).start()
    act = Activity(run.journal, "probe until the writer is back", "probe")
    recovered = _wait_recovery(run.probe, inject_at, run.settings, run.progress)
    if recovered is not None:
        run.marks["recover"] = recovered
    act.done("succeeded" if recovered else "failed", {"recovered": recovered is not None})


def steady_state_after(run: DrillRun) -> dict[str, Any]:
    """Keep writing until a whole settle window is at steady state after recovery and after the fault ended.

    The probe runs on through a thawing writer: a hang fault ends inside the drill, so what the
    old writer does when it wakes up with clients connected is observed, and judged. A service
    that does not get back to steady state within steady_timeout stops the wait (the verdict
    then says how it limps).
    """
    assert run.probe is not None and run.inject_at is not None
    probe, settings, inject_at, target = run.probe, run.settings, run.inject_at, run.target
    recovered = run.marks.get("recover")
    fault_end = target.fault_end
    if fault_end is not None:
        run.marks["fault_end"] = fault_end
    if recovered is not None:
        start = max(recovered, fault_end or recovered)
        deadline = max(recovered + settings.steady_timeout, start + settings.settle_seconds) + 1.0
        checked = start
        while time.monotonic() < deadline:
            _wait(0.5, probe, run.progress, "after")
            if time.monotonic() < start + settings.settle_seconds:
                continue
            cols = verdicts.judged(probe.columns(), target.require_replica_ack)
            state = verdicts.steady_again(cols, checked, settings.rate, settings.settle_seconds)
            if state["met"]:  # the verdict times steady state itself (from recovery, and after the thaw)
                break
            checked = max(checked, time.monotonic() - settings.settle_seconds - 1.0)
    else:
        _wait(settings.settle_seconds, probe, run.progress, "after")
    probe.stop()
    if run.fence is not None:
        run.fence.stop()
    cols = probe.columns()
    run.journal["steady_states"]["during"] = {
        "failures": sum(1 for s, st in zip(cols["start"], cols["status"], strict=True) if s >= inject_at and st != OK)
    }
    return cols


def rollback(run: DrillRun) -> None:
    """Stop the watcher and the probe; restore the target if a fault was injected (once, whoever calls first)."""
    if run.rolled_back:
        return
    run.rolled_back = True
    with interrupts.held():  # a restore cut in half leaves a frozen writer or a dead node behind
        run.stop_watch.set()
        for probe in (run.probe, run.fence):
            if probe is not None:
                probe.stop()
        if run.injected:
            act = Activity(run.journal, "restore the target", "rollback")
            try:
                act.done(output=run.target.restore())
            except Exception as exc:  # a failed restore is reported, the journal still returned
                act.done("failed", str(exc))
            run.journal["rollbacks"].append(run.journal["run"].pop())
        run.target.release()  # also when nothing was injected (an aborted drill): no embedded endpoint outlives it


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
        for i in range(len(log.server) - 1, -1, -1):  # server is appended last: rows below it are complete
            if log.end[i] < recent:
                break
            if log.status[i] == OK:
                ok += 1
                server = log.server[i]
            else:
                fail += 1
    return {"phase": phase, "ok_per_s": ok, "errors_per_s": fail, "writer": server, "elapsed_s": round(time.monotonic() - probe.t0, 1)}


def conclude(run: DrillRun, cols: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read back every acknowledged write, decide the verdict, attach the timeline."""
    journal, probe, marks, inject_at = run.journal, run.probe, run.marks, run.inject_at
    target, settings, run_id = run.target, run.settings, run.run_id
    if probe is not None and cols is None:
        probe.stop()
        cols = probe.columns()
    journal["end"] = now_iso()
    if probe is None or cols is None:
        journal.setdefault("status", "aborted")
        why = journal.get("reason", "not run")
        journal["verdict"] = {
            "passed": False,
            "reasons": [why],
            "max_downtime_s": settings.max_downtime,
            "downtime_s": None,
            "lost": None,
            "time_to_steady_s": None,
            "unknown": dict.fromkeys(("downtime_s", "lost", "time_to_steady_s"), why),
        }
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
    result = verdicts.decide(
        cols,
        probe.t0,
        inject_at,
        marks,
        present,
        settings.max_downtime,
        target.require_replica_ack,
        settings.rate,
        settle_s=settings.settle_seconds if inject_at is not None else None,
        fault_end=marks.get("fault_end"),
        strict_replica_ack=settings.require_replica_ack,
    )
    if run.fence is not None:
        run.fence.stop()
        result.fencing = fencing(run, marks.get("promote") or marks.get("recover"))
        if result.fencing.get("lost_acknowledged"):
            result.passed = False
            result.reasons.append(
                f"split brain: {result.fencing['lost_acknowledged']} writes the old writer acknowledged after the promotion are lost"
            )
        elif result.fencing.get("lost_acknowledged") is None and result.fencing.get("acknowledged_after_promotion"):
            result.passed = False
            result.unknown["fencing"] = result.fencing.get("unknown", "the old writer's writes could not be read back")
            result.reasons.append("split brain not ruled out: the old writer's acknowledged writes could not be read back")
    if inject_at is not None:
        journal["steady_states"]["after"] = result.steady_after
        found = target.findings()
        if found:
            result.passed = False
            result.reasons += found
    if journal["status"] == "running":
        journal["status"] = "completed"
    # deviated whenever any steady state was not met, whatever else passed
    states = journal["steady_states"]
    journal["deviated"] = (
        not result.passed
        or journal["status"] != "completed"
        or not all(states[k].get("met", False) for k in ("before", "after") if k in states)
    )
    if journal["status"] != "completed":
        result.passed = False
        result.reasons.insert(0, journal.get("reason", journal["status"]))
    journal["verdict"] = result.as_dict()
    series = verdicts.timeline(cols, probe.t0)
    series["t0"] = 0.0
    journal["timeline"] = series
    if result.gap_end_s is not None:
        marks["recover"] = probe.t0 + result.gap_end_s  # the verdict's first acknowledged write on the new writer
    if result.steady_after.get("since_s") is not None and result.steady_after.get("met"):
        marks["steady"] = probe.t0 + result.steady_after["since_s"]
    journal["marks"] = {k: round(v - probe.t0, 3) for k, v in sorted(marks.items(), key=lambda kv: kv[1])}
    journal["probe"] = {"attempts": len(cols["seq"]), "capacity_reached": probe.full}
    return journal


def fencing(run: DrillRun, promoted: float | None) -> dict[str, Any]:
    """What the old writer accepted after the promotion, what of it the client was told is durable, and what survived."""
    assert run.fence is not None and run.probe is not None
    cols = run.fence.columns()
    target = run.target
    out: dict[str, Any] = {"old_writer": target.old_writer, "attempts": len(cols["seq"]), "promoted_s": None}
    ok = [i for i, st in enumerate(cols["status"]) if st == OK]
    if promoted is None:
        out["unknown"] = "no promotion seen: nothing to judge the old writer against"
        out["accepted"] = len(ok)
        return out
    out["promoted_s"] = round(promoted - run.probe.t0, 3)
    late = [i for i in ok if cols["end"][i] > promoted]
    acked = {cols["seq"][i] for i in late if not target.require_replica_ack or cols["replicated"][i] != 0}
    accepted = {cols["seq"][i] for i in late}
    out |= {"accepted_after_promotion": len(accepted), "acknowledged_after_promotion": len(acked)}
    if late:
        out["last_accepted_s"] = round(max(cols["end"][i] for i in late) - run.probe.t0, 3)
    try:
        present = target.readback(fence_run(run.run_id), accepted) if accepted else set()
    except Exception as exc:  # not proven either way: said, and judged as unknown
        out |= {"survived": None, "lost_acknowledged": None, "unknown": f"read-back failed: {type(exc).__name__}"}
        return out
    out |= {"survived": len(accepted & present), "lost_acknowledged": len(acked - present), "lost_ids": sorted(acked - present)[:100]}
    return out
