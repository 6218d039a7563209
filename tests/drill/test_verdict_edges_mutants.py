"""The verdict at its edges, where mutation testing found it loose: ties, equalities, rounding, a torn journal.

Each test builds a tiny drill by hand with binary-exact times, so the expected numbers are exact: a write ending at the
very instant of the injection, two pauses of the same width, a failure that lasts exactly as long as the widest gap,
a window at exactly 95 % of the target rate, a p99 of exactly 1000 ms.
"""

from __future__ import annotations

from typing import Any

import pytest

from tapguard.drill import verdict
from tests.drill.test_verdict import columns

Row = tuple[float, float, int, int, int, int]


def ack(start: float, end: float, seq: int, server: int = 1, replicated: int = -1) -> Row:
    return (start, end, seq, 1, replicated, server)


def failure(start: float, end: float, seq: int) -> Row:
    return (start, end, seq, 0, -1, -1)


def decide(rows: list[Row], inject: float | None = 5.0, **kwargs: Any) -> verdict.DrillVerdict:
    cols = columns(sorted(rows))
    arguments: dict[str, Any] = {"t0": 0.0, "inject": inject, "marks": {}, "present": set(cols["seq"]), "max_downtime_s": 30.0}
    arguments |= {"require_replica_ack": False, "rate": 4.0} | kwargs
    return verdict.decide(cols, **arguments)


def test_percentile_clamps_a_quantile_above_one_to_the_largest_value() -> None:
    assert verdict.percentile([1.0, 2.0], 1.5) == 2.0


def test_an_ack_ending_at_the_injection_instant_belongs_to_the_old_writer_and_closes_the_gap_before_it() -> None:
    # server 1 until 2 s, then one write of server 3 ending exactly at the injection (4 s), then server 2 every 50 ms
    rows = [ack(1.5, 2.0, 1), ack(3.5, 4.0, 2, server=3)] + [ack(4.0 + k * 0.0625, 4.0625 + k * 0.0625, 10 + k, server=2) for k in range(8)]
    result = decide(rows, inject=4.0)
    assert result.old_writer == 3
    assert (result.downtime_s, result.gap_start_s, result.gap_end_s) == (2.0, 2.0, 4.0)


def test_no_ack_after_the_fault_and_a_short_failure_tail_still_opens_the_gap_at_the_last_ack() -> None:
    rows = [ack(0.5, 1.0, 1), ack(1.5, 2.0, 2), failure(2.5, 3.0, 3)]
    result = decide(rows, inject=2.25)
    assert (result.gap_start_s, result.gap_end_s, result.downtime_s, result.new_writer) == (2.0, None, None, None)
    assert result.reasons == ["no acknowledged write after the fault: the service did not recover"]
    assert result.unknown == {"downtime_s": "no acknowledged write after the fault", "time_to_steady_s": "the service did not recover"}
    assert not result.passed


def test_of_two_equally_wide_gaps_the_first_is_the_downtime() -> None:
    rows = [ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2), ack(7.5, 8.0, 3, server=2)]
    result = decide(rows, inject=5.0)
    assert (result.gap_start_s, result.gap_end_s, result.downtime_s) == (4.0, 6.0, 2.0)


def test_the_widest_gap_wins_even_when_a_narrower_one_comes_first() -> None:
    # one write slips through 0.25 s after the fault; the same server answers again 3 s later (a restart)
    rows = [ack(3.5, 4.75, 1), ack(5.0, 5.0625, 2), ack(8.0, 8.0625, 3), ack(8.25, 8.3125, 4)]
    result = decide(rows, inject=5.0)
    assert (result.gap_start_s, result.gap_end_s, result.downtime_s) == (5.062, 8.062, 3.0)


def test_a_write_hanging_from_before_the_last_ack_does_not_mean_the_writer_never_came_back() -> None:
    rows = [ack(3.5, 4.0, 1), failure(1.0, 12.0, 2), ack(5.5, 6.0, 3, server=2), ack(6.5, 7.0, 4, server=2)]
    result = decide(rows, inject=5.0)
    assert (result.downtime_s, result.gap_end_s, result.new_writer) == (2.0, 6.0, 2)


