"""How every benchmark measures a command: wall time, CPU time and peak memory of the whole process tree.

Peak memory is the largest sum of resident memory over the process and all its descendants, sampled from /proc
(a child's own ru_maxrss would miss checkov's scan children, terraform and its provider). CPU time is the
rusage wait4 returns: the process and every descendant it waited for (tapguard's checkov worker reaps its
scan children, so their CPU time counts). `paired` runs two commands alternately, round after round, and
reports medians with their spread: a shared 2-core VM moves single runs by a third.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

SAMPLE_SECONDS = 0.05
T = TypeVar("T")


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields[21]) * page
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system of the process and every descendant it waited for
    peak_mb: float  # the largest resident memory of the whole tree at one moment
    rc: int
    stdout: str
    stderr: str


def run(cmd: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=None if env is None else dict(env), stdout=out, stderr=err)
        peak = 0
        done = threading.Event()
        result: list[Any] = []

        def wait() -> None:
            result.append(os.wait4(proc.pid, 0))
            done.set()

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        while not done.wait(SAMPLE_SECONDS):
            peak = max(peak, tree_rss(proc.pid))
        seconds = time.perf_counter() - started
        _, status, usage = result[0]
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_mb=peak / 2**20,
            rc=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, minimum and maximum, rounded for a report."""
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def paired(rounds: int, first: Callable[[], T], second: Callable[[], T]) -> list[tuple[T, T]]:
    """Both sides, alternately, `rounds` times (the order flips each round so neither always runs on a warmer machine)."""
    pairs = []
    for i in range(rounds):
        if i % 2 == 0:
            a = first()
            b = second()
        else:
            b = second()
            a = first()
        pairs.append((a, b))
    return pairs
