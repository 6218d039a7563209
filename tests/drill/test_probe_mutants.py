"""The probe pinned down where mutation testing found it loose: the schedule, the bounded log, error classes, the watchdog.

A worker is driven in the test's own thread with scripted writers (no server), so the sequence numbers, the recorded
columns and the error classes are exact; only the pacing and watchdog tests use time, with generous upper bounds.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from typing import Any

import pytest

from tapguard.drill import probe
from tapguard.drill.probe import Probe, ProbeLog, Writer, classify, error_index


class Scripted(Writer):
    """Answers from `server` with `replicated`; raises the scripted exceptions in turn; stops the probe after `limit` writes."""

    def __init__(self, owner: list[Probe], limit: int, failures: tuple[BaseException | None, ...] = (), server: int = 5432) -> None:
        self.owner, self.limit, self.failures, self.server = owner, limit, list(failures), server
        self.seqs: list[int] = []
        self.resets = 0

    def write(self, seq: int) -> tuple[int, int]:
        self.seqs.append(seq)
        if len(self.seqs) >= self.limit:
            self.owner[0]._stop.set()
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        return self.server, 1

    def reset(self) -> None:
        self.resets += 1


def scripted(limit: int, connections: int = 1, capacity: int = 100, **kwargs: Any) -> tuple[Probe, list[Scripted]]:
    made: list[Scripted] = []
    owner: list[Probe] = []

    def make() -> Scripted:
        made.append(Scripted(owner, limit, **kwargs))
        return made[-1]

    owner.append(Probe(make, rate=1000.0, connections=connections, attempt_timeout=0.2, capacity=capacity))
    owner[0].t0 = time.monotonic() - 1000.0  # every write is already due: no pacing
    return owner[0], made


def test_error_index_is_stable_and_appends_new_classes() -> None:
    name = f"class-{uuid.uuid4()}"  # the list is process-wide: a name no earlier test can have added
    assert error_index("none") == 0 and probe.ERROR_CLASSES[0] == "none"
    index = error_index(name)
    assert probe.ERROR_CLASSES[index] == name and error_index(name) == index
    assert probe.ERROR_CLASSES.count(name) == 1 and index == len(probe.ERROR_CLASSES) - 1


def test_the_log_holds_exactly_its_capacity() -> None:
    log = ProbeLog(2)
    assert log.add(1, 0.5, 0.75, True, 1, 0, 5432) and log.add(2, 1.0, 1.25, False, -1, 3, -1)
    assert not log.full and len(log) == 2
    assert not log.add(3, 2.0, 2.25, True, 0, 0, 1)
    assert log.full and len(log) == 2
    assert (list(log.seq), list(log.start), list(log.end)) == ([1, 2], [0.5, 1.0], [0.75, 1.25])
    assert (list(log.status), list(log.replicated), list(log.error), list(log.server)) == ([1, 0], [1, -1], [0, 3], [5432, -1])


@pytest.mark.parametrize(("rate", "connections"), [(0.0, 1), (-1.0, 1), (1.0, 0), (1.0, -2)])
def test_rate_and_connections_must_be_positive(rate: float, connections: int) -> None:
    with pytest.raises(ValueError, match=r"^rate and connections must be positive$"):
        Probe(Writer, rate, connections)


def test_a_new_probe_splits_its_capacity_over_its_connections() -> None:
    made = Probe(Writer, 0.5, 3, capacity=10)
    assert (made.rate, made.connections, made.attempt_timeout, made.t0) == (0.5, 3, 2.0, 0.0)
    assert [log.capacity for log in made.logs] == [4, 4, 4]
    assert Probe(Writer, 1.0, 1).logs[0].capacity == 2_000_001
    assert made.columns() == {name: [] for name in ("start", "end", "seq", "status", "replicated", "error", "server")}
    assert not made.full


def test_each_worker_writes_its_own_interleaved_sequence_numbers() -> None:
    made, writers = scripted(limit=4, connections=3)
    made._work(1)
    assert writers[0].seqs == [2, 5, 8, 11]
    log = made.logs[1]
    assert list(log.seq) == [2, 5, 8, 11] and list(log.status) == [1, 1, 1, 1] and list(log.server) == [5432] * 4
    assert list(log.replicated) == [1, 1, 1, 1] and list(log.error) == [0, 0, 0, 0]
    assert all(a <= b for a, b in zip(log.start, log.end, strict=True)) and made._inflight == [0.0, 0.0, 0.0]
    assert made._writers[1] is writers[0] and writers[0].resets == 0


def test_a_failed_write_is_recorded_with_its_class_and_the_connection_reset() -> None:
    made, writers = scripted(limit=3, failures=(None, ConnectionRefusedError("connection refused"), None))
    made._work(0)
    log = made.logs[0]
    assert list(log.status) == [1, 0, 1] and list(log.server) == [5432, -1, 5432] and list(log.replicated) == [1, 0, 1]
    assert [probe.ERROR_CLASSES[e] for e in log.error] == ["none", "connection_refused", "none"]
    assert writers[0].resets == 1


def test_a_failed_write_pauses_before_the_next() -> None:
    made, _ = scripted(limit=3, failures=(OSError("connection reset"), None, None))
    made._work(0)
    log = made.logs[0]
    assert log.start[1] - log.end[0] >= 0.019


def test_a_full_log_ends_the_worker_and_marks_the_probe_full() -> None:
    made, writers = scripted(limit=10**6, capacity=3)
    made._work(0)
    assert len(made.logs[0]) == 4 and len(writers[0].seqs) == 5 and made.full


def test_writes_follow_the_schedule_seq_over_rate_after_start() -> None:
    owner: list[Probe] = []
    writer = Scripted(owner, limit=3)
    owner.append(Probe(lambda: writer, rate=4.0, connections=1))
    owner[0].t0 = time.monotonic()
    owner[0]._work(0)
    offsets = [s - owner[0].t0 for s in owner[0].logs[0].start]
    for index, offset in enumerate(offsets):
        assert index * 0.25 - 0.001 <= offset < index * 0.25 + 0.2, offsets


def test_stopping_while_waiting_for_the_next_slot_writes_nothing() -> None:
    owner: list[Probe] = []
    writer = Scripted(owner, limit=10)
    owner.append(Probe(lambda: writer, rate=1.0, connections=1))
    owner[0].t0 = time.monotonic() + 0.3
    threading.Timer(0.05, owner[0]._stop.set).start()
    owner[0]._work(0)
    assert writer.seqs == [] and len(owner[0].logs[0]) == 0


class Stuck(Writer):
    """The first write blocks until interrupted; the later ones succeed."""

    def __init__(self) -> None:
        self.unblock = threading.Event()
        self.interrupted_after: float | None = None
        self.started = 0.0
        self.resets = 0
        self.calls = 0

    def write(self, seq: int) -> tuple[int, int]:
        self.calls += 1
        if self.calls == 1:
            self.started = time.monotonic()
            if not self.unblock.wait(5):
                raise AssertionError("never interrupted")
            raise ConnectionError("connection closed by interrupt")
        return 1, -1

    def interrupt(self) -> None:
        if self.interrupted_after is None:
            self.interrupted_after = time.monotonic() - self.started
        self.unblock.set()

    def reset(self) -> None:
        self.resets += 1


def test_the_watchdog_interrupts_a_write_stuck_past_the_attempt_timeout() -> None:
    writer = Stuck()
    made = Probe(lambda: writer, rate=20.0, connections=1, attempt_timeout=0.2)
    made.start()
    try:
        deadline = time.monotonic() + 5
        while (writer.interrupted_after is None or writer.calls < 3) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        made.stop()
    assert writer.interrupted_after is not None and 0.2 <= writer.interrupted_after < 0.95  # polled every 50 ms
    cols = made.columns()
    assert cols["status"][0] == 0 and probe.ERROR_CLASSES[cols["error"][0]] == "connection_lost"
    assert 1 in cols["status"] and writer.resets >= 2  # once after the failure, once at stop
    assert [t.name for t in made._threads] == ["probe-0"] and made._watchdog is not None and made._watchdog.name == "probe-watchdog"
    assert made._threads[0].daemon and made._watchdog.daemon


def test_columns_take_complete_rows_of_every_worker_ordered_by_start() -> None:
    made = Probe(Writer, 1.0, 2)
    made.logs[0].add(1, 2.0, 2.5, True, 1, 0, 10)
    made.logs[1].add(2, 1.0, 1.5, False, 0, 2, -1)
    made.logs[1].seq.append(4)  # a worker half way through add(): not a row yet
    for column in ("seq", "start", "end", "status", "replicated", "error"):
        getattr(made.logs[0], column).append(0)  # one more, all but its server: not a row yet either
    assert made.columns() == {
        "start": [1.0, 2.0], "end": [1.5, 2.5], "seq": [2, 1], "status": [0, 1], "replicated": [0, 1], "error": [2, 0], "server": [-1, 10],
    }  # fmt: skip
    made.logs[1].full = True
    assert made.full


def named(name: str, text: str = "") -> BaseException:
    return type(name, (Exception,), {})(text)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (named("X", "FATAL: password Authentication Failed for user"), "auth_failed"),
        (named("X", "invalid password"), "auth_failed"),
        (named("AuthenticationError"), "auth_failed"),
        (named("X", "cannot execute INSERT in a read-only transaction"), "read_only"),
        (named("X", "READONLY You can't write against a read only replica."), "read_only"),
        (named("ReadOnlySqlTransaction"), "read_only"),
        (named("ReadOnlyError"), "read_only"),
        (TimeoutError(), "timeout"),
        (named("QueryTimeoutExpired"), "timeout"),
        (named("X", "the operation Timed Out"), "timeout"),
        (named("X", "Connection refused"), "connection_refused"),
        (ConnectionRefusedError(), "connection_refused"),
        (named("X", "terminating connection due to administrator command"), "server_shutdown"),
        (named("AdminShutdown"), "server_shutdown"),
        (named("X", "server closed the connection unexpectedly"), "connection_lost"),
        (named("X", "socket closed"), "connection_lost"),
        (named("X", "Connection reset by peer"), "connection_lost"),
        (ConnectionError(), "connection_lost"),
        (named("OperationalError"), "connection_lost"),
        (named("InterfaceError"), "connection_lost"),
        (ValueError("bad value"), "ValueError"),
    ],
)
def test_classify_names_each_error_class(exc: BaseException, expected: str) -> None:
    assert classify(exc) == expected


def test_interrupt_socket_wakes_a_blocked_reader_and_ignores_what_is_no_socket() -> None:
    probe.interrupt_socket(-1)
    reader, other = socket.socketpair()
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.append(reader.recv(1)))
    thread.start()
    time.sleep(0.05)
    probe.interrupt_socket(reader.fileno())
    thread.join(3)
    try:
        assert got == [b""] and not thread.is_alive()
        assert reader.fileno() >= 0  # the caller's socket stays open: only a duplicate was closed
    finally:
        reader.close()
        other.close()
    closed = socket.socket()
    fd = closed.fileno()
    closed.close()
    probe.interrupt_socket(fd)  # a closed descriptor: nothing to do, no error


class Ignoring(Writer):
    """Blocks in write until released; interrupt() is counted and, unless `deaf`, releases it."""

    def __init__(self, deaf: bool = False, quick: bool = False) -> None:
        self.release = threading.Event()
        self.deaf, self.quick = deaf, quick
        self.interrupts = 0

    def write(self, seq: int) -> tuple[int, int]:
        if not self.quick:
            self.release.wait(30)
        return 1, 1

    def interrupt(self) -> None:
        self.interrupts += 1
        if not self.deaf:
            self.release.set()


def running(writers: list[Ignoring], attempt_timeout: float = 0.1) -> Probe:
    """Workers started without the watchdog, so only stop() can interrupt them."""
    made = Probe(lambda: writers.pop(0), rate=100.0, connections=len(writers), attempt_timeout=attempt_timeout)
    made.t0 = time.monotonic()
    made._threads = [threading.Thread(target=made._work, args=(w,), daemon=True) for w in range(len(writers))]
    for thread in made._threads:
        thread.start()
    time.sleep(0.1)
    return made


def test_stop_waits_attempt_timeout_plus_half_a_second_once_then_interrupts_only_stuck_writers() -> None:
    quick, stuck, other = Ignoring(quick=True), Ignoring(), Ignoring()
    made = running([quick, stuck, other])
    began = time.monotonic()
    made.stop()
    took = time.monotonic() - began
    assert 0.55 <= took < 1.2, took  # one deadline for all workers, not a wait per worker
    assert (quick.interrupts, stuck.interrupts, other.interrupts) == (0, 1, 1)
    assert not any(t.is_alive() for t in made._threads)


def test_stop_gives_up_on_a_writer_deaf_to_interrupts_after_five_seconds() -> None:
    deaf = Ignoring(deaf=True)
    made = running([deaf])
    began = time.monotonic()
    try:
        made.stop()
        took = time.monotonic() - began
    finally:
        deaf.release.set()
    assert 5.55 <= took < 6.3, took
    assert deaf.interrupts == 1


def test_interrupt_socket_works_on_descriptor_zero() -> None:
    reader, other = socket.socketpair()
    saved = os.dup(0)
    os.dup2(reader.fileno(), 0)
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.append(reader.recv(1)))
    try:
        thread.start()
        time.sleep(0.05)
        probe.interrupt_socket(0)
        thread.join(3)
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        reader.close()
        other.close()
    assert got == [b""]
