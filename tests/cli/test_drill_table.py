"""The console's drill table: a number that was not measured says "unknown", never None or 0."""

from __future__ import annotations

from typing import Any

import pytest

from tapguard.cli.drill import print_verdicts


def _journal(**verdict: Any) -> dict[str, Any]:
    return {"title": "aurora failover by hang", "status": "aborted", "verdict": {"passed": False, "max_downtime_s": 30.0, **verdict}}


def test_an_aborted_drill_prints_unknown_not_none(capsys: pytest.CaptureFixture[str]) -> None:
    print_verdicts([_journal(reasons=["preconditions not met"], unknown={"lost": "preconditions not met"})])
    out = capsys.readouterr().out
    assert "None" not in out
    assert out.count("unknown") >= 5  # downtime, steady after, acked, lost, and each p99
    assert "FAIL" in out


def test_measured_numbers_are_printed_as_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    p99 = {"before": 14.9, "during": 5.5, "after": 15}
    verdict = {"downtime_s": 2.5, "time_to_steady_s": 2.6, "acknowledged": 602, "lost": 0, "p99_ms": p99}
    print_verdicts([_journal(passed=True, **verdict)])
    out = capsys.readouterr().out
    assert "unknown" not in out and "602" in out and "14.9/5.5/15" in out and "PASS" in out
