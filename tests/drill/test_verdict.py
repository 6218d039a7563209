"""The verdict on synthetic probe columns: downtime, stray writes, lost writes, phases."""

from __future__ import annotations

from typing import Any

from tapguard.drill import verdict
from tapguard.drill.probe import error_index

LOST = error_index("connection_lost")


def columns(rows: list[tuple[float, float, int, int, int, int]]) -> dict[str, list[Any]]:
    """rows of (start, end, seq, ok, replicated, server)."""
    return {
        "start": [r[0] for r in rows],
        "end": [r[1] for r in rows],
        "seq": [r[2] for r in rows],
        "status": [r[3] for r in rows],
        "replicated": [r[4] for r in rows],
        "error": [0 if r[3] else LOST for r in rows],
        "server": [r[5] for r in rows],
    }


def writes(
    t0: float, t1: float, server: int, ok: int = 1, seq0: int = 0, step: float = 0.01
) -> list[tuple[float, float, int, int, int, int]]:
    out, t, seq = [], t0, seq0
    while t < t1:
        out.append((t, t + 0.002, seq, ok, -1, server if ok else -1))
        t += step
        seq += 1
    return out


def test_a_write_slipping_through_the_dying_writer_does_not_hide_the_gap() -> None:
    rows = writes(0, 5, 1, seq0=0) + writes(5, 8, 1, ok=0, seq0=1000) + [(5.5, 5.502, 5000, 1, -1, 1)] + writes(8, 10, 2, seq0=2000)
    cols = columns(sorted(rows))
    result = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, False, 100.0)
    assert result.downtime_s is not None and 2.4 < result.downtime_s < 2.6
    assert (result.old_writer, result.new_writer) == (1, 2)
    assert result.passed


def test_downtime_over_the_limit_and_lost_writes_fail() -> None:
    rows = writes(0, 5, 1) + writes(5, 40, 1, ok=0, seq0=1000, step=0.5) + writes(40, 42, 2, seq0=3000)
    cols = columns(sorted(rows))
    acked = {s for s, st in zip(cols["seq"], cols["status"], strict=True) if st}
    present = acked - {3, 4}
    result = verdict.decide(cols, 0.0, 5.0, {}, present, 30.0, False, 100.0)
    assert not result.passed and result.lost == 2 and result.lost_ids == [3, 4]
    assert any("exceeds 30 s" in r for r in result.reasons) and any("2 acknowledged writes lost" in r for r in result.reasons)


def test_no_recovery_is_a_failure() -> None:
    cols = columns(sorted(writes(0, 5, 1) + writes(5, 20, 1, ok=0, seq0=1000, step=0.5)))
    result = verdict.decide(cols, 0.0, 5.0, {}, set(), 30.0, False, 100.0)
    assert not result.passed and result.downtime_s is None
    assert any("did not recover" in r for r in result.reasons)


def test_replica_acknowledgement_is_required_when_asked() -> None:
    rows = [(0.0, 0.1, 1, 1, 1, 1), (0.2, 0.3, 2, 1, 0, 1)]
    result = verdict.decide(columns(rows), 0.0, None, {}, {1}, 30.0, True, 10.0)
    assert result.acknowledged == 1 and result.acknowledged_by_primary == 2 and result.lost == 0 and result.lost_primary_only == 1


def test_steady_state() -> None:
    cols = columns(writes(0, 5, 1, step=0.001))
    assert verdict.steady_state(cols, 1.0, 5.0, 1000.0)["met"]
    assert not verdict.steady_state(cols, 1.0, 5.0, 5000.0)["met"]


