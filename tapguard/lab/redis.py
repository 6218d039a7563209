"""Redis 7 primary + 2 replicas with 3 Sentinels on loopback, AUTH on, tuned to fail over in ~2 s.

Two replicas as in the stacks (num_cache_clusters = 3): after one failover the new primary
still has a replica, so `WAIT 1` keeps being answered within its timeout.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from tapguard.foundation.errors import TapguardError
from tapguard.foundation.ports import free_ports
from tapguard.lab import processes

MASTER = "tapguard"
ADMIN_USER = "tapguard-admin"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
MIN_REPLICAS_MAX_LAG_S = 3  # replicas acknowledge every second; 3 s of silence means none follows this master


@dataclass
class RedisLab:
    directory: Path
    ports: list[int]  # primary, then replicas
    sentinel_ports: list[int]
    password: str  # AUTH token: written to 0600 config files, never printed
    # replication and Sentinel authenticate as an admin user, as ElastiCache's own plumbing does not use the
    # customer's AUTH token: rotating the token (the default user's passwords) never cuts replication
    admin_password: str = ""

    def _conf(self, name: str, body: str) -> Path:
        path = self.directory / name
        path.write_text(body)
        path.chmod(0o600)
        return path

    def _server_conf(self, i: int) -> Path:
        port = self.ports[i]
        lines = [
            "bind 127.0.0.1",
            f"port {port}",
            "protected-mode yes",
            "daemonize no",
            f"dir {self.directory}",
            f"dbfilename redis-{port}.rdb",
            'save ""',
            "appendonly no",
            f"requirepass {self.password}",
            *self._admin_lines(),
            "repl-diskless-sync yes",
            "repl-diskless-sync-delay 0",
            # fencing: a master no replica has acknowledged for MIN_REPLICAS_MAX_LAG_S refuses writes (NOREPLICAS), so an
            # old master that thaws after a failover cannot take writes that its demotion then discards
            "min-replicas-to-write 1",
            f"min-replicas-max-lag {MIN_REPLICAS_MAX_LAG_S}",
            f"logfile {self.directory / f'redis-{port}.log'}",
        ]
        if i > 0:
            lines.append(f"replicaof 127.0.0.1 {self.ports[0]}")
        return self._conf(f"redis-{port}.conf", "\n".join(lines) + "\n")

    def _admin_lines(self) -> list[str]:
        if not self.admin_password:
            return [f"masterauth {self.password}"]
        return [
            f"user {ADMIN_USER} on >{self.admin_password} ~* &* +@all",
            f"masteruser {ADMIN_USER}",
            f"masterauth {self.admin_password}",
        ]

    def admin(self, port: int, timeout: float = 1.0) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1",
            port=port,
            username=ADMIN_USER,
            password=self.admin_password,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )

    def _sentinel_conf(self, port: int) -> Path:
        lines = [
            "bind 127.0.0.1",
            f"port {port}",
            "daemonize no",
            f"dir {self.directory}",
            f"logfile {self.directory / f'sentinel-{port}.log'}",
            f"sentinel monitor {MASTER} 127.0.0.1 {self.ports[0]} 2",
            *(
                [f"sentinel auth-user {MASTER} {ADMIN_USER}", f"sentinel auth-pass {MASTER} {self.admin_password}"]
                if self.admin_password
                else [f"sentinel auth-pass {MASTER} {self.password}"]
            ),
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER} 1",
        ]
        return self._conf(f"sentinel-{port}.conf", "\n".join(lines) + "\n")

    def _spawn(self, args: list[str]) -> int:
        proc = subprocess.Popen(args, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return proc.pid

    def start_server(self, i: int) -> int:
        conf = self.directory / f"redis-{self.ports[i]}.conf"
        return self._spawn(["redis-server", str(conf)])

    def create(self) -> None:
        for i in range(len(self.ports)):
            self._server_conf(i)
            self.start_server(i)
        for port in self.ports:
            self._wait_ping(port, 15)
        for port in self.sentinel_ports:
            self._spawn(["redis-sentinel", str(self._sentinel_conf(port))])
        self.wait_healthy(30)

    # ------------------------------------------------------------ state
    def client(self, port: int, timeout: float = 1.0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, password=self.password, socket_timeout=timeout, socket_connect_timeout=timeout)

    def sentinel(self, timeout: float = 0.5) -> Sentinel:
        # no retries: a Sentinel that does not answer costs one timeout, not redis-py's 3 retries with backoff per
        # call (27 s per probe attempt with all three frozen); the probe's own loop is the retry
        return Sentinel(
            [("127.0.0.1", p) for p in self.sentinel_ports],
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            sentinel_kwargs={"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0)},
        )

    def master_port(self) -> int | None:
        for port in self.sentinel_ports:
            try:
                sentinel = redis.Redis(
                    host="127.0.0.1", port=port, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
                )
                address = sentinel.sentinel_get_master_addr_by_name(MASTER)
                if isinstance(address, tuple | list) and address:
                    return int(address[1])
            except redis.RedisError:
                continue
        return None

    def healthy(self) -> bool:
        """A master with every replica online, and a sentinel that knows all replicas and the other sentinels."""
        try:
            master = self.master_port()
            if master is None:
                return False
            info = self.client(master).info("replication")
            if info.get("role") != "master" or int(info.get("connected_slaves", 0)) < len(self.ports) - 1:
                return False
            sentinel = redis.Redis(host="127.0.0.1", port=self.sentinel_ports[0], socket_timeout=0.5)
            state = sentinel.sentinel_master(MASTER)
            if not isinstance(state, dict):
                return False
            return (
                int(state.get("num-other-sentinels", 0)) >= len(self.sentinel_ports) - 1
                and int(state.get("num-slaves", 0)) >= len(self.ports) - 1
            )
        except redis.RedisError:
            return False

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return
            time.sleep(0.2)
        raise TapguardError(f"Redis lab not healthy after {timeout:.0f} s (sentinels or replicas missing); logs in {self.directory}")

    def _wait_ping(self, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.client(port).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise TapguardError(f"redis-server on 127.0.0.1:{port} did not start within {timeout:.0f} s")

    def server_pids(self, port: int) -> set[int]:
        return processes.matching(f"redis-server 127.0.0.1:{port}", f"redis-{port}.conf")

    def all_pids(self) -> set[int]:
        needles = [f"127.0.0.1:{p}" for p in self.ports + self.sentinel_ports] + [str(self.directory)]
        return processes.matching(*needles)

    # ------------------------------------------------------------ faults
    def kill_master(self) -> int:
        master = self.master_port()
        if master is None:
            raise TapguardError("no Redis master to kill")
        processes.kill_and_wait(self.server_pids(master))
        return master

    def hang_master(self, seconds: float) -> tuple[int, threading.Timer]:
        master = self.master_port()
        if master is None:
            raise TapguardError("no Redis master to hang")
        pids = self.server_pids(master)
        return master, processes.freeze(pids, seconds)

    def isolate_replicas(self) -> list[int]:
        """Cut every replica's replication link (it now follows a port nobody listens on), keeping its data.

        Freezing a replica (SIGSTOP) is not enough: the kernel keeps buffering the replication
        stream and the replica catches up when it resumes. Used to prove that writes the
        primary acknowledged without a replica's confirmation are lost when it dies.
        """
        master = self.master_port()

        nowhere = free_ports(1)[0]
        isolated = []
        for port in self.ports:
            if port != master:
                self.client(port).execute_command("REPLICAOF", "127.0.0.1", nowhere)
                isolated.append(port)
        return isolated

    def switchover(self, pause_ms: int = 15_000) -> threading.Thread:
        """A planned switchover that loses nothing: pause writes on the master, let every replica catch up,
        SENTINEL FAILOVER, and unpause the old master once it is a replica (its paused clients then get READONLY
        and reconnect to the new master through Sentinel).

        A bare SENTINEL FAILOVER lost writes that `WAIT 1` had confirmed (93 of them in one 100 writes/s drill):
        until Sentinel demotes it, the old master keeps taking writes, and the replica that is *not* promoted
        confirms them, then resyncs from the new master and drops them.
        """
        master = self.master_port()
        if master is None:
            raise TapguardError("no Redis master to switch over from")
        admin = self.admin(master, timeout=2)
        admin.execute_command("CLIENT", "PAUSE", pause_ms, "WRITE")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            info = admin.info("replication")
            offsets = [int(v["offset"]) for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)]
            if len(offsets) == len(self.ports) - 1 and all(o >= int(info["master_repl_offset"]) for o in offsets):
                break
            time.sleep(0.02)
        sentinel = redis.Redis(host="127.0.0.1", port=self.sentinel_ports[0], socket_timeout=2)
        sentinel.execute_command("SENTINEL", "FAILOVER", MASTER)

        def unpause_when_demoted() -> None:
            end = time.monotonic() + pause_ms / 1000
            while time.monotonic() < end:
                try:
                    if admin.info("replication").get("role") == "slave":
                        break
                except redis.RedisError:
                    pass
                time.sleep(0.05)
            with contextlib.suppress(redis.RedisError):
                admin.execute_command("CLIENT", "UNPAUSE")

        thread = threading.Thread(target=unpause_when_demoted, daemon=True)
        thread.start()
        return thread

    def restart_dead(self) -> list[int]:
        """Start any server that is not running; Sentinel turns a returning old master into a replica."""
        started = []
        for i, port in enumerate(self.ports):
            if not self.server_pids(port):
                self.start_server(i)
                started.append(port)
        return started
