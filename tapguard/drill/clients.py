"""Probe writers and read-back for PostgreSQL and Redis (lab or AWS endpoints)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from typing import Any

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool

from tapguard.drill.credentials import SecretCredential
from tapguard.drill.probe import Writer, interrupt_socket

PROBE_TABLE = "tapguard_probe"
INSERT = f"INSERT INTO {PROBE_TABLE} (run, seq) VALUES (%s, %s) RETURNING inet_server_port()"
# the same statement also says whether its commit waited for a standby: synchronous_standby_names is set
# (pg_auto_failover empties it when it lets the writer run alone) and synchronous_commit waits remotely
INSERT_SYNC = (
    f"INSERT INTO {PROBE_TABLE} (run, seq) VALUES (%s, %s) RETURNING inet_server_port(), "
    "current_setting('synchronous_standby_names') <> '' AND current_setting('synchronous_commit') IN ('on', 'remote_write', 'remote_apply')"
)


def prepare_postgres(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (run text NOT NULL, seq bigint NOT NULL, "
            "written_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run, seq))"
        )


def postgres_readback(conninfo: str, run: str, timeout: float = 60.0) -> set[int]:
    """Every sequence number of the run, read from whichever node is the writer (waiting for one)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                return {int(r[0]) for r in conn.execute(f"SELECT seq FROM {PROBE_TABLE} WHERE run = %s", (run,))}
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def password_refused(exc: Exception) -> bool:
    """A login refused for its password (28P01), not a server that cannot be reached."""
    return "password authentication failed" in str(exc)


def postgres_accepts(conninfo: str = "", **params: Any) -> bool:
    """Does the server take this login? False when the password is refused; other errors raise."""
    try:
        with psycopg.connect(conninfo, **params) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError as exc:
        if password_refused(exc):
            return False
        raise


