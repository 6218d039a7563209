"""`--repeat N`: the same drill N times, summarised per metric as median, p95 and max.

The summary is for reading; pass/fail stays per run (one failing run fails the whole set).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

# metric name -> where it is in a journal's verdict
METRICS: dict[str, tuple[str, ...]] = {
    "downtime_s": ("downtime_s",),
    "time_to_steady_s": ("time_to_steady_s",),
    "acknowledged": ("acknowledged",),
    "lost": ("lost",),
    "unconfirmed_acks": ("unconfirmed_acks",),
    "acknowledged_without_replica": ("acknowledged_without_replica",),
    "fence_accepted": ("fencing", "accepted_after_promotion"),
    "p99_after_ms": ("steady_after", "p99_ms"),
}


def _get(verdict: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = verdict
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))]


def summarise(journals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per drill title: runs, passed runs, and median / p95 / max of each metric (None when never measured)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for journal in journals:
        groups.setdefault(str(journal.get("title")), []).append(journal)
    rows = []
    for title, runs in groups.items():
        row: dict[str, Any] = {"title": title, "runs": len(runs), "passed": sum(1 for j in runs if j.get("verdict", {}).get("passed"))}
        for name, path in METRICS.items():
            values = [v for v in (_get(j.get("verdict", {}), path) for j in runs) if v is not None]
            row[name] = (
                {
                    "median": round(statistics.median(values), 3),
                    "p95": round(p95(values), 3),
                    "max": round(max(values), 3),
                    "n": len(values),
                }
                if values
                else None
            )
        rows.append(row)
    return rows