def test_a_service_that_answers_but_limps_on_fails_and_says_why() -> None:
    # the new writer answers, but at 30 writes/s of 100 (every WAIT timing out): downtime is fine, the drill is not
    rows = writes(0, 5, 1) + writes(5, 7, 1, ok=0, seq0=1000, step=0.05) + writes(7, 20, 2, seq0=2000, step=1 / 30)
    cols = columns(sorted(rows))
    result = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, False, 100.0, settle_s=3.0)
    assert result.downtime_s is not None and result.downtime_s < 3
    assert not result.passed and result.time_to_steady_s is None
    assert any(r.startswith("service limps on after recovery") and "30/s of 100/s" in r for r in result.reasons), result.reasons
    assert result.steady_after["met"] is False


def test_time_to_steady_state_counts_from_recovery_and_the_thaw_is_reported_apart() -> None:
    # recovered at 7 s while the frozen writer thaws at 12 s: steady again from recovery (2 s after the fault), and
    # still steady once the writer thawed (0 s after it), each reported; the old reading (7 s, from the thaw) is gone
    rows = writes(0, 5, 1) + writes(5, 7, 1, ok=0, seq0=1000, step=0.05) + writes(7, 20, 2, seq0=2000)
    cols = columns(sorted(rows))
    result = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, False, 100.0, settle_s=3.0, fault_end=12.0)
    assert result.passed, result.reasons
    assert result.time_to_steady_s == 2.002 and result.steady_after["since_s"] == 7.002 and result.fault_end_s == 12.0
    assert result.time_to_steady_after_fault_end_s == 0.0 and result.steady_after_fault_end["since_s"] == 12.0


def test_a_thaw_that_breaks_the_service_fails_even_after_a_fast_recovery() -> None:
    # recovered at 7 s; the writer thaws at 12 s and from then on every other write fails
    rows = writes(0, 5, 1) + writes(5, 7, 1, ok=0, seq0=1000, step=0.05) + writes(7, 12, 2, seq0=2000)
    rows += writes(12, 20, 2, seq0=5000, step=0.02) + writes(12.01, 20, 2, ok=0, seq0=9000, step=0.02)
    cols = columns(sorted(rows))
    result = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, False, 100.0, settle_s=3.0, fault_end=12.0)
    assert result.time_to_steady_s == 2.002 and result.time_to_steady_after_fault_end_s is None
    assert not result.passed and any(r.startswith("after the fault ended: service limps on") for r in result.reasons), result.reasons
    assert "closest_since" not in result.steady_after_fault_end and result.steady_after_fault_end["closest_since_s"] >= 12.0


def test_what_was_not_measured_is_unknown_never_zero_and_fails() -> None:
    rows = writes(0, 5, 1) + writes(5, 7, 1, ok=0, seq0=1000, step=0.05) + writes(7, 20, 2, seq0=2000)
    cols = columns(sorted(rows))
    unread = verdict.decide(cols, 0.0, 5.0, {}, None, 30.0, False, 100.0, settle_s=3.0)
    assert unread.lost is None and unread.unconfirmed_lost is None and unread.lost_primary_only is None
    assert unread.unknown == {"lost": "the acknowledged writes could not be read back"} and not unread.passed
    # the writer never came back: no downtime, no steady state, and the verdict says why
    dead = columns(sorted(writes(0, 5, 1) + writes(5, 9, 1, ok=0, seq0=1000, step=0.05)))
    never = verdict.decide(dead, 0.0, 5.0, {}, set(dead["seq"]), 30.0, False, 100.0, settle_s=3.0)
    assert never.downtime_s is None and never.time_to_steady_s is None and not never.passed
    assert set(never.unknown) == {"downtime_s", "time_to_steady_s"} and never.lost == 0


def test_the_console_prints_unknown_with_its_reason() -> None:
    from tapguard.cli.drill import measured

    assert measured({"lost": 0}, "lost") == "0" and measured({"downtime_s": 1.5}, "downtime_s", " s") == "1.5 s"
    assert measured({"lost": None, "unknown": {"lost": "the acknowledged writes could not be read back"}}, "lost") == (
        "unknown (the acknowledged writes could not be read back)"
    )
    assert measured({}, "time_to_steady_s") == "unknown (not measured)"


