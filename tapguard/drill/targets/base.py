"""What a drill needs of a target: preconditions, writers, a fault from its registry, signals, read-back, restore, a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from tapguard.drill.faults import Fault
from tapguard.drill.probe import Writer
from tapguard.foundation.errors import TapguardError


class FailoverTarget:
    component = ""
    engine = ""
    kind = ""  # lab | aws: named in errors
    require_replica_ack = False
    faults: ClassVar[Mapping[str, Fault[Any]]] = {}
    default_fault = ""

    def __init__(self, fault: str | None = None) -> None:
        self.fault: Fault[Any] = self.fault_named(fault)
        self.old_writer: int | str | None = None
        self.fault_end: float | None = None  # monotonic time the fault ends inside the drill (a frozen writer thaws)

    @classmethod
    def fault_named(cls, name: str | None) -> Fault[Any]:
        """The one check of a fault's name: the class's default when none is given."""
        chosen = cls.default_fault if name is None else name
        if chosen not in cls.faults:
            article = "an" if cls.kind[:1] in ("a", "e", "i", "o", "u") else "a"
            raise TapguardError(f"--fault {chosen} is not {article} {cls.kind} fault for {cls.component} (choose {', '.join(cls.faults)})")
        return cls.faults[chosen]

    def describe(self) -> dict[str, Any]:
        raise NotImplementedError

    def lock_path(self) -> Path:
        """The file whose flock makes this target's drills one at a time."""
        raise NotImplementedError

    def lock_subject(self) -> str:
        return f"{self.kind} {self.component}"

    def preconditions(self) -> list[str]:
        """Problems that forbid injecting the fault; empty when the target is ready (the fault's own check, else ready())."""
        return self.fault.ready(self) if self.fault.ready is not None else self.ready()

    def ready(self) -> list[str]:
        """The target's preconditions for a failover."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Create what the probe writes into (e.g. its table); the fault's own preparation runs after."""
        self.fault.prepare(self)

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        raise NotImplementedError

    def inject(self, fault: str | None = None) -> dict[str, Any]:
        """Inject this target's fault (its registry entry does the work); a name, when given, must be that fault's."""
        if fault is not None and self.fault_named(fault) is not self.fault:
            raise TapguardError(f"this target was built for --fault {self.fault.name}, not {fault}")
        return self.fault.inject(self)

    def watch(self, marks: dict[str, float], stop: threading.Event) -> None:
        """Record control-plane signals (detect, promote) into marks until stop is set."""

    def fence_writer_factory(self, run: str) -> Callable[[], Writer] | None:
        """Writers straight to the old writer (no Sentinel, no libpq writer choice) for the fencing probe; None: unreachable."""
        return None

    def readback(self, run: str, acked: set[int]) -> set[int]:
        """Of the acknowledged sequence numbers, those present on the writer now."""
        raise NotImplementedError

    def findings(self) -> list[str]:
        """Problems the fault itself proved (a rotation that did not complete, an old credential still accepted)."""
        return []

    def release(self) -> None:
        """Free what prepare() started (an embedded endpoint), injected or not; called once the drill is over."""

    def restore(self) -> dict[str, Any]:
        """Undo the fault (its registry entry), then return the target to a healthy, redundant state."""
        self.fault.restore(self)
        return self.heal()

    def heal(self) -> dict[str, Any]:
        """What every restore ends with, whatever the fault: the target healthy and redundant again."""
        return {}
