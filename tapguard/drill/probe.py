"""Write probes: sequence-numbered writes at a set rate over a pool of connections.

Every attempt is recorded (start, end, outcome, error class, which server answered,
whether a replica confirmed it) in typed arrays with a fixed capacity, so memory is
bounded whatever the rate. Workers pace themselves against a shared schedule
(seq / rate seconds after start) and reconnect with short timeouts after any error,
re-resolving the writer (libpq multi-host with target_session_attrs, or Sentinel).
"""

from __future__ import annotations

import socket
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OK, FAILED = 1, 0
ERROR_CLASSES: list[str] = ["none"]
_ERR_LOCK = threading.Lock()


def error_index(name: str) -> int:
    with _ERR_LOCK:
        if name not in ERROR_CLASSES:
            ERROR_CLASSES.append(name)
        return ERROR_CLASSES.index(name)


@dataclass
class ProbeLog:
    """Columns of attempts; append-only, capacity-bounded."""

    capacity: int
    seq: array[int] = field(default_factory=lambda: array("q"))
    start: array[float] = field(default_factory=lambda: array("d"))
    end: array[float] = field(default_factory=lambda: array("d"))
    status: array[int] = field(default_factory=lambda: array("b"))  # 1 ok, 0 failed
    replicated: array[int] = field(default_factory=lambda: array("b"))  # 1 a replica confirmed, 0 not, -1 not asked
    error: array[int] = field(default_factory=lambda: array("h"))
    server: array[int] = field(default_factory=lambda: array("i"))
    full: bool = False

    def add(self, seq: int, start: float, end: float, ok: bool, replicated: int, error: int, server: int) -> bool:
        if len(self.seq) >= self.capacity:
            self.full = True
            return False
        self.seq.append(seq)
        self.start.append(start)
        self.end.append(end)
        self.status.append(OK if ok else FAILED)
        self.replicated.append(replicated)
        self.error.append(error)
        self.server.append(server)
        return True

    def __len__(self) -> int:
        return len(self.seq)


class Writer:
    """One connection of a probe; subclasses know PostgreSQL or Redis."""

    replica_ack = False

    def write(self, seq: int) -> tuple[int, int]:
        """Write seq; return (server port, replicated flag 1/0/-1). Raise on failure."""
        raise NotImplementedError

    def reset(self) -> None:
        """Drop the connection after an error; the next write reconnects and re-resolves."""

    def interrupt(self) -> None:
        """Break a write blocked on a frozen server (called from the watchdog thread)."""


class Probe:
    def __init__(
        self, make_writer: Callable[[], Writer], rate: float, connections: int, attempt_timeout: float = 2.0, capacity: int = 2_000_000
    ) -> None:
        if rate <= 0 or connections <= 0:
            raise ValueError("rate and connections must be positive")
        self.make_writer = make_writer
        self.rate = rate
        self.connections = connections
        self.attempt_timeout = attempt_timeout
        self.logs = [ProbeLog(capacity // connections + 1) for _ in range(connections)]
        self.t0 = 0.0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._inflight: list[float] = [0.0] * connections
        self._writers: list[Writer | None] = [None] * connections
        self._watchdog: threading.Thread | None = None

    # ------------------------------------------------------------ running
    def start(self) -> None:
        self.t0 = time.monotonic()
        for w in range(self.connections):
            thread = threading.Thread(target=self._work, args=(w,), name=f"probe-{w}", daemon=True)
            self._threads.append(thread)
            thread.start()
        self._watchdog = threading.Thread(target=self._watch, name="probe-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        """Stop scheduling writes and let the ones in flight finish (or time out) before closing.

        Cutting in-flight writes would record failures the probe itself caused: at the end of a drill,
        after its steady window, a few `connection_lost` that no fault made. Only a write still blocked
        after attempt_timeout is interrupted, as the watchdog would have done.
        """
        self._stop.set()
        deadline = time.monotonic() + self.attempt_timeout + 0.5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for w, thread in enumerate(self._threads):
            writer = self._writers[w]
            if thread.is_alive() and writer is not None:
                writer.interrupt()
        for thread in self._threads:
            thread.join(timeout=5)
        for writer in self._writers:
            if writer is not None:
                writer.reset()

    def _work(self, w: int) -> None:
        writer = self.make_writer()
        self._writers[w] = writer
        log = self.logs[w]
        n = self.connections
        k = 0
        while not self._stop.is_set():
            seq = k * n + w + 1
            due = self.t0 + (seq - 1) / self.rate
            delay = due - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            started = time.monotonic()
            self._inflight[w] = started
            try:
                server, replicated = writer.write(seq)
                ok, err = True, 0
            except Exception as exc:  # every failure is data: its class is recorded
                server, replicated, ok, err = -1, 0, False, error_index(classify(exc))
                writer.reset()
            finally:
                self._inflight[w] = 0.0
            if not log.add(seq, started, time.monotonic(), ok, replicated, err, server):
                break
            if not ok:
                self._stop.wait(0.02)  # a short pause so a dead server is not hammered
            k += 1

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            now = time.monotonic()
            for w, since in enumerate(self._inflight):
                writer = self._writers[w]
                if since and writer is not None and now - since > self.attempt_timeout:
                    writer.interrupt()

    # ------------------------------------------------------------ results
    def columns(self) -> dict[str, list[Any]]:
        """All attempts of all workers, ordered by start time."""
        rows: list[tuple[Any, ...]] = []
        for log in self.logs:
            # a worker may be half way through add() (seq appended, server not yet): take only complete rows
            n = min(len(log.seq), len(log.start), len(log.end), len(log.status), len(log.replicated), len(log.error), len(log.server))
            rows.extend(
                zip(log.start[:n], log.end[:n], log.seq[:n], log.status[:n], log.replicated[:n], log.error[:n], log.server[:n], strict=True)
            )
        rows.sort()
        names = ("start", "end", "seq", "status", "replicated", "error", "server")
        return {name: [r[i] for r in rows] for i, name in enumerate(names)}

    @property
    def full(self) -> bool:
        return any(log.full for log in self.logs)


def classify(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc).lower()
    if "authentication failed" in text or "invalid password" in text or name == "AuthenticationError":
        return "auth_failed"
    if "read-only" in text or "readonly" in text or name in ("ReadOnlySqlTransaction", "ReadOnlyError"):
        return "read_only"
    if isinstance(exc, TimeoutError | socket.timeout) or "timeout" in name.lower() or "timed out" in text:
        return "timeout"
    if "connection refused" in text or name == "ConnectionRefusedError":
        return "connection_refused"
    if "terminating connection" in text or name == "AdminShutdown":
        return "server_shutdown"
    if "connection" in text or "closed" in text or name in ("ConnectionError", "OperationalError", "InterfaceError"):
        return "connection_lost"
    return name


def interrupt_socket(fd: int) -> None:
    """Shut down a socket another thread is blocked on (its read returns at once)."""
    if fd < 0:
        return
    try:
        sock = socket.socket(fileno=socket.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
