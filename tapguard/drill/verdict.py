"""From a probe's attempts to a verdict: downtime, the time until steady state is back, latency by phase,
errors, lost acknowledged writes.

A drill passes only when the service is back to steady state with nothing lost: downtime within
the limit, zero acknowledged writes lost, and a whole settle window after recovery (and after
the fault has ended, e.g. a frozen writer thawed) at >= 95 % of the target rate, p99 < 1 s and
no failed write. A service that answers again but limps on (a new writer without a replica,
every `WAIT 1` timing out) fails, and the verdict says why.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from tapguard.drill.probe import ERROR_CLASSES, FAILED, OK


@dataclass
class DrillVerdict:
    passed: bool
    downtime_s: float | None
    max_downtime_s: float
    gap_start_s: float | None  # last acknowledged write before the gap (seconds after probe start)
    gap_end_s: float | None  # first acknowledged write on the new writer
    old_writer: int | None
    new_writer: int | None
    attempts: int
    acknowledged: int
    acknowledged_by_primary: int
    lost: int | None  # None: not measured (the read-back failed or never ran); `unknown` says why
    lost_ids: list[int]
    lost_primary_only: int | None  # writes the primary acknowledged that no replica confirmed and that are gone
    achieved_rate: dict[str, float]
    p50_ms: dict[str, float | None]
    p99_ms: dict[str, float | None]
    errors_by_class: dict[str, int]
    time_to_detect_s: float | None
    time_to_promote_s: float | None
    reasons: list[str] = field(default_factory=list)
    # steady state after recovery: when it was back (seconds after the injection) and the window that proved it,
    # searched from recovery (the first write of a failure-free second), whatever the fault still does
    time_to_steady_s: float | None = None
    steady_after: dict[str, Any] = field(default_factory=dict)
    fault_end_s: float | None = None  # when the fault ended (a frozen writer thawed), seconds after probe start
    # a fault that ends inside the drill (a thaw): the first steady window from its end on, judged too, reported apart
    time_to_steady_after_fault_end_s: float | None = None  # seconds after the fault ended
    steady_after_fault_end: dict[str, Any] = field(default_factory=dict)
    # writes the old writer acknowledged after the new one was promoted, and how many of them are gone
    old_writer_acks_after_promotion: int = 0
    old_writer_acks_after_promotion_lost: int | None = 0
    # writes the writer acknowledged that no replica had confirmed (WAIT short, or commit not synchronous), and their fate
    unconfirmed_acks: int = 0
    unconfirmed_lost: int | None = 0
    # one definition of acknowledged: the client was told its write is durable. Of those, how many no replica had
    # confirmed when the writer answered (PostgreSQL commit while wait_primary), and how many were never asked about
    acknowledged_without_replica: int = 0
    acknowledged_replica_not_asked: int = 0
    # the fencing probe (faults that fence): what the old writer accepted after the promotion and whether it survived
    fencing: dict[str, Any] = field(default_factory=dict)
    # metric -> why it could not be measured (downtime_s, lost, time_to_steady_s); each one fails the verdict
    unknown: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["p99_ms_summary"] = "/".join("-" if v is None else f"{v:.0f}" for v in self.p99_ms.values())
        return data


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def decide(
    cols: dict[str, list[Any]],
    t0: float,
    inject: float | None,
    marks: dict[str, float],
    present: set[int] | None,
    max_downtime_s: float,
    require_replica_ack: bool,
    rate: float,
    settle_s: float | None = None,
    fault_end: float | None = None,
    strict_replica_ack: bool = False,
) -> DrillVerdict:
    """settle_s None: the after-steady-state is not judged (unit tests of downtime and loss alone)."""
    start, end, seq, status = cols["start"], cols["end"], cols["seq"], cols["status"]
    replicated, error, server = cols["replicated"], cols["error"], cols["server"]
    n = len(seq)
    ok_idx = [i for i in range(n) if status[i] == OK]
    ack_idx = [i for i in ok_idx if not require_replica_ack or replicated[i] != 0]
    # ------------------------------------------------ downtime: the gap around the injection
    gap_start = gap_end = old_writer = new_writer = None
    if inject is not None and ok_idx:
        before = [i for i in ok_idx if end[i] <= inject]
        old_writer = server[before[-1]] if before else None
        # the longest pause between consecutive acknowledgements from the injection on: a write
        # that slips through while the old writer dies splits the gap but cannot hide it
        acks = sorted((end[i], server[i]) for i in ok_idx)
        after = [(e, s) for e, s in acks if e >= inject]
        prev = max([e for e, _ in acks if e < inject], default=inject)
        widest = 0.0
        if after:
            starts = [prev] + [e for e, _ in after[:-1]]
            widest, gap_start, (gap_end, new_writer) = max(
                ((b[0] - a, a, b) for a, b in zip(starts, after, strict=True)), key=lambda g: g[0]
            )
        # failures after the last acknowledgement that outlast every gap: the writer never came back
        last_ack = acks[-1][0]
        failing_after = [end[i] for i in range(n) if status[i] != OK and start[i] >= last_ack]
        if failing_after and max(failing_after) - last_ack > widest:
            gap_start, gap_end, new_writer = last_ack, None, None
        elif after:
            new_writer = acks[-1][1]  # the writer at the end of the drill
    downtime = None if gap_start is None or gap_end is None else max(0.0, gap_end - gap_start)
    # ------------------------------------------------ latency and rate by phase
    phases = _phases(t0, inject, gap_end, start)
    latency: dict[str, list[float]] = {p: [] for p in ("before", "during", "after")}
    counts: Counter[str] = Counter()
    windows: dict[str, float] = {}
    for i in range(n):
        phase = phases(start[i])
        counts[phase] += 1
        if status[i] == OK:
            latency[phase].append((end[i] - start[i]) * 1000)
    for name, (a, b) in _windows(t0, inject, gap_end, end[-1] if n else t0).items():
        windows[name] = max(b - a, 1e-9)
    achieved = {p: round(counts[p] / windows[p], 1) for p in windows}
    errors = Counter(ERROR_CLASSES[error[i]] for i in range(n) if status[i] != OK)
    # ------------------------------------------------ data loss
    acked = {seq[i] for i in ack_idx}
    primary_acked = {seq[i] for i in ok_idx}
    lost = sorted(acked - present) if present is not None else []
    lost_primary_only = len((primary_acked - acked) - present) if present is not None else None
    reasons = []
    unknown: dict[str, str] = {}
    if inject is None:
        unknown = dict.fromkeys(("downtime_s", "lost", "time_to_steady_s"), "no fault was injected")
    if present is None and inject is not None:
        reasons.append("acknowledged writes could not be read back")
        unknown["lost"] = "the acknowledged writes could not be read back"
    if downtime is None and inject is not None:
        reasons.append("no acknowledged write after the fault: the service did not recover")
        unknown["downtime_s"] = "no acknowledged write after the fault"
        unknown["time_to_steady_s"] = "the service did not recover"
    elif downtime is not None and downtime > max_downtime_s:
        reasons.append(f"downtime {downtime:.2f} s exceeds {max_downtime_s:.0f} s")
    if lost:
        reasons.append(f"{len(lost)} acknowledged writes lost")
    detect = marks.get("detect")
    promote = marks.get("promote")
    # ------------------------------------------------ the old writer after promotion (a thawed writer)
    late = set()
    if promote is not None and old_writer is not None and new_writer != old_writer:
        late = {seq[i] for i in ack_idx if server[i] == old_writer and end[i] > promote}
    late_lost = len(late - present) if present is not None else None
    unconfirmed = {seq[i] for i in ok_idx if replicated[i] == 0}
    alone = sum(1 for i in ack_idx if replicated[i] == 0)
    not_asked = sum(1 for i in ack_idx if replicated[i] == -1)
    if strict_replica_ack and alone:
        reasons.append(f"{alone} writes acknowledged without a synchronous replica (--require-replica-ack)")
    if strict_replica_ack and not_asked:
        reasons.append(f"{not_asked} writes acknowledged without asking whether a replica had them (--require-replica-ack)")
    # ------------------------------------------------ steady state after recovery
    steady_at = thaw_steady_at = None
    after_state: dict[str, Any] = {}
    thaw_state: dict[str, Any] = {}
    if settle_s is not None and inject is not None and gap_end is not None:
        # from the runner's recovery (first write of a second without failure; the injection itself when nothing
        # failed); the widest pause between acknowledgements may come later
        recovered = marks.get("recover", gap_end)
        seen = judged(cols, require_replica_ack)
        after_state = steady_again(seen, recovered, rate, settle_s)
        if after_state["met"]:
            steady_at = after_state["since"]
        else:
            reasons.append(limping(after_state, rate, settle_s))
            unknown.setdefault("time_to_steady_s", "no settle window at steady state after recovery")
        if fault_end is not None and fault_end > recovered:
            # the fault outlived the recovery (a writer frozen longer than the failover took): when it thaws, is the
            # service still at steady state? judged apart, so the thaw does not pass for the recovery
            thaw_state = steady_again(seen, fault_end, rate, settle_s)
            if thaw_state["met"]:
                thaw_steady_at = thaw_state["since"]
            else:
                reasons.append("after the fault ended: " + limping(thaw_state, rate, settle_s))
    return DrillVerdict(
        passed=not reasons and not unknown,
        downtime_s=None if downtime is None else round(downtime, 3),
        max_downtime_s=max_downtime_s,
        gap_start_s=None if gap_start is None else round(gap_start - t0, 3),
        gap_end_s=None if gap_end is None else round(gap_end - t0, 3),
        old_writer=old_writer,
        new_writer=new_writer,
        attempts=n,
        acknowledged=len(acked),
        acknowledged_by_primary=len(primary_acked),
        lost=len(lost) if present is not None else None,
        lost_ids=lost[:100],
        lost_primary_only=lost_primary_only,
        achieved_rate=achieved,
        p50_ms={p: _round(percentile(v, 0.5)) for p, v in latency.items()},
        p99_ms={p: _round(percentile(v, 0.99)) for p, v in latency.items()},
        errors_by_class=dict(errors),
        time_to_detect_s=None if detect is None or inject is None else round(detect - inject, 3),
        time_to_promote_s=None if promote is None or inject is None else round(promote - inject, 3),
        reasons=reasons,
        time_to_steady_s=None if steady_at is None or inject is None else round(steady_at - inject, 3),
        steady_after=_relative(after_state, t0),
        fault_end_s=None if fault_end is None else round(fault_end - t0, 3),
        time_to_steady_after_fault_end_s=None if thaw_steady_at is None or fault_end is None else round(thaw_steady_at - fault_end, 3),
        steady_after_fault_end=_relative(thaw_state, t0),
        old_writer_acks_after_promotion=len(late),
        old_writer_acks_after_promotion_lost=late_lost,
        unconfirmed_acks=len(unconfirmed),
        unconfirmed_lost=len(unconfirmed - present) if present is not None else None,
        unknown=unknown,
        acknowledged_without_replica=alone,
        acknowledged_replica_not_asked=not_asked,
    )


def _relative(state: dict[str, Any], t0: float) -> dict[str, Any]:
    """A steady-state window with its times as seconds after the probe started (never a raw monotonic clock)."""
    out = {k: v for k, v in state.items() if k not in ("since", "closest_since")}
    for key in ("since", "closest_since"):
        if state.get(key) is not None:
            out[f"{key}_s"] = round(state[key] - t0, 3)
    return out


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def _phases(t0: float, inject: float | None, recovered: float | None, _: list[float]) -> Any:
    def phase(t: float) -> str:
        if inject is None or t < inject:
            return "before"
        if recovered is None or t < recovered:
            return "during"
        return "after"

    return phase


def _windows(t0: float, inject: float | None, recovered: float | None, last: float) -> dict[str, tuple[float, float]]:
    if inject is None:
        return {"before": (t0, last)}
    out = {"before": (t0, inject), "during": (inject, recovered or last)}
    if recovered is not None:
        out["after"] = (recovered, last)
    return out


def steady_state(
    cols: dict[str, list[Any]], since: float, until: float, rate: float, max_p99_ms: float = 1000.0, min_ratio: float = 0.95
) -> dict[str, Any]:
    """Was the target rate reached with p99 < 1 s in [since, until)?"""
    idx = [i for i, s in enumerate(cols["start"]) if since <= s < until]
    ok = [i for i in idx if cols["status"][i] == OK]
    seconds = max(until - since, 1e-9)
    achieved = len(ok) / seconds
    p99 = percentile([(cols["end"][i] - cols["start"][i]) * 1000 for i in ok], 0.99)
    met = achieved >= rate * min_ratio and p99 is not None and p99 < max_p99_ms and len(ok) == len(idx)
    return {
        "met": met,
        "achieved_rate": round(achieved, 1),
        "target_rate": rate,
        "p99_ms": _round(p99),
        "attempts": len(idx),
        "failures": len(idx) - len(ok),
        "window_s": round(seconds, 2),
    }


def timeline(cols: dict[str, list[Any]], t0: float, bucket_ms: int = 100) -> dict[str, Any]:
    """Successes, failures and p99 latency per bucket, for the journal's SVG."""
    if not cols["start"]:
        return {"bucket_ms": bucket_ms, "t0": t0, "ok": [], "fail": [], "p99_ms": []}
    width = bucket_ms / 1000
    count = int((max(cols["end"]) - t0) / width) + 1
    ok, fail = [0] * count, [0] * count
    lat: list[list[float]] = [[] for _ in range(count)]
    for s, e, st in zip(cols["start"], cols["end"], cols["status"], strict=True):
        b = min(count - 1, max(0, int((e - t0) / width)))
        if st == OK:
            ok[b] += 1
            lat[b].append((e - s) * 1000)
        else:
            fail[b] += 1
    return {"bucket_ms": bucket_ms, "t0": t0, "ok": ok, "fail": fail, "p99_ms": [_round(percentile(v, 0.99)) for v in lat]}


