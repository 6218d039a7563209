"""Drill targets on the local lab: faults by kill -9, SIGSTOP or planned switchover, signals from the
pg_auto_failover monitor and from Sentinel's event channel."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tapguard.drill.clients import PROBE_TABLE, PostgresWriter, RedisWriter, postgres_readback, prepare_postgres, redis_readback
from tapguard.drill.credentials import FixedCredential
from tapguard.drill.faults import Fault, registry
from tapguard.drill.locks import LOCK_NAME
from tapguard.drill.probe import Writer
from tapguard.drill.targets.base import FailoverTarget
from tapguard.drill.targets.rotation import CONNECTION_AGE_S, PROBE_ROLE, PostgresRotation, RedisRotation
from tapguard.foundation.errors import TapguardError
from tapguard.lab.postgres import WRITER_STATES, PostgresLab
from tapguard.lab.redis import MASTER, RedisLab

REPLICA_LAG_S = 1.5  # how long the replicas stop confirming before the writer is killed


class LabPostgres(FailoverTarget):
    component = "aurora"
    engine = "PostgreSQL 15 + pg_auto_failover (lab)"
    kind = "lab"
    default_fault = "kill"

    def __init__(
        self,
        lab: PostgresLab,
        hang_seconds: float = 10.0,
        lag_seconds: float = REPLICA_LAG_S,
        fault: str | None = None,
        refresh_credentials: bool = True,
    ) -> None:
        super().__init__(fault)
        self.lab = lab
        self.hang_seconds = hang_seconds
        self.lag_seconds = lag_seconds
        self.killed: int | None = None
        self.timer: threading.Timer | None = None
        self.refresh_credentials = refresh_credentials
        self.rotation: PostgresRotation | None = None

    def describe(self) -> dict[str, Any]:
        return {"kind": "lab", "engine": self.engine, "nodes": self.lab.node_ports, "monitor": self.lab.monitor_port}

    def lock_path(self) -> Path:
        return Path(self.lab.directory) / LOCK_NAME

    def ready(self) -> list[str]:
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
        super().prepare()

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

    # ------------------------------------------------------------ faults (declared in FAULTS below the class)
    def _writer(self) -> int:
        self.old_writer = port = self.lab.node_ports[self.lab.writer_index() or 0]
        return port

    def _rotate(self) -> dict[str, Any]:
        assert self.rotation is not None  # prepared by the fault's prepare step
        outcome = self.rotation.inject(
            self._writer(), "Secrets Manager single-user rotation of the probe role's password by the stacks' rotator (4 steps)"
        )
        self.fault_end = time.monotonic()
        return outcome

    def _kill(self) -> dict[str, Any]:
        node = self._writer()
        self.killed = self.lab.kill_writer()
        return {"action": "kill -9 keeper, postmaster and backends of the writer", "node": node}

    def _hang(self) -> dict[str, Any]:
        node = self._writer()
        _, self.timer = self.lab.hang_writer(self.hang_seconds)
        self.fault_end = time.monotonic() + self.hang_seconds
        return {"action": f"SIGSTOP the writer's processes for {self.hang_seconds:.0f} s, then SIGCONT", "node": node}

    def _switchover(self) -> dict[str, Any]:
        node = self._writer()
        threading.Thread(target=self.lab.switchover, daemon=True).start()
        return {"action": "pg_autoctl perform switchover", "node": node}

    def _replica_lag(self) -> dict[str, Any]:
        # the standbys stop confirming; synchronous commit makes the writer wait rather than acknowledge alone
        node = self._writer()
        standbys, timer = self.lab.pause_standbys(3600)
        self.timer = timer  # an interrupted drill still resumes them
        time.sleep(self.lag_seconds)
        self.killed = self.lab.kill_writer()
        _thaw(timer)  # the standbys resume once the writer is gone
        self.fault_end = time.monotonic()
        return {
            "action": f"SIGSTOP both standbys for {self.lag_seconds:.1f} s, kill -9 the writer, SIGCONT the standbys",
            "node": node,
            "standbys_paused": [self.lab.node_ports[i] for i in standbys],
        }

    def _prepare_rotation(self) -> None:
        self.rotation = PostgresRotation(self.lab, PROBE_TABLE)

    def _undo(self) -> None:
        """Whatever this target's faults did: close the rotation world, thaw what is frozen, restart what was killed."""
        if self.rotation is not None:
            self.rotation.close()
        if self.timer is not None:
            _thaw(self.timer)
        if self.killed is not None:
            self.lab.start_node(self.killed)
            self.killed = None

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

    def fence_writer_factory(self, run: str) -> Callable[[], Writer] | None:
        if not isinstance(self.old_writer, int):
            return None
        conninfo = f"host=127.0.0.1 port={self.old_writer} dbname={self.lab.database} user={self.lab.user} connect_timeout=1"
        return lambda: PostgresWriter(conninfo, run, report_sync=True)

    def readback(self, run: str, acked: set[int]) -> set[int]:
        return postgres_readback(self.lab.conninfo(connect_timeout=5), run)

    def release(self) -> None:
        if self.rotation is not None:
            self.rotation.close()

    def findings(self) -> list[str]:
        return self.rotation.findings(self.fault.proves or "credential") if self.rotation is not None else []

    def heal(self) -> dict[str, Any]:
        self.lab.wait_healthy(120)
        self.lab.wait_synchronous(60)
        return {"action": "undo the fault; wait for primary + 2 secondaries, both standbys synchronous", "healthy": True}