class PostgresWriter(Writer):
    """INSERT ... RETURNING inet_server_port(): the commit is the acknowledgement (synchronous replication)."""

    def __init__(
        self,
        conninfo: str,
        run: str,
        report_sync: bool = False,
        credential: SecretCredential | None = None,
        max_connection_age: float | None = None,
    ) -> None:
        self.conninfo = conninfo
        self.run = run
        self.report_sync = report_sync  # PostgreSQL streaming replication; Aurora's storage quorum has no such setting
        self.conn: psycopg.Connection[Any] | None = None
        # the password from Secrets Manager, re-read on an authentication failure (None: the conninfo's own)
        self.credential = credential
        self.max_connection_age = max_connection_age  # pooled connections are recycled, so each logs in again
        self.connected_at = 0.0

    def write(self, seq: int) -> tuple[int, int]:
        if self.conn is not None and self.max_connection_age is not None and time.monotonic() - self.connected_at > self.max_connection_age:
            self.reset()
        if self.conn is None or self.conn.closed:
            self.conn = self._connect()
        if not self.report_sync:
            row = self.conn.execute(INSERT, (self.run, seq)).fetchone()
            return int(row[0]) if row else -1, -1
        row = self.conn.execute(INSERT_SYNC, (self.run, seq)).fetchone()
        return (int(row[0]), 1 if row[1] else 0) if row else (-1, 0)

    def _connect(self) -> psycopg.Connection[Any]:
        self.connected_at = time.monotonic()
        if self.credential is None:
            return psycopg.connect(self.conninfo, autocommit=True)
        password = self.credential.current()
        try:
            return psycopg.connect(self.conninfo, autocommit=True, password=password)
        except psycopg.OperationalError as exc:
            if not password_refused(exc):
                raise
            for candidate in self.credential.refresh(password):  # the documented retry: re-read the secret once
                try:
                    return psycopg.connect(self.conninfo, autocommit=True, password=candidate)
                except psycopg.OperationalError as again:
                    if not password_refused(again):
                        raise
            raise

    def reset(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail again; it is gone either way
                conn.close()

    def interrupt(self) -> None:
        conn = self.conn
        if conn is not None and not conn.closed:
            with contextlib.suppress(Exception):  # the connection raced to closed
                interrupt_socket(conn.pgconn.socket)


def redis_key(run: str, seq: int) -> str:
    return f"tapguard:{run}:{seq}"


class RedisWriter(Writer):
    """SET then WAIT in one round trip; acknowledged by a replica when WAIT reports >= wait_replicas."""

    def __init__(
        self,
        run: str,
        connection: Any,
        wait_replicas: int = 1,
        wait_ms: int = 200,
        credential: SecretCredential | None = None,
        max_connection_age: float | None = None,
    ) -> None:
        self.run = run
        self.conn = connection
        self.wait_replicas = wait_replicas
        self.wait_ms = wait_ms
        self.replica_ack = wait_replicas > 0
        # credentials from Secrets Manager, refreshed on an authentication failure (None: the password given at start)
        self.credential = credential
        # reconnect after this many seconds, as pooled application connections are recycled
        self.max_connection_age = max_connection_age
        self.connected_at = 0.0

    @classmethod
    def via_sentinel(cls, run: str, sentinel: Sentinel, service: str, password: str, timeout: float, **kw: Any) -> RedisWriter:
        # no retries inside redis-py: one attempt is one resolution and one connect, bounded by the timeouts
        pool = SentinelConnectionPool(
            service, sentinel, password=password, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        return cls(run, pool.make_connection(), **kw)

    @classmethod
    def direct(cls, run: str, host: str, port: int, password: str | None, tls: bool, timeout: float, **kw: Any) -> RedisWriter:
        kind = redis.SSLConnection if tls else redis.Connection
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "password": password,
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
        }
        if tls:
            options["ssl_cert_reqs"] = "required"
        return cls(run, kind(**options), **kw)

    def write(self, seq: int) -> tuple[int, int]:
        key = redis_key(self.run, seq)
        if self.max_connection_age is not None and time.monotonic() - self.connected_at > self.max_connection_age:
            self.conn.disconnect()
        if getattr(self.conn, "_sock", None) is None:
            # connect explicitly: a Sentinel-managed connection resolves the current master here
            self._connect()
        if self.wait_replicas > 0:
            self.conn.send_packed_command(self.conn.pack_commands([("SET", key, seq), ("WAIT", self.wait_replicas, self.wait_ms)]))
            self.conn.read_response()
            confirmed = int(self.conn.read_response())
            return int(self.conn.port), 1 if confirmed >= self.wait_replicas else 0
        self.conn.send_command("SET", key, seq)
        self.conn.read_response()
        return int(self.conn.port), -1

    def _connect(self) -> None:
        if self.credential is not None:
            self.conn.password = self.credential.current()
        try:
            self.conn.connect()
        except redis.AuthenticationError:
            if self.credential is None:
                raise
            refused = self.conn.password
            for candidate in self.credential.refresh(refused):  # the documented retry: re-read the secret once
                self.conn.password = candidate
                try:
                    self.conn.connect()
                    break
                except redis.AuthenticationError:
                    continue
            else:
                raise
        self.connected_at = time.monotonic()

    def reset(self) -> None:
        with contextlib.suppress(Exception):  # already broken
            self.conn.disconnect()

    def interrupt(self) -> None:
        sock = getattr(self.conn, "_sock", None)
        if sock is not None:
            with contextlib.suppress(Exception):  # the socket raced to closed
                interrupt_socket(sock.fileno())


def redis_readback(client: redis.Redis, run: str, seqs: Iterable[int], batch: int = 5000) -> set[int]:
    present: set[int] = set()
    ordered = sorted(set(seqs))
    for i in range(0, len(ordered), batch):
        chunk = ordered[i : i + batch]
        pipe = client.pipeline(transaction=False)
        for seq in chunk:
            pipe.exists(redis_key(run, seq))
        for seq, found in zip(chunk, pipe.execute(), strict=True):
            if found:
                present.add(seq)
    return present
