"""Proof the verdict is not a rubber stamp: lost acknowledged writes, a downtime over the limit and a service that
limps on after failover each fail it, and say why. On a lab of their own (`proof_lab`), beside the project lab's drills."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
import redis

from chaos.conftest import explain, make_target
from tapguard.drill.runner import run_drill
from tapguard.drill.settings import DrillSettings


@pytest.fixture(autouse=True)
def lab_only(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--target") != "lab":
        pytest.skip("fault proofs run on the lab only")


@contextmanager
def unfenced(request: pytest.FixtureRequest) -> Iterator[None]:
    """The lab's Redis without min-replicas-to-write (the fence that refuses writes no replica takes), for this drill
    only: every node at runtime; a node restarted by the drill reads its config file, which keeps the fence."""
    lab = request.getfixturevalue("proof_lab")
    rd = lab.redis(lab.load())

    def fence(value: int) -> None:
        for port in rd.ports:
            try:
                (rd.admin(port) if rd.admin_password else rd.client(port)).config_set("min-replicas-to-write", value)
            except redis.RedisError:
                continue  # a node that is down comes back with its config file's fence

    fence(0)
    try:
        yield
    finally:
        fence(1)


def test_replica_lag_without_wait_loses_acknowledged_writes(request: pytest.FixtureRequest, settings: DrillSettings) -> None:
    # no WAIT and no fence: the primary's reply is the acknowledgement; replication is cut, then the primary dies
    target = make_target(request, "redis", fault="replica-lag", wait_replicas=0, lab="proof_lab")
    with unfenced(request):
        journal = run_drill(target, settings)
    verdict = journal["verdict"]
    assert verdict["lost"] > 0, explain(journal)
    assert not verdict["passed"] and any("acknowledged writes lost" in r for r in verdict["reasons"]), explain(journal)
    assert journal["deviated"] is True
    assert len(verdict["lost_ids"]) == min(100, verdict["lost"])


def test_a_service_that_limps_on_after_failover_fails(request: pytest.FixtureRequest, settings: DrillSettings) -> None:
    # WAIT 2: satisfiable with both replicas, not after a failover leaves one; every write then waits out its
    # timeout, the rate collapses although the new master answers at once (the field notes' one-replica lab)
    target = make_target(request, "redis", wait_replicas=2, lab="proof_lab")
    journal = run_drill(target, replace(settings, steady_timeout=8.0))
    verdict = journal["verdict"]
    assert journal["steady_states"]["before"]["met"], explain(journal)
    assert verdict["downtime_s"] is not None and verdict["downtime_s"] <= verdict["max_downtime_s"], explain(journal)
    assert not verdict["passed"] and verdict["time_to_steady_s"] is None, explain(journal)
    assert any(r.startswith("service limps on after recovery") for r in verdict["reasons"]), explain(journal)
    assert journal["deviated"] is True and journal["steady_states"]["after"]["met"] is False


@pytest.mark.parametrize("component", ["aurora", "redis"])
def test_a_rotation_whose_clients_do_not_refresh_fails(component: str, request: pytest.FixtureRequest, settings: DrillSettings) -> None:
    # the clients keep the credential they started with: once the rotator sets the new one (Redis: finishSecret's
    # SET; PostgreSQL: setSecret's ALTER ROLE), every reconnect is refused
    target = make_target(request, component, fault="rotate", refresh_credentials=False, lab="proof_lab")
    journal = run_drill(target, replace(settings, steady_timeout=8.0, recovery_timeout=15.0))
    verdict = journal["verdict"]
    inject = next(a for a in journal["run"] if a["activity"]["name"] == "inject rotate")["output"]
    assert inject["completed"] and inject["old_refused"], explain(journal)  # the rotation itself worked
    assert not verdict["passed"] and journal["deviated"] is True, explain(journal)
    assert "auth_failed" in verdict["errors_by_class"], explain(journal)
    assert any("limps on" in r or "did not recover" in r for r in verdict["reasons"]), explain(journal)


def test_a_hang_longer_than_the_limit_fails_the_verdict(request: pytest.FixtureRequest, settings: DrillSettings) -> None:
    # the writer is frozen for 12 s; pg_auto_failover needs ~8 s to promote: over a 4 s limit
    target = make_target(request, "aurora", fault="hang", hang_seconds=12.0, lab="proof_lab")
    journal = run_drill(target, replace(settings, max_downtime=4.0))
    verdict = journal["verdict"]
    assert verdict["downtime_s"] is not None and verdict["downtime_s"] > 4.0, explain(journal)
    assert not verdict["passed"] and any("exceeds" in r for r in verdict["reasons"]), explain(journal)


def test_steady_state_not_met_aborts_without_injecting(request: pytest.FixtureRequest) -> None:
    # a rate the probe cannot reach with one connection: abort, and nothing is failed over
    target = make_target(request, "redis", lab="proof_lab")
    before = target.lab.master_port()  # type: ignore[attr-defined]
    journal = run_drill(target, DrillSettings(rate=1_000_000, connections=1, steady_seconds=2, warmup_timeout=2))
    assert journal["status"] == "aborted" and "steady state not met" in journal["reason"], explain(journal)
    assert journal["deviated"] is True
    assert not [a for a in journal["run"] if a["activity"]["name"].startswith("inject")]
    assert target.lab.master_port() == before  # type: ignore[attr-defined]
