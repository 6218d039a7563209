"""Independent start-up steps run at once: the lab is up in the time of its slowest part, not the sum."""

from __future__ import annotations

import threading
from collections.abc import Callable


def concurrently(*steps: Callable[[], None]) -> None:
    """Run every step in its own thread, wait for all, then re-raise the first failure in the caller's thread."""
    errors: list[BaseException] = []

    def run(step: Callable[[], None]) -> None:
        try:
            step()
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(step,), daemon=True) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
