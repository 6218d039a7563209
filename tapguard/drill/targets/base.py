"""What a drill needs of a target: preconditions, writers, a fault, signals, read-back, restore."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tapguard.drill.probe import Writer


class FailoverTarget:
    component = ""
    engine = ""
    require_replica_ack = False

    def __init__(self) -> None:
        self.old_writer: int | str | None = None
        self.fault_end: float | None = None  # monotonic time the fault ends inside the drill (a frozen writer thaws)

    def describe(self) -> dict[str, Any]:
        raise NotImplementedError

    def preconditions(self) -> list[str]:
        """Problems that forbid injecting a fault; empty when the target is ready."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Create what the probe writes into (e.g. its table)."""

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        raise NotImplementedError

    def inject(self, fault: str) -> dict[str, Any]:
        raise NotImplementedError

    def watch(self, marks: dict[str, float], stop: threading.Event) -> None:
        """Record control-plane signals (detect, promote) into marks until stop is set."""

    def readback(self, run: str, acked: set[int]) -> set[int]:
        """Of the acknowledged sequence numbers, those present on the writer now."""
        raise NotImplementedError

    def findings(self) -> list[str]:
        """Problems the fault itself proved (a rotation that did not complete, an old credential still accepted)."""
        return []

    def release(self) -> None:
        """Free what prepare() started (an embedded endpoint), injected or not; called once the drill is over."""

    def restore(self) -> dict[str, Any]:
        """Return the target to a healthy, redundant state."""
        return {}
