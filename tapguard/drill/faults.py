"""Faults declared once per target, as data: name -> how to inject it, how to undo it, what the verdict needs of it.

Each target class holds its registry (`faults`) and its default; `FailoverTarget.fault_named`
is the one place a fault's name is checked. A new fault is one `Fault(...)` entry in its
target's module plus its test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def _nothing(target: Any) -> None:
    return None


@dataclass(frozen=True)
class Fault(Generic[T]):
    name: str
    summary: str  # one line: what the drill does to the target
    inject: Callable[[T], dict[str, Any]]  # returns the journal's record of the injection
    restore: Callable[[T], None] = _nothing  # undo this fault's own effect; the target's common restore runs after it
    prepare: Callable[[T], None] = _nothing  # before the probe starts (e.g. the rotation world the probe logs in through)
    ready: Callable[[T], list[str]] | None = None  # its own preconditions, in place of the target's (a rotation needs no spare replica)
    # what the verdict needs: the fault ends inside the drill (a frozen writer thaws, a rotation completes), so its end is
    # marked and a settle window after it is judged too; `proves` names the credential a rotation must have changed
    ends_inside: bool = False
    proves: str | None = None
    fences: bool = False  # the old writer is written to directly from the injection on: what it accepts after the promotion is judged


def registry(*faults: Fault[T]) -> Mapping[str, Fault[T]]:
    """The faults of one target class, by name (a name declared twice is a bug, refused at import)."""
    found: dict[str, Fault[T]] = {}
    for fault in faults:
        if fault.name in found:
            raise ValueError(f"fault {fault.name} declared twice")
        found[fault.name] = fault
    return found
