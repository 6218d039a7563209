"""One drill per target at a time: an flock per target (the lab's directory, or an AWS account + resource).

The CLI locks every chosen target before the first drill; run_drill locks its own target for
callers that did not. A refused lock raises DrillBusy (exit 5) before anything is created or written.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tapguard.foundation.errors import TapguardError

BUSY_EXIT = 5
LOCK_NAME = "drill.lock"


class DrillBusy(TapguardError):
    """Another drill holds the lock of a target this run needs."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=BUSY_EXIT)


def state_home() -> Path:
    """The user's state directory (XDG_STATE_HOME, else ~/.local/state), where AWS drill locks live."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "tapguard" / "drill-locks"


def aws_lock_path(arn: str) -> Path:
    """The lock of one AWS resource; its ARN names the partition, region, account and resource (hostile text: hashed)."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", arn)[-80:]
    return state_home() / f"{readable}-{hashlib.sha256(arn.encode()).hexdigest()[:16]}.lock"


def _acquire(path: Path, what: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # never through a symlink someone planted where the lock goes
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DrillBusy(f"another drill is running on {what} (lock {path}); wait for it to finish") from None
    return fd


@contextmanager
def drill_lock(*locks: tuple[Path, str]) -> Iterator[None]:
    """Hold every (lock path, what it guards) for the block; all or none, taken in path order so two runs never deadlock.

    Not re-entrant: a second drill is refused even from the same process (flock is per open file).
    """
    taken: list[int] = []
    try:
        for path, what in sorted(dict(locks).items()):
            taken.append(_acquire(path, what))
        yield
    finally:
        for fd in reversed(taken):
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
