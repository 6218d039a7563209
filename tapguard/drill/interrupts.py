"""Interrupt = stop: Ctrl-C and SIGTERM end a drill, and never cut an inject or a restore in half.

SIGTERM (a CI job cancelled) is turned into KeyboardInterrupt, so both take the same path. While a
fault is being injected or the target restored, interrupts are held and raised right after.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

INTERRUPTED_EXIT = 130


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread for the block (no-op off the main thread)."""
    if not _main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


@contextmanager
def held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block, then raise KeyboardInterrupt if one came."""
    if not _main_thread():
        yield
        return
    arrived: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        arrived.append(signum)

    before: dict[int, Any] = {sig: signal.signal(sig, remember) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    if arrived:
        raise KeyboardInterrupt(f"signal {signal.Signals(arrived[0]).name}")
