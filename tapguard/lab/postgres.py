"""PostgreSQL 15 HA on loopback with pg_auto_failover: a monitor and two nodes, synchronous replication.

Monitor timers are tuned so that a crashed primary fails over in well under 30 s
(defaults take ~50 s: unhealthy after 20 s plus a 30 s demote timeout).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from tapguard.errors import TapguardError
from tapguard.lab import processes
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

    def conninfo(self, connect_timeout: int = 2) -> str:
        """What applications use: every node, and libpq picks the writer."""
        hosts = ",".join("127.0.0.1" for _ in self.node_ports)
        ports = ",".join(str(p) for p in self.node_ports)
        return (
            f"host={hosts} port={ports} dbname={self.database} user={self.user} "
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
        monitor_uri = f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover?sslmode=disable"
        for i, port in enumerate(self.node_ports):
            self._run(
                "create",
                "postgres",
                "--pgdata",
                str(self.node_dir(i)),
                "--pgport",
                str(port),
                "--hostname",
                "127.0.0.1",
                "--listen",
                "127.0.0.1",
                "--monitor",
                monitor_uri,
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
            self.wait_healthy(90, expected=i + 1)

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
        states = states if states is not None else self.states()
        reported = sorted(s["reported"] for s in states if s["reported"] == s["goal"])
        return reported == ["primary", "secondary"]

    def wait_healthy(self, timeout: float, expected: int = 2) -> None:
        deadline = time.monotonic() + timeout
        last: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                last = self.states()
                if expected == 1 and any(s["reported"] == "single" for s in last):
                    return
                if expected == 2 and self.healthy(last):
                    return
            except psycopg.Error:
                pass
            time.sleep(0.25)
        shown = ", ".join(f"{s['name']} {s['reported']}/{s['goal']}" for s in last) or "monitor unreachable"
        raise TapguardError(f"PostgreSQL lab not healthy after {timeout:.0f} s ({shown}); logs in {self.directory}")

    def synchronous(self) -> bool:
        writer = self.writer_index()
        if writer is None:
            return False
        dsn = f"host=127.0.0.1 port={self.node_ports[writer]} dbname={self.database} user={self.user} connect_timeout=2"
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("SHOW synchronous_standby_names").fetchone()
        return bool(row and row[0])

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

    def switchover(self) -> None:
        monitor_uri = f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover?sslmode=disable"
        self._run("perform", "switchover", "--monitor", monitor_uri, "--formation", "default", timeout=90)