def test_a_failure_starting_at_the_last_ack_and_outlasting_every_gap_means_no_recovery() -> None:
    rows = [ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2), failure(6.0, 9.0, 3)]
    result = decide(rows, inject=5.0)
    assert (result.gap_start_s, result.gap_end_s, result.new_writer) == (6.0, None, None)


@pytest.mark.parametrize(("tail", "recovered"), [(0.5, True), (2.0, True), (2.5, False)])
def test_a_failure_tail_must_outlast_the_widest_gap_strictly(tail: float, recovered: bool) -> None:
    rows = [ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2), ack(6.5, 7.0, 3, server=4), failure(7.0, 7.0 + tail, 4)]
    result = decide(rows, inject=5.0)
    assert (result.downtime_s is not None) is recovered
    if recovered:
        assert (result.downtime_s, result.new_writer) == (2.0, 4)  # the writer at the end, not the one after the gap


def test_a_short_failover_keeps_its_sub_second_downtime_and_rate() -> None:
    # acks every 0.25 s; the gap is 4.5 -> 5.125 around the injection at 4.75; 3 attempts in the 0.375 s `during` window
    rows = [ack(k * 0.25 - 0.125, k * 0.25, k) for k in range(1, 19)] + [
        ack(5.0 + k * 0.25, 5.125 + k * 0.25, 100 + k, 2) for k in range(8)
    ]
    rows = [r for r in rows if not 4.5 < r[1] < 5.0] + [failure(4.75, 4.875, 50), failure(4.875, 5.0, 51)]
    result = decide(rows, inject=4.75)
    assert (result.downtime_s, result.gap_start_s, result.gap_end_s) == (0.625, 4.5, 5.125)
    assert result.achieved_rate["during"] == 8.0  # 3 attempts (one ok at 4.875) over 0.375 s


def test_an_empty_probe_is_a_failed_verdict_not_a_crash() -> None:
    result = decide([], inject=5.0, present=set())
    assert (result.attempts, result.acknowledged, result.downtime_s, result.passed) == (0, 0, None, False)
    assert result.achieved_rate == {"before": 0.0, "during": 0.0}
    assert result.reasons == ["no acknowledged write after the fault: the service did not recover"]


def test_writes_that_cannot_be_read_back_leave_loss_unknown() -> None:
    rows = [ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2)]
    result = decide(rows, present=None)
    assert result.reasons == ["acknowledged writes could not be read back"]
    assert result.unknown == {"lost": "the acknowledged writes could not be read back"}
    assert result.lost is None and not result.passed


@pytest.mark.parametrize(("limit", "passed"), [(2.0, True), (1.5, False)])
def test_downtime_equal_to_the_limit_passes(limit: float, passed: bool) -> None:
    result = decide([ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2)], max_downtime_s=limit)
    assert result.downtime_s == 2.0 and result.passed is passed


def test_an_old_writer_ack_at_the_promotion_instant_is_not_late() -> None:
    rows = [ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2), ack(6.25, 6.5, 3, server=1), ack(6.75, 7.0, 4, server=2)]
    assert decide(rows, marks={"promote": 6.5}).old_writer_acks_after_promotion == 0
    assert decide(rows, marks={"promote": 6.25}).old_writer_acks_after_promotion == 1


def steady_rows(until: float, seq0: int = 0, server: int = 2, since: float = 6.0) -> list[Row]:
    """Acks every 0.125 s from `since`, 1 ms each."""
    count = int((until - since) / 0.125)
    return [ack(since + k * 0.125, since + k * 0.125 + 0.001, seq0 + k, server) for k in range(count)]


def test_a_fault_ending_at_the_recovery_instant_is_not_judged_apart() -> None:
    rows = [ack(3.5, 4.0, 1), *steady_rows(10.0)]
    result = decide(rows, marks={"recover": 6.0}, settle_s=2.0, fault_end=6.0, rate=8.0)
    assert result.steady_after_fault_end == {} and result.time_to_steady_after_fault_end_s is None
    assert result.passed


