"""PostgreSQL 15 HA on loopback with pg_auto_failover: a monitor and three data nodes, synchronous replication.

The stacks run an Aurora writer and two replicas in distinct AZs, so the lab runs a writer and
two standbys with `number_sync_standbys = 1` (`synchronous_standby_names = ANY 1 (...)`): every
commit waits for one standby, and after one failover the surviving standby still satisfies it,
so the new writer is as safe and as fast as the old one (with a single standby it would run
alone and asynchronous until the dead node is back).

Monitor timers are tuned so that a crashed primary fails over in well under 30 s
(defaults take ~50 s: unhealthy after 20 s plus a 30 s demote timeout).
"""

from __future__ import annotations

import functools
import os
import pwd
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from tapguard.foundation.errors import TapguardError
from tapguard.lab import processes
from tapguard.lab.concurrency import concurrently as _concurrently
from tapguard.lab.packages import PG_BIN

MONITOR_GUCS = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 3000,
    "pgautofailover.primary_demote_timeout": 5000,
}
WRITER_STATES = ("primary", "wait_primary", "single")
NUMBER_SYNC_STANDBYS = 1


@dataclass
class PostgresLab:
    directory: Path
    user: str
    monitor_port: int
    node_ports: list[int]
    database: str = "app"

    # ------------------------------------------------------------ addresses
    @property
    def monitor_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.monitor_port} dbname=pg_auto_failover user={self.user} connect_timeout=2"

    def conninfo(self, connect_timeout: int = 2, user: str | None = None, writer_first: bool = False) -> str:
        """What applications use: every node, and libpq picks the writer.

        writer_first lists today's writer first, as a cluster endpoint resolves: a client that logs
        in by password then pays for one authentication per connection, not one per standby tried.
        """
        order = list(self.node_ports)
        writer = self.writer_index() if writer_first else None
        if writer is not None:
            order.insert(0, order.pop(writer))
        hosts = ",".join("127.0.0.1" for _ in order)
        ports = ",".join(str(p) for p in order)
        return (
            f"host={hosts} port={ports} dbname={self.database} user={user or self.user} "
            f"target_session_attrs=read-write connect_timeout={connect_timeout}"
        )

    def node_dir(self, i: int) -> Path:
        return self.directory / f"node{i + 1}"

    # ------------------------------------------------------------ processes
    def _env(self) -> dict[str, str]:
        return {"PATH": f"{PG_BIN}:/usr/bin:/bin", "HOME": str(self.directory), "LANG": "C.UTF-8", "PGHOST": "127.0.0.1"}

    def _as_user(self) -> dict[str, Any]:
        """Popen arguments that run PostgreSQL as the lab user: it refuses to run as root."""
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam(self.user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, *args: str, timeout: float = 120) -> None:
        proc = subprocess.run(
            ["pg_autoctl", *args],
            cwd=self.directory,
            env=self._env(),
            **self._as_user(),
            capture_output=True,
            text=True,
            errors="replace",  # pg_autoctl's messages are not always valid UTF-8
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise TapguardError(f"pg_autoctl {args[0]} {args[1] if len(args) > 1 else ''} failed: {detail}")

    def _spawn(self, pgdata: Path, log: Path) -> int:
        handle = log.open("ab")
        proc = subprocess.Popen(
            ["pg_autoctl", "run", "--pgdata", str(pgdata)],
            cwd=self.directory,
            env=self._env(),
            **self._as_user(),
            stdout=handle,
            stderr=handle,
            start_new_session=True,
        )
        handle.close()
        return proc.pid

    # ------------------------------------------------------------ lifecycle
    def create(self) -> None:
        monitor = self.directory / "monitor"
        self._run(
            "create",
            "monitor",
            "--pgdata",
            str(monitor),
            "--pgport",
            str(self.monitor_port),
            "--hostname",
            "127.0.0.1",
            "--listen",
            "127.0.0.1",
            "--auth",
            "trust",
            "--no-ssl",
        )
        self._spawn(monitor, self.directory / "monitor.log")
        self._wait_sql(self.monitor_dsn, 30)
        with psycopg.connect(self.monitor_dsn, autocommit=True) as conn:
            for name, value in MONITOR_GUCS.items():
                conn.execute(f"ALTER SYSTEM SET {name} = {int(value)}")
            conn.execute("SELECT pg_reload_conf()")
        self._create_node(0)
        self.wait_healthy(90, expected=1)
        # the standbys clone the primary at the same time: `lab up` pays for one base backup, not two
        _concurrently(*(functools.partial(self._create_node, i) for i in range(1, len(self.node_ports))))
        self.wait_healthy(120)
        self._run("set", "formation", "number-sync-standbys", str(NUMBER_SYNC_STANDBYS), "--monitor", self.monitor_uri)
        self.wait_synchronous(30)

    @property
    def monitor_uri(self) -> str:
        return f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover?sslmode=disable"

    def _create_node(self, i: int) -> None:
        self._run(
            "create",
            "postgres",
            "--pgdata",
            str(self.node_dir(i)),
            "--pgport",
            str(self.node_ports[i]),
            "--hostname",
            "127.0.0.1",
            "--listen",
            "127.0.0.1",
            "--monitor",
            self.monitor_uri,
            "--auth",
            "trust",
            "--no-ssl",
            "--dbname",
            self.database,
            "--name",
            f"node{i + 1}",
            "--pg-hba-lan",
        )
        self._spawn(self.node_dir(i), self.directory / f"node{i + 1}.log")

    def start_node(self, i: int) -> None:
        """Restart a node's keeper after a fault; it rejoins as a secondary."""
        self._spawn(self.node_dir(i), self.directory / f"node{i + 1}.log")

    def node_pids(self, i: int) -> set[int]:
        return processes.matching(f"--pgdata {self.node_dir(i)}", f"-D {self.node_dir(i)}")

    def all_pids(self) -> set[int]:
        return processes.matching(str(self.directory))

    # ------------------------------------------------------------ state
    def states(self) -> list[dict[str, Any]]:
        with psycopg.connect(self.monitor_dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT nodename, nodeport, reportedstate::text, goalstate::text, health FROM pgautofailover.node ORDER BY nodeid"
            ).fetchall()
        return [{"name": r[0], "port": r[1], "reported": r[2], "goal": r[3], "health": r[4]} for r in rows]

    def writer_index(self) -> int | None:
        for s in self.states():
            if s["reported"] in WRITER_STATES and s["goal"] in WRITER_STATES:
                return self.node_ports.index(s["port"])
        return None

    def healthy(self, states: list[dict[str, Any]] | None = None) -> bool:
        """A primary and every other node a secondary, each in its assigned state."""
        states = states if states is not None else self.states()
        reported = sorted(s["reported"] for s in states if s["reported"] == s["goal"])
        return reported == ["primary"] + ["secondary"] * (len(self.node_ports) - 1)

    def wait_healthy(self, timeout: float, expected: int | None = None) -> None:
        expected = expected if expected is not None else len(self.node_ports)
        deadline = time.monotonic() + timeout
        last: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                last = self.states()
                if expected == 1 and any(s["reported"] == "single" for s in last):
                    return
                if expected > 1 and len(last) == expected and self.healthy(last):
                    return
            except psycopg.Error:
                pass
            time.sleep(0.25)
        shown = ", ".join(f"{s['name']} {s['reported']}/{s['goal']}" for s in last) or "monitor unreachable"
        raise TapguardError(f"PostgreSQL lab not healthy after {timeout:.0f} s ({shown}); logs in {self.directory}")

    def synchronous_standby_names(self) -> str:
        writer = self.writer_index()
        if writer is None:
            return ""
        dsn = f"host=127.0.0.1 port={self.node_ports[writer]} dbname={self.database} user={self.user} connect_timeout=2"
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("SHOW synchronous_standby_names").fetchone()
        return str(row[0]) if row and row[0] else ""

    def synchronous(self) -> bool:
        return bool(self.synchronous_standby_names())

    def sync_quorum(self) -> tuple[int, int]:
        """(commits wait for N standbys, out of M named): `ANY 1 (a, b)` is (1, 2), `*` is (1, any)."""
        names = self.synchronous_standby_names()
        if not names:
            return 0, 0
        if names.strip() == "*":
            return 1, len(self.node_ports) - 1
        head, _, rest = names.partition("(")
        number = [w for w in head.split() if w.isdigit()]
        return int(number[0]) if number else 1, len([n for n in rest.rstrip(")").split(",") if n.strip()])

    def wait_synchronous(self, timeout: float) -> None:
        """Until every standby is named in the writer's quorum (the monitor applies it a moment after healthy)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.sync_quorum()[1] >= len(self.node_ports) - 1:
                    return
            except psycopg.Error:
                pass
            time.sleep(0.25)
        raise TapguardError(f"PostgreSQL: the writer does not wait for both standbys after {timeout:.0f} s; logs in {self.directory}")

    @staticmethod
    def _wait_sql(dsn: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("SELECT 1")
                    return
            except psycopg.Error:
                time.sleep(0.2)
        raise TapguardError(f"PostgreSQL did not accept connections within {timeout:.0f} s ({dsn.split(' dbname', maxsplit=1)[0]})")

    # ------------------------------------------------------------ faults
    def kill_writer(self) -> int:
        """kill -9 every process of the writer node: keeper, postmaster and backends."""
        writer = self.writer_index()
        if writer is None:
            raise TapguardError("no PostgreSQL writer to kill")
        pids = self.node_pids(writer)
        processes.kill_and_wait(pids)
        return writer

    def hang_writer(self, seconds: float) -> tuple[int, threading.Timer]:
        """SIGSTOP the writer node for `seconds`, then SIGCONT (a timer does it even if the caller fails)."""
        writer = self.writer_index()
        if writer is None:
            raise TapguardError("no PostgreSQL writer to hang")
        pids = self.node_pids(writer)
        return writer, processes.freeze(pids, seconds)

    def pause_standbys(self, seconds: float) -> tuple[list[int], threading.Timer]:
        """SIGSTOP every standby (keeper, postmaster, walreceiver) for `seconds`: replication stops confirming.

        With synchronous commit the writer's commits then wait: nothing is acknowledged that a
        standby has not confirmed. The replica-lag fault kills the writer while they are paused.
        """
        writer = self.writer_index()
        if writer is None:
            raise TapguardError("no PostgreSQL writer: nothing to lag behind")
        standbys = [i for i in range(len(self.node_ports)) if i != writer]
        pids: set[int] = set()
        for i in standbys:
            pids |= self.node_pids(i)
        return standbys, processes.freeze(pids, seconds)

    def switchover(self) -> None:
        self._run("perform", "switchover", "--monitor", self.monitor_uri, "--formation", "default", timeout=90)
