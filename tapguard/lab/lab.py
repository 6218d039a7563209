"""`tapguard lab up|status|down`: the lab's lifecycle and its state file.

The lab lives in its own temporary directory (owned by the unprivileged user that runs
PostgreSQL) with ports chosen free on 127.0.0.1. Its state file holds the ports and the
Redis AUTH token (mode 0600, never printed). `down` kills every process of the lab, by
recorded directory and ports, removes the directory and the state file: it works after
a failed or interrupted drill too, and `up` never leaves a half-started lab behind.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tapguard.foundation.errors import TapguardError
from tapguard.foundation.ports import free_ports, listening
from tapguard.lab import packages, processes
from tapguard.lab.concurrency import concurrently
from tapguard.lab.postgres import PostgresLab
from tapguard.lab.redis import RedisLab

STATE_FILE = "lab.json"
LAB_USER_FALLBACK = "tapguard-lab"
# the stacks' topology: an Aurora writer + 2 replicas, a Redis primary + 2 replicas (num_cache_clusters = 3)
PG_NODES = 3
REDIS_SERVERS = 3
SENTINELS = 3


@dataclass
class LabState:
    directory: str
    user: str
    pg_monitor_port: int
    pg_node_ports: list[int]
    redis_ports: list[int]
    sentinel_ports: list[int]
    redis_password: str
    redis_admin_password: str = ""  # replication and Sentinel; the AUTH token above is what rotation changes


class Lab:
    def __init__(self, state_dir: Path) -> None:
        self.state_path = state_dir / STATE_FILE

    # ------------------------------------------------------------ state
    def load(self) -> LabState | None:
        if not self.state_path.is_file():
            return None
        try:
            return LabState(**json.loads(self.state_path.read_text()))
        except (ValueError, TypeError):
            raise TapguardError(f"{self.state_path}: unreadable lab state; remove it after `tapguard lab down --force`") from None

    def _save(self, state: LabState) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state)))
        tmp.chmod(0o600)
        tmp.replace(self.state_path)

    def postgres(self, state: LabState) -> PostgresLab:
        return PostgresLab(Path(state.directory), state.user, state.pg_monitor_port, state.pg_node_ports)

    def redis(self, state: LabState) -> RedisLab:
        return RedisLab(Path(state.directory), state.redis_ports, state.sentinel_ports, state.redis_password, state.redis_admin_password)

    def require(self) -> LabState:
        state = self.load()
        if state is None:
            raise TapguardError("the lab is not up; start it with `tapguard lab up`")
        return state

    # ------------------------------------------------------------ lifecycle
    def up(self) -> LabState:
        packages.install()
        existing = self.load()
        if existing is not None:
            if self._shaped(existing) and self._healthy(existing):
                return existing
            self.down()
        user = _lab_user()
        directory = Path(tempfile.mkdtemp(prefix="tapguard-lab-", dir=lab_parent()))
        if os.geteuid() == 0:
            entry = pwd.getpwnam(user)
            os.chown(directory, entry.pw_uid, entry.pw_gid)
        directory.chmod(0o700)
        ports = free_ports(1 + PG_NODES + REDIS_SERVERS + SENTINELS)
        pg_end = 1 + PG_NODES
        redis_end = pg_end + REDIS_SERVERS
        state = LabState(
            str(directory),
            user,
            ports[0],
            ports[1:pg_end],
            ports[pg_end:redis_end],
            ports[redis_end:],
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
        )
        self._save(state)
        try:
            concurrently(self.postgres(state).create, self.redis(state).create)
        except BaseException:
            self.down()
            raise
        return state

    @staticmethod
    def _shaped(state: LabState) -> bool:
        """A lab started by an older tapguard (one standby, one replica) is replaced, not reused."""
        shape = (len(state.pg_node_ports), len(state.redis_ports), len(state.sentinel_ports))
        return shape == (PG_NODES, REDIS_SERVERS, SENTINELS) and bool(state.redis_admin_password)

    def _healthy(self, state: LabState) -> bool:
        try:
            return self.postgres(state).healthy() and self.redis(state).healthy()
        except Exception:  # anything unreachable means "not healthy", never a crash
            return False

    def status(self) -> dict[str, Any]:
        state = self.load()
        if state is None:
            return {"up": False}
        pg, rd = self.postgres(state), self.redis(state)
        try:
            nodes = pg.states()
        except Exception as exc:  # report, do not crash, when the monitor is down
            nodes = [{"error": type(exc).__name__}]
        return {
            "up": True,
            "directory": state.directory,
            "postgres": {
                "monitor": state.pg_monitor_port,
                "nodes": nodes,
                "synchronous": _safe(pg.synchronous),
                "synchronous_standby_names": _safe(pg.synchronous_standby_names),
            },
            "redis": {
                "master": _safe(rd.master_port),
                "ports": state.redis_ports,
                "sentinels": state.sentinel_ports,
                "healthy": _safe(rd.healthy),
            },
        }

    def down(self) -> dict[str, Any]:
        state = self.load()
        killed: set[int] = set()
        unreaped: list[int] = []
        removed = None
        if state is not None:
            pids = self.postgres(state).all_pids() | self.redis(state).all_pids()
            # by session too: pg_autoctl's children rename themselves ("pg_autoctl: monitor listener") and outlive a
            # search by directory; down returns once every one of them has exited and been reaped
            survivors = processes.stop_sessions(pids, grace=3.0, timeout=15.0)
            killed = pids - {p.pid for p in survivors}
            alive = sorted(p.pid for p in survivors if not p.zombie)
            if alive:
                raise TapguardError(f"lab processes {alive} did not stop; kill them and run `tapguard lab down` again")
            # exited, but their parent (another process than this one) has not collected them: said, not fatal
            unreaped = sorted(p.pid for p in survivors)
            if Path(state.directory).exists():
                shutil.rmtree(state.directory, ignore_errors=True)
                removed = state.directory
            busy = [p for p in [state.pg_monitor_port, *state.pg_node_ports, *state.redis_ports, *state.sentinel_ports] if listening(p)]
            if busy:
                raise TapguardError(f"ports {busy} are still listening after lab down")
        self.state_path.unlink(missing_ok=True)
        return {"killed": len(killed), "removed": removed, "unreaped": unreaped}


def _safe(fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # status must render whatever is down
        return f"unavailable ({type(exc).__name__})"


def lab_parent(need_bytes: int = 1 << 30) -> Path:
    """Where lab directories go: RAM (/dev/shm) when it has room, else the temp directory.

    Four PostgreSQL data directories on a busy shared disk made `lab up` wait on initdb's
    fsyncs and `lab down` spend ~10 s unlinking 5,000 files. The faults are process faults
    (kill -9, SIGSTOP), the kernel survives them, so RAM loses nothing the disk would keep.
    """
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
            stats = os.statvfs(shm)
            if stats.f_bavail * stats.f_frsize >= need_bytes:
                return shm
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def _lab_user() -> str:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    for name in ("postgres", LAB_USER_FALLBACK):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", LAB_USER_FALLBACK], check=True)
    return LAB_USER_FALLBACK


def project_lab() -> Lab:
    """The lab of the project in the current directory (its state lives in the project's .tapguard/)."""
    from tapguard.planning import project

    return Lab(project.state_dir(project.find_root()))
