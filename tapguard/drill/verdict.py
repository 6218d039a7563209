"""From a probe's attempts to a verdict: downtime, latency by phase, errors, lost acknowledged writes."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from tapguard.drill.probe import ERROR_CLASSES, OK


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
    lost: int
    lost_ids: list[int]
    lost_primary_only: int  # writes the primary acknowledged that no replica confirmed and that are gone
    achieved_rate: dict[str, float]
    p50_ms: dict[str, float | None]
    p99_ms: dict[str, float | None]
    errors_by_class: dict[str, int]
    time_to_detect_s: float | None
    time_to_promote_s: float | None
    reasons: list[str] = field(default_factory=list)

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
) -> DrillVerdict:
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
    lost_primary_only = len((primary_acked - acked) - present) if present is not None else 0
    reasons = []
    if present is None:
        reasons.append("acknowledged writes could not be read back")
    if downtime is None and inject is not None:
        reasons.append("no acknowledged write after the fault: the service did not recover")
    elif downtime is not None and downtime > max_downtime_s:
        reasons.append(f"downtime {downtime:.2f} s exceeds {max_downtime_s:.0f} s")
    if lost:
        reasons.append(f"{len(lost)} acknowledged writes lost")
    detect = marks.get("detect")
    promote = marks.get("promote")
    return DrillVerdict(
        passed=not reasons,
        downtime_s=None if downtime is None else round(downtime, 3),
        max_downtime_s=max_downtime_s,
        gap_start_s=None if gap_start is None else round(gap_start - t0, 3),
        gap_end_s=None if gap_end is None else round(gap_end - t0, 3),
        old_writer=old_writer,
        new_writer=new_writer,
        attempts=n,
        acknowledged=len(acked),
        acknowledged_by_primary=len(primary_acked),
        lost=len(lost),
        lost_ids=lost[:100],
        lost_primary_only=lost_primary_only,
        achieved_rate=achieved,
        p50_ms={p: _round(percentile(v, 0.5)) for p, v in latency.items()},
        p99_ms={p: _round(percentile(v, 0.99)) for p, v in latency.items()},
        errors_by_class=dict(errors),
        time_to_detect_s=None if detect is None or inject is None else round(detect - inject, 3),
        time_to_promote_s=None if promote is None or inject is None else round(promote - inject, 3),
        reasons=reasons,
    )


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
