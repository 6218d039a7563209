"""The steady state before a fault: a warm-up is waited out, a service that never gets there aborts the drill."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tapguard.drill.faults import Fault, registry
from tapguard.drill.journal import new_journal
from tapguard.drill.phases import DrillRun, rollback, steady_state_before
from tapguard.drill.probe import Writer
from tapguard.drill.settings import DrillSettings
from tapguard.drill.targets.base import FailoverTarget


class RefusingThenFast(Writer):
    """Each write is refused until `until` (monotonic), then takes 1 ms."""

    def __init__(self, until: float) -> None:
        self.until = until

    def write(self, seq: int) -> tuple[int, int]:
        if time.monotonic() < self.until:
            raise ConnectionRefusedError("connection refused")
        time.sleep(0.001)
        return 1, -1


class InMemory(FailoverTarget):
    component = engine = kind = "memory"
    default_fault = "nothing"

    def __init__(self, refusing_for: float) -> None:
        super().__init__()
        self.refusing_for = refusing_for
        self.injected = False

    def describe(self) -> dict[str, Any]:
        return {"kind": "memory"}

    def ready(self) -> list[str]:
        return []

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        until = time.monotonic() + self.refusing_for
        return lambda: RefusingThenFast(until)

    def _inject(self) -> dict[str, Any]:
        self.injected = True
        return {}


InMemory.faults = registry(Fault("nothing", "records that it was injected", InMemory._inject))


def before(target: InMemory, settings: DrillSettings) -> tuple[bool, dict[str, Any]]:
    run = DrillRun(target, settings, "r1", new_journal("t", {}))
    try:
        return steady_state_before(run), run.journal
    finally:
        rollback(run)


SETTINGS = DrillSettings(rate=100.0, connections=2, steady_seconds=1.0, warmup_timeout=4.0)


def test_a_slow_start_is_waited_out_and_the_window_is_recorded() -> None:
    # the service refuses connections for its first 2 s (a replica still attaching), then is fast
    met, journal = before(InMemory(refusing_for=2.0), SETTINGS)
    state = journal["steady_states"]["before"]
    assert met and state["met"], state
    assert state["warmup_s"] >= 2.0 and state["achieved_rate"] >= 95 and state["failures"] == 0, state
    assert "reason" not in journal


def test_a_service_that_never_reaches_steady_state_aborts_with_its_best_window() -> None:
    started = time.monotonic()
    met, journal = before(InMemory(refusing_for=60.0), SETTINGS)
    state = journal["steady_states"]["before"]
    assert not met and not state["met"] and state["failures"] > 0, state
    assert journal["status"] == "aborted" and "steady state not met before injection within 5 s" in journal["reason"]
    assert time.monotonic() - started < SETTINGS.steady_seconds + SETTINGS.warmup_timeout + 4