def test_reported_times_are_relative_to_the_probe_start_and_rounded_to_the_millisecond() -> None:
    t0 = 100.0
    rows = [ack(t0 + 3.5, t0 + 4.0004, 1), *steady_rows(t0 + 16.0, since=t0 + 6.0007)]
    rows += [failure(t0 + 12.3504, t0 + 12.3604, 500)]  # the thaw's first window fails, the next one (0.25 s later) holds
    marks = {"detect": t0 + 5.5004, "promote": t0 + 5.7504, "recover": t0 + 6.0017}
    result = decide(rows, inject=t0 + 5.0, t0=t0, marks=marks, settle_s=2.0, fault_end=t0 + 12.2504, rate=8.0)
    assert (result.gap_start_s, result.gap_end_s, result.downtime_s) == (4.0, 6.002, 2.001)
    assert (result.time_to_detect_s, result.time_to_promote_s, result.time_to_steady_s) == (0.5, 0.75, 1.002)
    assert result.fault_end_s == 12.25
    assert result.time_to_steady_after_fault_end_s == 0.25
    assert result.steady_after["since_s"] == 6.002
    assert result.steady_after_fault_end["since_s"] == 12.5


def test_at_most_100_lost_ids_are_listed_but_every_loss_is_counted() -> None:
    rows = [ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2)] + [ack(k * 0.01, k * 0.01 + 0.001, 1000 + k) for k in range(150)]
    cols = columns(sorted(rows))
    result = verdict.decide(cols, 0.0, 5.0, {}, {1, 2}, 30.0, False, 4.0)
    assert result.lost == 150 and result.lost_ids == list(range(1000, 1100))


def test_latency_percentiles_are_rounded_to_hundredths_of_a_millisecond() -> None:
    result = decide([ack(1.0, 1.0023456, 1)], inject=None)
    assert result.p50_ms["before"] == 2.35 and result.p99_ms["before"] == 2.35


def test_a_write_starting_at_the_recovery_instant_is_counted_after_it() -> None:
    rows = [ack(3.5, 4.0, 1), ack(5.5, 6.0, 2, server=2), ack(6.0, 6.5, 3, server=2), ack(6.5, 7.0, 4, server=2)]
    result = decide(rows)
    assert result.achieved_rate == {"before": 0.2, "during": 1.0, "after": 2.0}


def window(rows: list[Row]) -> dict[str, list[Any]]:
    return columns(sorted(rows))


def test_steady_state_edges_rate_p99_and_window() -> None:
    # exactly 95 % of the target rate, over a 1.125 s window that rounds to 1.12
    at_rate = window([ack(k * 0.05, k * 0.05 + 0.001, k) for k in range(19)])
    state = verdict.steady_state(at_rate, 0.0, 1.0, 20.0)
    assert state["met"] and state["achieved_rate"] == 19.0
    assert verdict.steady_state(at_rate, 0.0, 1.125, 20.0)["window_s"] == 1.12
    # a p99 of exactly 1000 ms is not < 1 s; 1000.5 ms neither
    for latency in (1.0, 1.0005):
        slow = window([ack(0.0, latency, 1), ack(0.5, 0.5 + latency, 2)])
        assert not verdict.steady_state(slow, 0.0, 1.0, 1.0)["met"]
    assert verdict.steady_state(window([ack(0.0, 0.0025, 1)]), 0.0, 1.0, 1.0)["p99_ms"] == 2.5
    # a write starting at `until` belongs to the next window; a half-second window is a half-second
    edge = window([ack(0.0, 0.001, 1), ack(0.5, 0.501, 2)])
    assert verdict.steady_state(edge, 0.0, 0.5, 2.0) | {} == {
        "met": True, "achieved_rate": 2.0, "target_rate": 2.0, "p99_ms": 1.0, "attempts": 1, "failures": 0, "window_s": 0.5,
    }  # fmt: skip
    # rate rounded to tenths: 7 writes in 3 s
    assert verdict.steady_state(window([ack(k * 0.25, k * 0.25 + 0.001, k) for k in range(7)]), 0.0, 3.0, 1.0)["achieved_rate"] == 2.3