def judged(cols: dict[str, list[Any]], require_replica_ack: bool) -> dict[str, list[Any]]:
    """The columns as the client judges them: with WAIT, a write no replica confirmed is not a success."""
    if not require_replica_ack:
        return cols
    status = [OK if st == OK and r != 0 else FAILED for st, r in zip(cols["status"], cols["replicated"], strict=True)]
    return {**cols, "status": status}


def steady_again(cols: dict[str, list[Any]], since: float, rate: float, settle_s: float, step: float = 0.25) -> dict[str, Any]:
    """The first window of settle_s seconds from `since` on in which steady state holds.

    When none does, the window that came closest (most acknowledged writes per second, then
    fewest failures) is returned with met False: it says how the service limps.
    """
    starts = cols["start"]
    last = starts[-1] if starts else since
    best: dict[str, Any] | None = None
    t = since
    while t + settle_s <= last + 1e-9:
        window = _window_state(cols, t, t + settle_s, rate)
        if window["met"]:
            return window | {"since": t}
        if best is None or (window["achieved_rate"], -window["failures"]) > (best["achieved_rate"], -best["failures"]):
            best = window | {"since": None, "closest_since": t}
        t += step
    if best is None:  # the probe stopped before a whole window: nothing proves steady state
        shorter = _window_state(cols, since, max(last, since + 1e-3), rate)
        return shorter | {"met": False, "since": None, "closest_since": since, "incomplete": True}
    return best


def _window_state(cols: dict[str, list[Any]], since: float, until: float, rate: float) -> dict[str, Any]:
    a = bisect.bisect_left(cols["start"], since)
    b = bisect.bisect_left(cols["start"], until)
    sliced = {k: cols[k][a:b] for k in ("start", "end", "status")}
    return steady_state(sliced, since, until, rate)


def limping(state: dict[str, Any], rate: float, settle_s: float) -> str:
    """Why the service is not back to steady state, in one sentence for the console and the reports."""
    why = []
    if state["achieved_rate"] < rate * 0.95:
        why.append(f"{state['achieved_rate']:.0f}/s of {rate:.0f}/s")
    if state["p99_ms"] is None or state["p99_ms"] >= 1000:
        why.append(f"p99 {state['p99_ms']} ms")
    if state["failures"]:
        why.append(f"{state['failures']} failed writes")
    detail = ", ".join(why) or "not measured"
    if state.get("incomplete"):
        return f"steady state not shown after recovery: the probe stopped before a {settle_s:.0f} s settle window ({detail})"
    return f"service limps on after recovery: no {settle_s:.0f} s window at steady state (best: {detail})"
