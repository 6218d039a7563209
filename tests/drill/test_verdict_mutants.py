"""The verdict pinned down where mutation testing found it loose: every field of three drills and of the journal's timeline.

The expected values are the verdicts of these hand-built drills as reviewed (downtime 2 s from the last write before
the fault to the new writer's first, the lost writes 7 and 9001, the old writer's two acknowledgements after the
promotion, 35 acknowledgements no replica confirmed); any change to how a verdict is computed shows up here by field.
"""

from __future__ import annotations

from typing import Any

import pytest

from tapguard.drill import verdict
from tests.drill.test_verdict import columns, writes


def failover_columns() -> dict[str, list[Any]]:
    """Writer 1 until 5 s, failures 5-7 s, writer 2 from 7 s; the old writer answers twice after the promotion."""
    rows = writes(0, 5, 1, step=0.05) + writes(5, 7, 1, ok=0, seq0=1000, step=0.25) + writes(7, 14, 2, seq0=2000, step=0.05)
    rows += [(9.0, 9.003, 9000, 1, 0, 1), (9.5, 9.504, 9001, 1, -1, 1)]
    cols = columns(sorted(rows))
    # some writes a replica confirmed (1), some it did not (0), the rest never asked (-1)
    cols["replicated"] = [0 if s % 7 == 0 else (1 if s % 3 == 0 else r) for s, r in zip(cols["seq"], cols["replicated"], strict=True)]
    return cols


def present(cols: dict[str, list[Any]]) -> set[int]:
    return set(cols["seq"]) - {9001, 7}


