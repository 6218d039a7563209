"""targets/lab.py: its faults as data, and Ctrl-C / SIGTERM on a real `tapguard drill --component all` against a lab of its own."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tapguard.drill.targets.lab import LabPostgres, LabRedis
from tapguard.foundation.ports import free_ports
from tapguard.lab import processes
from tapguard.lab.lab import Lab, LabState
from tapguard.lab.redis import RedisLab

FAULTS = ["kill", "hang", "switchover", "replica-lag", "rotate"]


def test_each_fault_is_one_entry_with_what_the_verdict_needs() -> None:
    for target in (LabPostgres, LabRedis):
        assert list(target.faults) == FAULTS and target.default_fault == "kill"
        assert all(name == fault.name and fault.summary and callable(fault.inject) for name, fault in target.faults.items())
        # the faults that end inside the drill: their end is marked and a settle window after it judged
        assert [n for n, f in target.faults.items() if f.ends_inside] == ["hang", "replica-lag", "rotate"]
        assert [n for n, f in target.faults.items() if f.proves] == ["rotate"]
        # every failover fault probes the old writer directly (fencing); the rotation keeps its writer
        assert [n for n, f in target.faults.items() if f.fences] == ["kill", "hang", "switchover", "replica-lag"]


def _stopped(pids: set[int]) -> set[int]:
    """Of these processes, the ones in state T (SIGSTOP)."""
    found = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T":
                found.add(pid)
        except OSError:
            continue
    return found


def _sessions(state: LabState, lab: Lab) -> set[int]:
    pids = lab.postgres(state).all_pids() | lab.redis(state).all_pids()
    return {p.sid for p in processes.snapshot(zombies=True) if p.pid in pids}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Lab]]:
    """A project of its own (TAPGUARD_ROOT) whose lab this module starts and stops: never the shared one."""
    root = tmp_path_factory.mktemp("project")
    (root / ".tapguard").mkdir()
    lab = Lab(root / ".tapguard")
    try:
        yield root, lab
    finally:
        lab.down()


@pytest.mark.lab
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_lab_drill_restores_keeps_its_journal_never_starts_the_next_and_exits_130(
    sig: signal.Signals, project: tuple[Path, Lab], tmp_path: Path
) -> None:
    root, lab = project
    state = lab.up()
    pg, rd = lab.postgres(state), lab.redis(state)
    # the drill before this one (the other signal) restored its writer; pg_auto_failover may still be rejoining it
    # (the state passes through primary + 2 secondaries while the old writer catches up): ready for 5 s in a row
    deadline, ready_since = time.monotonic() + 120, None
    while time.monotonic() < deadline:
        if LabPostgres(pg, fault="hang").preconditions():
            ready_since = None
        elif ready_since is None:
            ready_since = time.monotonic()
        elif time.monotonic() - ready_since >= 5:
            break
        time.sleep(0.5)
    master = rd.master_port()
    out = tmp_path / "evidence"
    argv = ["drill", "--target", "lab", "--component", "all", "--fault", "hang", "--hang-seconds", "60", "--rate", "600"]
    # a loaded machine (the test command runs other tests beside this one) may take a while to a steady window
    argv += ["--connections", "2", "--steady-seconds", "1", "--settle-seconds", "1", "--warmup-timeout", "60", "--out", str(out)]
    drill = subprocess.Popen(
        [sys.executable, "-m", "tapguard", *argv],
        # faulthandler: a drill that does not stop is made to print every thread's stack (SIGABRT) before it is killed
        env={**os.environ, "TAPGUARD_ROOT": str(root), "PYTHONFAULTHANDLER": "1"},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        writer = pg.writer_index()
        assert writer is not None
        deadline = time.monotonic() + 90
        while not _stopped(pg.node_pids(writer)) and drill.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if drill.poll() is not None:
            raise AssertionError(f"the drill ended before its writer was frozen: {drill.communicate()[0][-3000:]}")
        assert _stopped(pg.node_pids(writer)), "the PostgreSQL writer was never frozen"
        sent = time.monotonic()
        drill.send_signal(sig)  # the writer is frozen for 60 s: only the restore can thaw it in time
        try:
            output, _ = drill.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            drill.send_signal(signal.SIGABRT)
            stacks, _ = drill.communicate(timeout=30)
            raise AssertionError(f"the drill did not stop within 120 s of {sig.name}; where it was:\n{stacks[-6000:]}") from None
        stopped_in = time.monotonic() - sent
    finally:
        if drill.poll() is None:
            drill.kill()
            drill.wait()
    assert drill.returncode == 130, output
    assert "Traceback" not in output
    assert not _stopped(pg.all_pids()), "a lab process is still frozen"
    # thawed, the old writer rejoins on its own; on a loaded machine (three labs drilling at once in the test command)
    # pg_auto_failover may have promoted a secondary meanwhile and rewinds the old writer first: bounded, and a lab still
    # unhealthy then fails naming each node's state
    pg.wait_healthy(120)
    deadline = time.monotonic() + 30
    while not rd.healthy() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert pg.healthy() and rd.healthy() and rd.master_port() == master  # the Redis drill never started
    drills = json.loads(next(out.glob("*/drills.json")).read_text())["drills"]
    assert [d["experiment"]["component"] for d in drills] == ["aurora"]
    journal = drills[0]
    assert journal["status"] == "interrupted" and journal["verdict"]["passed"] is False
    assert [r["status"] for r in journal["rollbacks"]] == ["succeeded"]
    assert stopped_in < 60, stopped_in  # long before the 60 s hang would have thawed by itself
    print(f"{sig.name}: stopped and restored in {stopped_in:.1f} s")


@pytest.mark.lab
def test_lab_down_returns_once_every_lab_process_is_gone_and_reaped(project: tuple[Path, Lab]) -> None:
    _, lab = project
    state = lab.up()
    sessions = _sessions(state, lab)
    assert len(sessions) >= 10  # monitor, 3 nodes, 3 servers, 3 sentinels
    lab.down()
    # listed right after down returned: nothing of the lab's sessions, not even an exited process not yet reaped
    left = [p for p in processes.snapshot(zombies=True) if p.sid in sessions or state.directory in p.cmdline]
    assert not left, left


@pytest.fixture
def redis_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisLab]:
    """Redis and its 3 Sentinels alone, in a directory of this test's own."""
    ports = free_ports(6)
    lab = RedisLab(tmp_path_factory.mktemp("redis"), ports[:3], ports[3:], secrets.token_urlsafe(16), secrets.token_urlsafe(16))
    try:
        lab.create()
        yield lab
    finally:
        processes.stop_sessions(lab.all_pids())


