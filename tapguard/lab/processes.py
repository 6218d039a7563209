"""Processes on this machine, read from /proc: find, signal and reap whole trees."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cmdline: str
    sid: int = 0  # session id: every lab process starts a session of its own (start_new_session)
    zombie: bool = False


def snapshot(zombies: bool = False) -> list[Proc]:
    """Processes now; exited but unreaped ones (state Z) only when asked for."""
    procs = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # state ppid pgrp session ...
        if fields[0] == "Z" and not zombies:
            continue
        procs.append(Proc(int(entry.name), int(fields[1]), cmdline, int(fields[3]), fields[0] == "Z"))
    return procs


def tree(roots: set[int], procs: list[Proc] | None = None) -> set[int]:
    """The roots and all their descendants."""
    procs = procs if procs is not None else snapshot()
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for p in procs:
            if p.ppid in found and p.pid not in found:
                found.add(p.pid)
                changed = True
    return {p.pid for p in procs if p.pid in found}


def matching(*needles: str) -> set[int]:
    """Processes whose command line contains any needle, with their descendants."""
    procs = snapshot()
    me = os.getpid()
    roots = {p.pid for p in procs if p.pid != me and any(n and n in p.cmdline for n in needles)}
    return tree(roots, procs) - {me}


def send(pids: set[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_and_wait(pids: set[int], timeout: float = 10.0) -> set[int]:
    """SIGKILL and wait until gone; returns any that survived."""
    send(pids, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {p for p in pids if alive(p)}
        if not left:
            return set()
        time.sleep(0.05)
    return {p for p in pids if alive(p)}


def terminate(pids: set[int], grace: float = 5.0) -> set[int]:
    send(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return kill_and_wait({p for p in pids if alive(p)})


def freeze(pids: set[int], seconds: float) -> threading.Timer:
    """SIGSTOP now, SIGCONT after `seconds` (a daemon timer does it even if the caller fails)."""
    send(pids, signal.SIGSTOP)
    timer = threading.Timer(seconds, send, args=(pids, signal.SIGCONT))
    timer.daemon = True
    timer.start()
    return timer


def _members(pids: set[int], sids: set[int]) -> list[Proc]:
    me = os.getpid()
    return [p for p in snapshot(zombies=True) if p.pid != me and (p.pid in pids or p.sid in sids)]


def _reap_mine(procs: list[Proc]) -> None:
    """Collect the exit status of our own exited children (a drill or a test that started the lab holds them)."""
    me = os.getpid()
    for p in procs:
        if p.zombie and p.ppid == me:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(p.pid, os.WNOHANG)


def stop_sessions(pids: set[int], grace: float = 3.0, timeout: float = 15.0) -> list[Proc]:
    """Stop the processes and everything in their sessions (children that renamed themselves, ones forked meanwhile).

    SIGTERM, then after `grace` SIGKILL, repeated until no process of those sessions is left, exited
    ones reaped, or `timeout`. Returns what is still there (alive, or exited and not reaped by a parent
    that is not ours); empty when everything is gone.
    """
    sids = {p.sid for p in snapshot(zombies=True) if p.pid in pids} - {0, 1, os.getsid(0)}
    send(pids | {p.pid for p in _members(pids, sids) if not p.zombie}, signal.SIGTERM)
    start = time.monotonic()
    while True:
        left = _members(pids, sids)
        _reap_mine(left)
        left = _members(pids, sids)
        if not left or time.monotonic() - start > timeout:
            return left
        live = {p.pid for p in left if not p.zombie}
        if live and time.monotonic() - start > grace:
            send(live, signal.SIGKILL)
        time.sleep(0.05)