LabPostgres.faults = registry(
    Fault("kill", "kill -9 the writer (keeper, postmaster, backends)", LabPostgres._kill, LabPostgres._undo, fences=True),
    Fault(
        "hang", "SIGSTOP the writer for --hang-seconds, then SIGCONT", LabPostgres._hang, LabPostgres._undo, ends_inside=True, fences=True
    ),
    Fault("switchover", "pg_autoctl perform switchover", LabPostgres._switchover, LabPostgres._undo, fences=True),
    Fault(
        "replica-lag",
        "SIGSTOP the standbys, kill the writer, SIGCONT",
        LabPostgres._replica_lag,
        LabPostgres._undo,
        ends_inside=True,
        fences=True,
    ),
    Fault(
        "rotate",
        "rotate the probe role's password with the stacks' rotator",
        LabPostgres._rotate,
        LabPostgres._undo,
        prepare=LabPostgres._prepare_rotation,
        ends_inside=True,
        proves="password",
    ),
)


def _thaw(timer: threading.Timer) -> None:
    """Run a freeze's SIGCONT now (idempotent: a second SIGCONT is harmless)."""
    timer.cancel()
    timer.function(*timer.args)


class LabRedis(FailoverTarget):
    component = "redis"
    engine = "Redis 7 + 3 Sentinels (lab)"
    kind = "lab"
    default_fault = "kill"

    def __init__(
        self,
        lab: RedisLab,
        hang_seconds: float = 10.0,
        wait_replicas: int = 1,
        isolate_replicas_s: float = 0.0,
        lag_seconds: float = REPLICA_LAG_S,
        fault: str | None = None,
        refresh_credentials: bool = True,
    ) -> None:
        super().__init__(fault)
        self.lab = lab
        self.hang_seconds = hang_seconds
        self.wait_replicas = wait_replicas
        self.isolate_replicas_s = isolate_replicas_s
        self.lag_seconds = lag_seconds
        self.require_replica_ack = wait_replicas > 0
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

    def lock_path(self) -> Path:
        return Path(self.lab.directory) / LOCK_NAME

    def ready(self) -> list[str]:
        return [] if self.lab.healthy() else ["no Redis master with both replicas connected and 3 sentinels"]

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

    # ------------------------------------------------------------ faults (declared in FAULTS below the class)
    def _master(self) -> int | None:
        self.old_writer = port = self.lab.master_port()
        return port

    def _isolate_first(self) -> list[int]:
        """With isolate_replicas_s: replication cut first, so whatever the primary acknowledges now never reaches a replica."""
        if not self.isolate_replicas_s:
            return []
        isolated = self.lab.isolate_replicas()
        time.sleep(self.isolate_replicas_s)
        return isolated

    def _rotate(self) -> dict[str, Any]:
        assert self.rotation is not None  # prepared by the fault's prepare step
        outcome = self.rotation.inject(self._master(), "Secrets Manager rotation of the AUTH token by the stacks' rotator (4 steps)")
        self.fault_end = time.monotonic()
        return outcome

    def _replica_lag(self) -> dict[str, Any]:
        # replication cut (the replicas keep their data and fall behind), then the master dies: Sentinel
        # promotes a replica that lacks what the master acknowledged meanwhile
        node = self._master()
        isolated = self.lab.isolate_replicas()
        time.sleep(self.lag_seconds)
        self.lab.kill_master()
        self.fault_end = time.monotonic()
        action = f"cut replication for {self.lag_seconds:.1f} s, then kill -9 the master"
        return {"action": action, "node": node, "replicas_lagging": isolated}

    def _kill(self) -> dict[str, Any]:
        node = self._master()
        isolated = self._isolate_first()
        self.lab.kill_master()
        return {"action": "kill -9 the master", "node": node, "replicas_isolated": isolated, "isolated_for_s": self.isolate_replicas_s}

    def _hang(self) -> dict[str, Any]:
        node = self._master()
        self._isolate_first()
        _, self.timer = self.lab.hang_master(self.hang_seconds)
        self.fault_end = time.monotonic() + self.hang_seconds
        return {"action": f"SIGSTOP the master for {self.hang_seconds:.0f} s, then SIGCONT", "node": node}

    def _switchover(self) -> dict[str, Any]:
        node = self._master()
        self._isolate_first()
        self.lab.switchover()
        return {"action": "pause writes, replicas catch up, SENTINEL FAILOVER, unpause the demoted master", "node": node}

    def _prepare_rotation(self) -> None:
        self.rotation = RedisRotation(self.lab)

    def _undo(self) -> None:
        """Whatever this target's faults did: close the rotation world, lift a write pause, thaw a frozen master."""
        if self.rotation is not None:
            self.rotation.close()
        for port in self.lab.ports:  # a switchover's write pause never outlives the drill
            with contextlib.suppress(redis.RedisError):
                self.lab.admin(port).execute_command("CLIENT", "UNPAUSE")
        if self.timer is not None:
            _thaw(self.timer)

    def watch(self, marks: dict[str, float], stop: threading.Event) -> None:
        """Every Sentinel's event channel: a mark comes from whichever reports first, and one Sentinel down hides nothing."""
        channels: dict[int, Any] = {}
        retry_at = 0.0
        try:
            while not stop.is_set():
                if len(channels) < len(self.lab.sentinel_ports) and time.monotonic() >= retry_at:
                    # (re)subscribe to the Sentinels not listened to yet: one stopped now may answer later
                    for port in self.lab.sentinel_ports:
                        if port not in channels:
                            channels[port] = _subscribe(port)
                    channels = {p: c for p, c in channels.items() if c is not None}
                    retry_at = time.monotonic() + 1.0
                if not channels:
                    stop.wait(0.1)
                    continue
                for port, pubsub in list(channels.items()):
                    try:
                        message = pubsub.get_message(timeout=0.1 / len(channels))
                    except (redis.RedisError, OSError):
                        with contextlib.suppress(Exception):
                            pubsub.close()
                        del channels[port]
                        continue
                    _mark(marks, message, time.monotonic())
        finally:
            for pubsub in channels.values():
                with contextlib.suppress(Exception):
                    pubsub.close()

    def fence_writer_factory(self, run: str) -> Callable[[], Writer] | None:
        old = self.old_writer
        if not isinstance(old, int):
            return None
        # a client of the old master's own, acknowledged as the probe's are (WAIT when the drill waits for a replica)
        return lambda: RedisWriter.direct(
            run, "127.0.0.1", old, self.lab.password, tls=False, timeout=0.5, wait_replicas=self.wait_replicas
        )

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
        return self.rotation.findings(self.fault.proves or "credential") if self.rotation is not None else []

    def heal(self) -> dict[str, Any]:
        started = self.lab.restart_dead()  # killed servers (kill, replica-lag) come back as replicas
        self.lab.wait_healthy(60)
        return {
            "action": "SIGCONT frozen servers, restart killed ones as replicas; wait for a master with both replicas",
            "restarted": started,
        }