def test_steady_state_p99_is_the_nearest_rank_not_the_maximum() -> None:
    rows = [ack(k * 0.001, k * 0.001 + (k + 1) / 1000, k) for k in range(200)]
    assert verdict.steady_state(window(rows), 0.0, 1.0, 1.0)["p99_ms"] == 198.0


def test_timeline_edges() -> None:
    one_second = verdict.timeline(window([ack(0.5, 0.9995, 1), ack(1.0, 1.5, 2)]), 0.0, bucket_ms=1000)
    assert (one_second["ok"], one_second["fail"]) == ([1, 1], [0, 0])
    shifted = verdict.timeline(window([ack(10.0, 10.05, 1), failure(10.1, 10.25, 2)]), 10.0)
    assert (shifted["ok"], shifted["fail"], shifted["p99_ms"]) == ([1, 0, 0], [0, 0, 1], [50.0, None, None])
    busy = verdict.timeline(window([ack(0.0, (k + 1) / 10000, k) for k in range(200)]), 0.0, bucket_ms=100)
    assert busy["p99_ms"] == [19.8]


def torn(cols: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {**cols, "status": cols["status"][:-1]}


def test_a_torn_journal_is_refused_not_silently_truncated() -> None:
    cols = window([ack(0.0, 0.001, 1, replicated=1), ack(0.5, 0.501, 2, replicated=1)])
    with pytest.raises(ValueError, match="zip"):
        verdict.timeline(torn(cols), 0.0)
    with pytest.raises(ValueError, match="zip"):
        verdict.judged(torn(cols), True)


def test_steady_again_on_an_empty_probe_is_incomplete() -> None:
    state = verdict.steady_again(window([]), 3.0, 4.0, 2.0)
    assert state["met"] is False and state["incomplete"] and state["since"] is None and state["closest_since"] == 3.0


def test_steady_again_takes_a_window_ending_at_the_last_start_within_a_nanosecond() -> None:
    rows = [ack(k * 0.25, k * 0.25 + 0.001, k) for k in range(8)]
    assert verdict.steady_again(window([*rows, ack(2.0, 2.001, 8)]), 0.0, 4.0, 2.0)["since"] == 0.0
    assert verdict.steady_again(window([*rows, ack(2.0 - 1e-9, 2.001, 8)]), 0.0, 4.0, 2.0)["since"] == 0.0
    short = verdict.steady_again(window([*rows[:7], ack(1.5, 1.501, 8)]), 0.0, 4.0, 2.0)
    assert short["incomplete"] and short["since"] is None


def test_steady_again_prefers_the_window_with_fewer_failures_at_the_same_rate() -> None:
    rows = [ack(k * 0.125, k * 0.125 + 0.001, k) for k in range(25)] + [failure(0.1, 0.11, 100), failure(0.2, 0.21, 101)]
    state = verdict.steady_again(window(rows), 0.0, 100.0, 1.0)
    assert (state["met"], state["closest_since"], state["failures"], state["achieved_rate"]) == (False, 0.25, 0, 8.0)


def test_steady_again_incomplete_window_covers_the_write_at_since() -> None:
    state = verdict.steady_again(window([ack(1.0, 1.001, 1)]), 1.0, 4.0, 2.0)
    assert state == {
        "met": False, "achieved_rate": 1000.0, "target_rate": 4.0, "p99_ms": 1.0, "attempts": 1, "failures": 0, "window_s": 0.0,
        "since": None, "closest_since": 1.0, "incomplete": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"achieved_rate": 19.0, "p99_ms": 5.0, "failures": 1}, "1 failed writes"),
        ({"achieved_rate": 20.0, "p99_ms": 1000.0, "failures": 0}, "p99 1000.0 ms"),
        ({"achieved_rate": 20.0, "p99_ms": None, "failures": 0}, "p99 None ms"),
        ({"achieved_rate": 18.9, "p99_ms": 999.0, "failures": 0}, "19/s of 20/s"),
        ({"achieved_rate": 20.0, "p99_ms": 5.0, "failures": 0}, "not measured"),
    ],
)
def test_limping_names_exactly_what_misses(state: dict[str, Any], expected: str) -> None:
    assert verdict.limping(state, 20.0, 2.0) == f"service limps on after recovery: no 2 s window at steady state (best: {expected})"