def _sentinel_pids(lab: RedisLab, port: int) -> set[int]:
    return {p.pid for p in processes.snapshot() if "sentinel" in p.cmdline and f"127.0.0.1:{port}" in p.cmdline}


@pytest.mark.lab
def test_every_sentinel_is_watched_and_a_probe_attempt_stays_bounded_when_none_answers(redis_lab: RedisLab) -> None:
    target = LabRedis(redis_lab)
    sentinels = [_sentinel_pids(redis_lab, p) for p in redis_lab.sentinel_ports]
    assert all(sentinels)
    # every Sentinel frozen: a write cannot find the master, and says so within one attempt's timeout (was ~27 s)
    writer = target.writer_factory("bounded")()
    every = set().union(*sentinels)
    processes.send(every, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(redis.RedisError):
            writer.write(1)
        blocked = time.monotonic() - started
    finally:
        processes.send(every, signal.SIGCONT)
    assert blocked < 2.0, blocked  # the probe's attempt timeout
    # the first Sentinel frozen (the one a single watcher listened to): the other two still report the failover
    marks: dict[str, float] = {}
    stop = threading.Event()
    processes.send(sentinels[0], signal.SIGSTOP)
    try:
        watcher = threading.Thread(target=target.watch, args=(marks, stop), daemon=True)
        watcher.start()
        time.sleep(0.5)
        killed_at = time.monotonic()
        redis_lab.kill_master()
        deadline = time.monotonic() + 30
        while "promote" not in marks and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        processes.send(sentinels[0], signal.SIGCONT)
    assert killed_at < marks["detect"] <= marks["promote"], marks


def test_both_lab_targets_share_the_labs_lock_and_a_second_drill_is_refused_even_in_process(tmp_path: Path) -> None:
    from tapguard.drill import locks
    from tapguard.drill.runner import drill_lock
    from tapguard.lab.postgres import PostgresLab

    aurora = LabPostgres(PostgresLab(tmp_path, "u", 1, [2, 3, 4]))
    cache = LabRedis(RedisLab(tmp_path, [5, 6, 7], [8, 9, 10], "p", "a"))
    assert aurora.lock_path() == cache.lock_path() == tmp_path / locks.LOCK_NAME  # the lab's own directory
    other = LabRedis(RedisLab(tmp_path / "other-lab", [5, 6, 7], [8, 9, 10], "p", "a"))
    with drill_lock(aurora, cache):
        with pytest.raises(locks.DrillBusy, match="another drill is running on lab") as busy, drill_lock(cache):
            pass
        assert busy.value.exit_code == 5
        with drill_lock(other):  # another lab (another checkout, another user's tmp lab) is not blocked
            pass
    with drill_lock(cache):  # released
        pass
