"""The probe's own conduct: stopping it never turns a write in flight into a failure; a stuck write is still cut."""

from __future__ import annotations

import threading
import time

from tapguard.drill.probe import FAILED, Probe, Writer


class Slow(Writer):
    """Every write takes `seconds`; interrupt() breaks a write in progress (as shutting its socket would)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cut = threading.Event()

    def write(self, seq: int) -> tuple[int, int]:
        self.cut.clear()
        if self.cut.wait(self.seconds):
            raise ConnectionError("connection closed by interrupt")
        return 1, -1

    def interrupt(self) -> None:
        self.cut.set()


def test_stopping_lets_writes_in_flight_finish() -> None:
    probe = Probe(lambda: Slow(0.2), rate=100.0, connections=4, attempt_timeout=2.0)
    probe.start()
    time.sleep(1.0)
    probe.stop()
    cols = probe.columns()
    assert len(cols["status"]) >= 10 and FAILED not in cols["status"]


def test_a_write_stuck_past_the_attempt_timeout_is_cut_at_stop() -> None:
    probe = Probe(lambda: Slow(60.0), rate=10.0, connections=1, attempt_timeout=0.3)
    probe.start()
    time.sleep(0.1)
    started = time.monotonic()
    probe.stop()
    assert time.monotonic() - started < 5
