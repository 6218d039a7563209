"""Drill targets on the local lab: faults by kill -9, SIGSTOP or planned switchover, signals from the
pg_auto_failover monitor and from Sentinel's event channel."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from tapguard.drill.clients import PROBE_TABLE, PostgresWriter, RedisWriter, postgres_readback, prepare_postgres, redis_readback
from tapguard.drill.credentials import FixedCredential
from tapguard.drill.probe import Writer
from tapguard.drill.targets.base import FailoverTarget
from tapguard.drill.targets.rotation import CONNECTION_AGE_S, PROBE_ROLE, PostgresRotation, RedisRotation
from tapguard.errors import TapguardError
from tapguard.lab.postgres import WRITER_STATES, PostgresLab
from tapguard.lab.redis import MASTER, RedisLab

FAULTS = ("kill", "hang", "switchover", "replica-lag", "rotate")
REPLICA_LAG_S = 1.5  # how long the replicas stop confirming before the writer is killed


class LabPostgres(FailoverTarget):
    component = "aurora"
    engine = "PostgreSQL 15 + pg_auto_failover (lab)"

    def __init__(
        self,
        lab: PostgresLab,
        hang_seconds: float = 10.0,
        lag_seconds: float = REPLICA_LAG_S,
        fault: str = "kill",
        refresh_credentials: bool = True,
    ) -> None:
        super().__init__()
        self.lab = lab
        self.hang_seconds = hang_seconds
        self.lag_seconds = lag_seconds
        self.killed: int | None = None
        self.timer: threading.Timer | None = None
        self.fault = fault
        self.refresh_credentials = refresh_credentials
        self.rotation: PostgresRotation | None = None

    def describe(self) -> dict[str, Any]:
        return {"kind": "lab", "engine": self.engine, "nodes": self.lab.node_ports, "monitor": self.lab.monitor_port}

    def preconditions(self) -> list[str]:
        problems = []
        try:
            if not self.lab.healthy():
                problems.append("pg_auto_failover is not primary + 2 secondaries with reported == assigned state")
            elif self.lab.sync_quorum()[1] < len(self.lab.node_ports) - 1:
                # after one failover the survivor must still be able to confirm commits
                problems.append(f"the writer does not name both standbys synchronous ({self.lab.synchronous_standby_names()!r})")
        except Exception as exc:  # an unreachable monitor is a failed precondition, not a crash
            problems.append(f"monitor unreachable ({type(exc).__name__})")
        return problems

    def prepare(self) -> None:
        prepare_postgres(self.lab.conninfo())
        if self.fault == "rotate":
            self.rotation = PostgresRotation(self.lab, PROBE_TABLE)

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        if self.rotation is None:
            conninfo = self.lab.conninfo(connect_timeout=2)
            return lambda: PostgresWriter(conninfo, run, report_sync=True)
        # the rotate drill: the probe logs in as the rotated role, its password from Secrets Manager
        # (refreshed on an authentication failure unless told not to; else the password it started with)
        rotation = self.rotation
        conninfo = self.lab.conninfo(connect_timeout=2, user=PROBE_ROLE, writer_first=True)
        credential = rotation.credential() if self.refresh_credentials else FixedCredential(rotation.credential().current())
        return lambda: PostgresWriter(conninfo, run, report_sync=True, credential=credential, max_connection_age=CONNECTION_AGE_S)

    def inject(self, fault: str) -> dict[str, Any]:
        self.old_writer = self.lab.node_ports[self.lab.writer_index() or 0]
        if fault == "rotate":
            if self.rotation is None:
                raise TapguardError("the rotate fault needs the target built for it (fault='rotate')")
            outcome = self.rotation.inject(
                self.old_writer, "Secrets Manager single-user rotation of the probe role's password by the stacks' rotator (4 steps)"
            )
            self.fault_end = time.monotonic()
            return outcome
        if fault == "kill":
            self.killed = self.lab.kill_writer()
            return {"action": "kill -9 keeper, postmaster and backends of the writer", "node": self.old_writer}
        if fault == "hang":
            _, self.timer = self.lab.hang_writer(self.hang_seconds)
            self.fault_end = time.monotonic() + self.hang_seconds
            return {"action": f"SIGSTOP the writer's processes for {self.hang_seconds:.0f} s, then SIGCONT", "node": self.old_writer}
        if fault == "switchover":
            threading.Thread(target=self.lab.switchover, daemon=True).start()
            return {"action": "pg_autoctl perform switchover", "node": self.old_writer}
        if fault == "replica-lag":
            # the standbys stop confirming; synchronous commit makes the writer wait rather than acknowledge alone
            standbys, timer = self.lab.pause_standbys(3600)
            time.sleep(self.lag_seconds)
            self.killed = self.lab.kill_writer()
            timer.cancel()
            timer.function(*timer.args)  # the standbys resume once the writer is gone
            self.fault_end = time.monotonic()
            return {
                "action": f"SIGSTOP both standbys for {self.lag_seconds:.1f} s, kill -9 the writer, SIGCONT the standbys",
                "node": self.old_writer,
                "standbys_paused": [self.lab.node_ports[i] for i in standbys],
            }
        raise TapguardError(f"unknown fault {fault!r} (choose {', '.join(FAULTS)})")

    def watch(self, marks: dict[str, float], stop: threading.Event) -> None:
        old = self.old_writer
        while not stop.wait(0.1):
            try:
                states = self.lab.states()
            except Exception:  # the monitor may be briefly unreachable; keep polling
                continue
            now = time.monotonic()
            mine = next((s for s in states if s["port"] == old), None)
            if "detect" not in marks and mine is not None and (mine["health"] != 1 or mine["goal"] not in WRITER_STATES):
                marks["detect"] = now
            if "promote" not in marks and any(
                s["port"] != old and s["reported"] in WRITER_STATES and s["goal"] == s["reported"] for s in states
            ):
                marks["promote"] = now
                marks.setdefault("detect", now)

    def readback(self, run: str, acked: set[int]) -> set[int]:
        return postgres_readback(self.lab.conninfo(connect_timeout=5), run)

    def release(self) -> None:
        if self.rotation is not None:
            self.rotation.close()

    def findings(self) -> list[str]:
        return self.rotation.findings("password") if self.rotation is not None else []

    def restore(self) -> dict[str, Any]:
        if self.rotation is not None:
            self.rotation.close()
        if self.timer is not None:
            self.timer.cancel()
            self.timer.function(*self.timer.args)  # SIGCONT now
        if self.killed is not None:
            self.lab.start_node(self.killed)
        self.lab.wait_healthy(120)
        self.lab.wait_synchronous(60)
        return {"action": "restart the killed node; wait for primary + 2 secondaries, both standbys synchronous", "healthy": True}


class LabRedis(FailoverTarget):
    component = "redis"
    engine = "Redis 7 + 3 Sentinels (lab)"

    def __init__(
        self,
        lab: RedisLab,
        hang_seconds: float = 10.0,
        wait_replicas: int = 1,
        isolate_replicas_s: float = 0.0,
        lag_seconds: float = REPLICA_LAG_S,
        fault: str = "kill",
        refresh_credentials: bool = True,
    ) -> None:
        super().__init__()
        self.lab = lab
        self.hang_seconds = hang_seconds
        self.wait_replicas = wait_replicas
        self.isolate_replicas_s = isolate_replicas_s
        self.lag_seconds = lag_seconds
        self.require_replica_ack = wait_replicas > 0
        self.fault = fault
        self.refresh_credentials = refresh_credentials
        self.rotation: RedisRotation | None = None
        self.timer: threading.Timer | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "lab",
            "engine": self.engine,
            "servers": self.lab.ports,
            "sentinels": self.lab.sentinel_ports,
            "acknowledgement": f"WAIT {self.wait_replicas}" if self.wait_replicas else "primary only (no WAIT)",
        }

    def preconditions(self) -> list[str]:
        return [] if self.lab.healthy() else ["no Redis master with both replicas connected and 3 sentinels"]

    def prepare(self) -> None:
        if self.fault == "rotate":
            self.rotation = RedisRotation(self.lab)

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        sentinel = self.lab.sentinel(timeout=0.5)
        if self.rotation is None:
            return lambda: RedisWriter.via_sentinel(run, sentinel, MASTER, self.lab.password, 0.5, wait_replicas=self.wait_replicas)
        # the rotate drill: credentials from Secrets Manager, refreshed on an authentication failure (unless told not to)
        rotation = self.rotation
        credential = rotation.credential() if self.refresh_credentials else None
        return lambda: RedisWriter.via_sentinel(
            run,
            sentinel,
            MASTER,
            self.lab.password,
            0.5,
            wait_replicas=self.wait_replicas,
            credential=credential,
            max_connection_age=CONNECTION_AGE_S,
        )

    def inject(self, fault: str) -> dict[str, Any]:
        self.old_writer = self.lab.master_port()
        isolated: list[int] = []
        if fault == "rotate":
            if self.rotation is None:
                raise TapguardError("the rotate fault needs the target built for it (fault='rotate')")
            outcome = self.rotation.inject(self.old_writer, "Secrets Manager rotation of the AUTH token by the stacks' rotator (4 steps)")
            self.fault_end = time.monotonic()
            return outcome
        if fault == "replica-lag":
            # replication cut (the replicas keep their data and fall behind), then the master dies: Sentinel
            # promotes a replica that lacks what the master acknowledged meanwhile
            isolated = self.lab.isolate_replicas()
            time.sleep(self.lag_seconds)
            self.lab.kill_master()
            self.fault_end = time.monotonic()
            return {
                "action": f"cut replication for {self.lag_seconds:.1f} s, then kill -9 the master",
                "node": self.old_writer,
                "replicas_lagging": isolated,
            }
        if self.isolate_replicas_s:
            # replication cut first: whatever the primary acknowledges now never reaches a replica
            isolated = self.lab.isolate_replicas()
            time.sleep(self.isolate_replicas_s)
        if fault == "kill":
            self.lab.kill_master()
            return {
                "action": "kill -9 the master",
                "node": self.old_writer,
                "replicas_isolated": isolated,
                "isolated_for_s": self.isolate_replicas_s,
            }
        if fault == "hang":
            _, self.timer = self.lab.hang_master(self.hang_seconds)
            self.fault_end = time.monotonic() + self.hang_seconds
            return {"action": f"SIGSTOP the master for {self.hang_seconds:.0f} s, then SIGCONT", "node": self.old_writer}
        if fault == "switchover":
            self.lab.switchover()
            return {"action": "pause writes, replicas catch up, SENTINEL FAILOVER, unpause the demoted master", "node": self.old_writer}
        raise TapguardError(f"unknown fault {fault!r} (choose {', '.join(FAULTS)})")

    def watch(self, marks: dict[str, float], stop: threading.Event) -> None:
        sentinel = redis.Redis(host="127.0.0.1", port=self.lab.sentinel_ports[0], socket_timeout=0.2)
        pubsub = sentinel.pubsub()
        try:
            pubsub.psubscribe("+sdown", "+odown", "+switch-master")
            while not stop.is_set():
                message = pubsub.get_message(timeout=0.1)
                if not message or message.get("type") != "pmessage":
                    continue
                channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
                data = message["data"].decode() if isinstance(message["data"], bytes) else str(message["data"])
                now = time.monotonic()
                if channel in ("+sdown", "+odown") and data.startswith("master") and "detect" not in marks:
                    marks["detect"] = now
                if channel == "+switch-master" and "promote" not in marks:
                    marks["promote"] = now
                    marks.setdefault("detect", now)
        except redis.RedisError:
            return
        finally:
            pubsub.close()

    def readback(self, run: str, acked: set[int]) -> set[int]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            port = self.lab.master_port()
            if port is not None:
                try:
                    # as the admin user: a rotate drill has changed the AUTH token the lab started with
                    client = self.lab.admin(port, timeout=5)
                    if client.info("replication").get("role") == "master":
                        return redis_readback(client, run, acked)
                except redis.RedisError:
                    pass
            time.sleep(0.2)
        raise TapguardError("no Redis master to read the acknowledged writes back from")

    def release(self) -> None:
        if self.rotation is not None:
            self.rotation.close()

    def findings(self) -> list[str]:
        return self.rotation.findings("AUTH token") if self.rotation is not None else []

    def restore(self) -> dict[str, Any]:
        if self.rotation is not None:
            self.rotation.close()
        for port in self.lab.ports:  # a switchover's write pause never outlives the drill
            with contextlib.suppress(redis.RedisError):
                self.lab.admin(port).execute_command("CLIENT", "UNPAUSE")
        if self.timer is not None:
            self.timer.cancel()
            self.timer.function(*self.timer.args)
        started = self.lab.restart_dead()
        self.lab.wait_healthy(60)
        return {
            "action": "SIGCONT frozen servers, restart killed ones as replicas; wait for a master with both replicas",
            "restarted": started,
        }