def test_writes_the_old_writer_acknowledges_after_promotion_must_survive() -> None:
    # the thawed old writer (1) acknowledges two writes after the new writer (2) was promoted at 8 s
    rows = writes(0, 5, 1) + writes(5, 8, 1, ok=0, seq0=1000, step=0.05) + writes(8, 20, 2, seq0=2000)
    rows += [(9.0, 9.001, 9000, 1, -1, 1), (9.1, 9.101, 9001, 1, -1, 1)]
    cols = columns(sorted(rows))
    present = set(cols["seq"]) - {9001}
    result = verdict.decide(cols, 0.0, 5.0, {"promote": 8.0}, present, 30.0, False, 100.0, settle_s=3.0)
    assert result.old_writer_acks_after_promotion == 2 and result.old_writer_acks_after_promotion_lost == 1
    assert not result.passed and result.lost == 1 and result.lost_ids == [9001]


def test_repeats_report_median_p95_and_max_per_metric() -> None:
    from tapguard.drill import repeats

    journals = [
        {"title": "redis kill", "verdict": {"passed": True, "downtime_s": d, "time_to_steady_s": d + 1, "lost": 0}}
        for d in (2.0, 1.0, 3.0, 2.5, 9.0)
    ]
    journals.append({"title": "aurora kill", "verdict": {"passed": False, "downtime_s": None, "lost": 3}})
    rows = {r["title"]: r for r in repeats.summarise(journals)}
    assert rows["redis kill"]["downtime_s"] == {"median": 2.5, "p95": 9.0, "max": 9.0, "n": 5}
    assert rows["redis kill"]["time_to_steady_s"]["median"] == 3.5 and rows["redis kill"]["passed"] == 5
    assert rows["aurora kill"]["downtime_s"] is None and rows["aurora kill"]["lost"]["max"] == 3 and rows["aurora kill"]["passed"] == 0


def test_a_window_shorter_than_the_settle_window_proves_nothing() -> None:
    # the probe stopped 1 s after recovery: no 3 s window, so no steady state after, however good that second was
    rows = writes(0, 5, 1) + writes(5, 7, 1, ok=0, seq0=1000, step=0.05) + writes(7, 8, 2, seq0=2000)
    cols = columns(sorted(rows))
    result = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, False, 100.0, settle_s=3.0)
    assert not result.passed and result.steady_after["met"] is False and result.steady_after["incomplete"] is True
    assert any("probe stopped before a 3 s settle window" in r for r in result.reasons), result.reasons


def test_writes_acknowledged_without_a_replica_are_counted_and_fail_when_a_replica_is_required() -> None:
    # a PostgreSQL new writer in wait_primary: commits return with no synchronous standby (replicated 0)
    rows = writes(0, 5, 1) + writes(5, 7, 1, ok=0, seq0=1000, step=0.05) + writes(7, 20, 2, seq0=2000)
    rows = [(s, e, q, ok, 0 if 7 <= s < 8 and ok else 1, srv) for s, e, q, ok, _, srv in rows]
    alone = sum(1 for r in rows if r[4] == 0)
    cols = columns(sorted(rows))
    lenient = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, False, 100.0, settle_s=3.0)
    assert lenient.passed and lenient.acknowledged_without_replica == alone > 90 and lenient.acknowledged_replica_not_asked == 0
    strict = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, False, 100.0, settle_s=3.0, strict_replica_ack=True)
    assert not strict.passed and f"{alone} writes acknowledged without a synchronous replica (--require-replica-ack)" in strict.reasons
    # Redis with WAIT: a write no replica confirmed is not acknowledged at all, so none is counted "without replica"
    waited = verdict.decide(cols, 0.0, 5.0, {}, set(cols["seq"]), 30.0, True, 100.0, strict_replica_ack=True)
    assert waited.acknowledged_without_replica == 0 and waited.acknowledged == lenient.acknowledged - alone
