"""The lab's lifecycle: up on loopback only, down leaves nothing, never half up, restored after an interrupted drill."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from tapguard.drill.runner import DrillInterrupted, run_drill
from tapguard.drill.settings import DrillSettings
from tapguard.drill.targets.lab import LabRedis
from tapguard.foundation.errors import TapguardError
from tapguard.lab import processes
from tapguard.lab.lab import Lab, LabState, lab_parent
from tapguard.lab.redis import RedisLab

pytestmark = pytest.mark.lab


def _ports(state: LabState) -> list[int]:
    return [state.pg_monitor_port, *state.pg_node_ports, *state.redis_ports, *state.sentinel_ports]


def _listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _assert_gone(state: LabState) -> None:
    assert not [p for p in processes.snapshot(zombies=True) if state.directory in p.cmdline]
    assert not [p for p in _ports(state) if _listening(p)]
    assert not Path(state.directory).exists()


@pytest.fixture
def lab(tmp_path: Path) -> Any:
    lab = Lab(tmp_path)
    yield lab
    lab.down()


def test_up_status_down(lab: Lab, tmp_path: Path) -> None:
    state = lab.up()
    assert oct((tmp_path / "lab.json").stat().st_mode)[-3:] == "600"
    status = lab.status()
    assert status["postgres"]["synchronous"] is True and status["redis"]["healthy"] is True
    # the stacks' topology: a writer and two standbys, a Redis primary and two replicas
    assert sorted(n["reported"] for n in status["postgres"]["nodes"]) == ["primary", "secondary", "secondary"]
    assert status["postgres"]["synchronous_standby_names"].startswith("ANY 1 (")
    assert len(state.redis_ports) == 3 and len(state.sentinel_ports) == 3
    assert lab.up() == state  # idempotent
    listening = _listeners()
    for port in _ports(state):
        assert listening.get(port) == {"127.0.0.1"}, f"port {port} listens on {listening.get(port)}"
    assert state.redis_password not in str(status) and state.redis_admin_password not in str(status)
    lab.down()
    _assert_gone(state)
    assert lab.status() == {"up": False}


def test_up_that_fails_halfway_leaves_nothing(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: RedisLab) -> None:
        raise TapguardError("redis refused to start (simulated)")

    monkeypatch.setattr(RedisLab, "create", broken)
    before = set(lab_parent().glob("tapguard-lab-*"))
    with pytest.raises(TapguardError, match="simulated"):
        lab.up()
    assert lab.load() is None
    created = set(lab_parent().glob("tapguard-lab-*")) - before
    assert not created, f"left behind: {created}"


def test_interrupted_drill_restores_the_lab_and_keeps_a_partial_journal(lab: Lab) -> None:
    state = lab.up()
    target = LabRedis(lab.redis(state))
    seen: list[str] = []

    def interrupt(update: dict[str, Any]) -> None:
        seen.append(update["phase"])
        if update["phase"] == "failover":
            raise KeyboardInterrupt

    # a modest rate: this is about Ctrl-C, and a busy machine must not abort it at the steady-state check
    with pytest.raises(DrillInterrupted) as stopped:  # the caller gets the journal and the interrupt: it stops too
        run_drill(target, DrillSettings(rate=100, steady_seconds=1.0, settle_seconds=1.0), progress=interrupt)
    journal = stopped.value.journal
    assert journal["status"] == "interrupted" and not journal["verdict"]["passed"]
    assert journal["verdict"]["lost"] == 0 and journal["verdict"]["unknown"].get("lost") is None  # read back after the restore
    assert journal["rollbacks"] and journal["rollbacks"][0]["status"] == "succeeded"
    assert lab.redis(state).healthy()
    lab.down()
    _assert_gone(state)


def _listeners() -> dict[int, set[str]]:
    """port -> addresses in LISTEN state, from /proc/net/tcp{,6}."""
    found: dict[int, set[str]] = {}
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state != "0A":
                continue
            address, port = local.split(":")
            if width == 8:
                host = ".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0))
            else:
                host = "::" if set(address) == {"0"} else address
            found.setdefault(int(port, 16), set()).add(host)
    return found