SCENARIOS: dict[str, tuple[Any, dict[str, Any]]] = {
    "failover": (
        failover_columns,
        {"t0": 0.0, "inject": 5.0, "marks": {"detect": 5.5, "promote": 6.5, "recover": 7.0}, "max_downtime_s": 30.0,
         "require_replica_ack": False, "rate": 20.0, "settle_s": 2.0, "fault_end": 10.0, "strict_replica_ack": True},
    ),
    "replica_ack": (
        failover_columns,
        {"t0": 0.0, "inject": 5.0, "marks": {}, "max_downtime_s": 1.0, "require_replica_ack": True, "rate": 20.0, "settle_s": 2.0},
    ),
    "no_fault": (
        lambda: columns(writes(0, 3, 1, step=0.1)),
        {"t0": 0.0, "inject": None, "marks": {}, "max_downtime_s": 30.0, "require_replica_ack": False, "rate": 10.0, "settle_s": 1.0},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_field_of_the_verdict(name: str) -> None:
    make, arguments = SCENARIOS[name]
    cols = make()
    seen = None if name == "no_fault" else present(cols)
    assert verdict.decide(cols, present=seen, **arguments).as_dict() == EXPECTED[name]


def test_the_timeline_buckets_successes_failures_and_p99() -> None:
    extra = [(0.3, 0.45, 900, 1, -1, 1), (0.1, 0.11, 901, 1, -1, 1), (0.0, 1.4, 902, 1, -1, 1)]
    cols = columns(sorted(writes(0, 1, 1, step=0.05) + writes(0.52, 1, 1, ok=0, seq0=500, step=0.1) + extra))
    assert verdict.timeline(cols, 0.0, bucket_ms=250) == EXPECTED["timeline"]
    assert verdict.timeline(columns([]), 3.0) == EXPECTED["timeline_empty"]


def test_percentile_is_nearest_rank() -> None:
    assert verdict.percentile([], 0.5) is None
    assert verdict.percentile([3.0], 0.99) == 3.0
    assert verdict.percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert verdict.percentile([4.0, 1.0, 3.0, 2.0], 0.99) == 4.0
    assert verdict.percentile([4.0, 1.0, 3.0, 2.0], 0.0) == 1.0
    assert verdict.percentile([float(i) for i in range(1, 101)], 0.99) == 99.0


EXPECTED: dict[str, Any] = {
    "failover": {
        "achieved_rate": {"after": 20.3, "before": 20.2, "during": 4.5},
        "acknowledged": 243,
        "acknowledged_by_primary": 243,
        "acknowledged_replica_not_asked": 137,
        "acknowledged_without_replica": 35,
        "attempts": 251,
        "downtime_s": 2.0,
        "errors_by_class": {"connection_lost": 8},
        "fault_end_s": 10.0,
        "fencing": {},
        "gap_end_s": 7.002,
        "gap_start_s": 5.002,
        "lost": 2,
        "lost_ids": [7, 9001],
        "lost_primary_only": 0,
        "max_downtime_s": 30.0,
        "new_writer": 2,
        "old_writer": 1,
        "old_writer_acks_after_promotion": 2,
        "old_writer_acks_after_promotion_lost": 1,
        "p50_ms": {"after": 2.0, "before": 2.0, "during": 2.0},
        "p99_ms": {"after": 3.0, "before": 2.0, "during": 2.0},
        "p99_ms_summary": "2/2/3",
        "passed": False,
        "reasons": [
            "2 acknowledged writes lost",
            "35 writes acknowledged without a synchronous replica (--require-replica-ack)",
            "137 writes acknowledged without asking whether a replica had them (--require-replica-ack)",
        ],
        "steady_after": {
            "achieved_rate": 20.0,
            "attempts": 40,
            "failures": 0,
            "met": True,
            "p99_ms": 2.0,
            "since_s": 7.0,
            "target_rate": 20.0,
            "window_s": 2.0,
        },
        "steady_after_fault_end": {
            "achieved_rate": 20.0,
            "attempts": 40,
            "failures": 0,
            "met": True,
            "p99_ms": 2.0,
            "since_s": 10.0,
            "target_rate": 20.0,
            "window_s": 2.0,
        },
        "time_to_detect_s": 0.5,
        "time_to_promote_s": 1.5,
        "time_to_steady_after_fault_end_s": 0.0,
        "time_to_steady_s": 2.0,
        "unconfirmed_acks": 35,
        "unconfirmed_lost": 1,
        "unknown": {},
    },
    "no_fault": {
        "achieved_rate": {"before": 10.3},
        "acknowledged": 30,
        "acknowledged_by_primary": 30,
        "acknowledged_replica_not_asked": 30,
        "acknowledged_without_replica": 0,
        "attempts": 30,
        "downtime_s": None,
        "errors_by_class": {},
        "fault_end_s": None,
        "fencing": {},
        "gap_end_s": None,
        "gap_start_s": None,
        "lost": None,
        "lost_ids": [],
        "lost_primary_only": None,
        "max_downtime_s": 30.0,
        "new_writer": None,
        "old_writer": None,
        "old_writer_acks_after_promotion": 0,
        "old_writer_acks_after_promotion_lost": None,
        "p50_ms": {"after": None, "before": 2.0, "during": None},
        "p99_ms": {"after": None, "before": 2.0, "during": None},
        "p99_ms_summary": "2/-/-",
        "passed": False,
        "reasons": [],
        "steady_after": {},
        "steady_after_fault_end": {},
        "time_to_detect_s": None,
        "time_to_promote_s": None,
        "time_to_steady_after_fault_end_s": None,
        "time_to_steady_s": None,
        "unconfirmed_acks": 0,
        "unconfirmed_lost": None,
        "unknown": {"downtime_s": "no fault was injected", "lost": "no fault was injected", "time_to_steady_s": "no fault was injected"},
    },
    "replica_ack": {
        "achieved_rate": {"after": 20.3, "before": 20.2, "during": 4.5},
        "acknowledged": 208,
        "acknowledged_by_primary": 243,
        "acknowledged_replica_not_asked": 137,
        "acknowledged_without_replica": 0,
        "attempts": 251,
        "downtime_s": 2.0,
        "errors_by_class": {"connection_lost": 8},
        "fault_end_s": None,
        "fencing": {},
        "gap_end_s": 7.002,
        "gap_start_s": 5.002,
        "lost": 1,
        "lost_ids": [9001],
        "lost_primary_only": 1,
        "max_downtime_s": 1.0,
        "new_writer": 2,
        "old_writer": 1,
        "old_writer_acks_after_promotion": 0,
        "old_writer_acks_after_promotion_lost": 0,
        "p50_ms": {"after": 2.0, "before": 2.0, "during": 2.0},
        "p99_ms": {"after": 3.0, "before": 2.0, "during": 2.0},
        "p99_ms_summary": "2/2/3",
        "passed": False,
        "reasons": [
            "downtime 2.00 s exceeds 1 s",
            "1 acknowledged writes lost",
            "service limps on after recovery: no 2 s window at steady state (best: 18/s of 20/s, 5 failed writes)",
        ],
        "steady_after": {
            "achieved_rate": 18.5,
            "attempts": 42,
            "closest_since_s": 7.502,
            "failures": 5,
            "met": False,
            "p99_ms": 4.0,
            "target_rate": 20.0,
            "window_s": 2.0,
        },
        "steady_after_fault_end": {},
        "time_to_detect_s": None,
        "time_to_promote_s": None,
        "time_to_steady_after_fault_end_s": None,
        "time_to_steady_s": None,
        "unconfirmed_acks": 35,
        "unconfirmed_lost": 1,
        "unknown": {"time_to_steady_s": "no settle window at steady state after recovery"},
    },
    "timeline": {
        "bucket_ms": 250,
        "fail": [0, 0, 3, 2, 0, 0],
        "ok": [6, 6, 5, 5, 0, 1],
        "p99_ms": [10.0, 150.0, 2.0, 2.0, None, 1400.0],
        "t0": 0.0,
    },
    "timeline_empty": {"bucket_ms": 100, "fail": [], "ok": [], "p99_ms": [], "t0": 3.0},
}


def tie_columns() -> dict[str, list[Any]]:
    """Writer 3, then writer 1 whose last write ends exactly at the injection, failures, writer 2 from 7 s."""
    rows = writes(0, 2, 3, step=0.1) + writes(2, 4.9, 1, seq0=100, step=0.1) + [(4.95, 5.0, 199, 1, -1, 1)]
    rows += writes(5.05, 7, 1, ok=0, seq0=1000, step=0.25) + writes(7, 10, 2, seq0=2000, step=0.1)
    return columns(sorted(rows))


def test_a_write_ending_at_the_injection_belongs_to_the_old_writer() -> None:
    cols = tie_columns()
    result = verdict.decide(cols, 0.0, 5.0, {"promote": 6.0}, set(cols["seq"]), 30.0, False, 10.0, settle_s=1.0)
    assert (result.old_writer, result.new_writer) == (1, 2)
    assert result.as_dict() == EXTRA["tie"]


def test_a_fault_from_the_first_instant_measures_the_gap_from_the_injection() -> None:
    cols = columns(sorted(writes(0, 1, 1, ok=0, seq0=0, step=0.25) + writes(1, 4, 2, seq0=100, step=0.1)))
    result = verdict.decide(cols, 0.0, 0.0, {}, set(cols["seq"]), 30.0, False, 10.0, settle_s=1.0)
    assert result.old_writer is None and result.gap_start_s == 0.0
    assert result.as_dict() == EXTRA["no_ack_before"]


EXTRA: dict[str, Any] = {
    "no_ack_before": {
        "achieved_rate": {"after": 10.0, "before": 0.0, "during": 5.0},
        "acknowledged": 30,
        "acknowledged_by_primary": 30,
        "acknowledged_replica_not_asked": 30,
        "acknowledged_without_replica": 0,
        "attempts": 34,
        "downtime_s": 1.002,
        "errors_by_class": {"connection_lost": 4},
        "fault_end_s": None,
        "fencing": {},
        "gap_end_s": 1.002,
        "gap_start_s": 0.0,
        "lost": 0,
        "lost_ids": [],
        "lost_primary_only": 0,
        "max_downtime_s": 30.0,
        "new_writer": 2,
        "old_writer": None,
        "old_writer_acks_after_promotion": 0,
        "old_writer_acks_after_promotion_lost": 0,
        "p50_ms": {"after": 2.0, "before": None, "during": 2.0},
        "p99_ms": {"after": 2.0, "before": None, "during": 2.0},
        "p99_ms_summary": "-/2/2",
        "passed": True,
        "reasons": [],
        "steady_after": {
            "achieved_rate": 10.0,
            "attempts": 10,
            "failures": 0,
            "met": True,
            "p99_ms": 2.0,
            "since_s": 1.002,
            "target_rate": 10.0,
            "window_s": 1.0,
        },
        "steady_after_fault_end": {},
        "time_to_detect_s": None,
        "time_to_promote_s": None,
        "time_to_steady_after_fault_end_s": None,
        "time_to_steady_s": 1.002,
        "unconfirmed_acks": 0,
        "unconfirmed_lost": 0,
        "unknown": {},
    },
    "tie": {
        "achieved_rate": {"after": 10.0, "before": 10.2, "during": 4.5},
        "acknowledged": 82,
        "acknowledged_by_primary": 82,
        "acknowledged_replica_not_asked": 82,
        "acknowledged_without_replica": 0,
        "attempts": 90,
        "downtime_s": 2.002,
        "errors_by_class": {"connection_lost": 8},
        "fault_end_s": None,
        "fencing": {},
        "gap_end_s": 7.002,
        "gap_start_s": 5.0,
        "lost": 0,
        "lost_ids": [],
        "lost_primary_only": 0,
        "max_downtime_s": 30.0,
        "new_writer": 2,
        "old_writer": 1,
        "old_writer_acks_after_promotion": 0,
        "old_writer_acks_after_promotion_lost": 0,
        "p50_ms": {"after": 2.0, "before": 2.0, "during": 2.0},
        "p99_ms": {"after": 2.0, "before": 50.0, "during": 2.0},
        "p99_ms_summary": "50/2/2",
        "passed": True,
        "reasons": [],
        "steady_after": {
            "achieved_rate": 10.0,
            "attempts": 10,
            "failures": 0,
            "met": True,
            "p99_ms": 2.0,
            "since_s": 7.002,
            "target_rate": 10.0,
            "window_s": 1.0,
        },
        "steady_after_fault_end": {},
        "time_to_detect_s": None,
        "time_to_promote_s": 1.0,
        "time_to_steady_after_fault_end_s": None,
        "time_to_steady_s": 2.002,
        "unconfirmed_acks": 0,
        "unconfirmed_lost": 0,
        "unknown": {},
    },
}