def _subscribe(port: int) -> Any:
    """A pubsub on one Sentinel's failover events, or None when it does not answer now."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.2, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    pubsub = client.pubsub()
    try:
        pubsub.psubscribe("+sdown", "+odown", "+switch-master")
    except (redis.RedisError, OSError):
        with contextlib.suppress(Exception):
            pubsub.close()
        return None
    return pubsub


def _mark(marks: dict[str, float], message: Any, now: float) -> None:
    """detect on the master's +sdown/+odown, promote on +switch-master: the first report of any Sentinel wins."""
    if not message or message.get("type") != "pmessage":
        return
    channel = message["channel"].decode() if isinstance(message["channel"], bytes) else str(message["channel"])
    data = message["data"].decode() if isinstance(message["data"], bytes) else str(message["data"])
    if channel in ("+sdown", "+odown") and data.startswith("master"):
        marks.setdefault("detect", now)
    if channel == "+switch-master":
        marks.setdefault("promote", now)
        marks.setdefault("detect", now)


LabRedis.faults = registry(
    Fault("kill", "kill -9 the master", LabRedis._kill, LabRedis._undo, fences=True),
    Fault("hang", "SIGSTOP the master for --hang-seconds, then SIGCONT", LabRedis._hang, LabRedis._undo, ends_inside=True, fences=True),
    Fault("switchover", "pause writes, SENTINEL FAILOVER, unpause", LabRedis._switchover, LabRedis._undo, fences=True),
    Fault("replica-lag", "cut replication, then kill -9 the master", LabRedis._replica_lag, LabRedis._undo, ends_inside=True, fences=True),
    Fault(
        "rotate",
        "rotate the AUTH token with the stacks' rotator",
        LabRedis._rotate,
        LabRedis._undo,
        prepare=LabRedis._prepare_rotation,
        ends_inside=True,
        proves="AUTH token",
    ),
)
