"""Failover drills as tests: `pytest chaos --target lab` (default: the local lab, for real) or
`pytest chaos --target aws --env us-west-2 --confirm us-west-2` (needs allow-tagged targets)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tapguard.drill.runner import drill_lock, run_drill
from tapguard.drill.settings import DrillSettings
from tapguard.drill.targets.base import FailoverTarget
from tapguard.drill.targets.build import TargetParams, aws_target
from tapguard.lab.lab import Lab
from tapguard.planning import project


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tapguard drills")
    group.addoption("--target", choices=("lab", "aws"), default="lab")
    group.addoption("--drill-env", default=None, help="aws: environment whose outputs name the targets")
    group.addoption("--confirm", default=None, help="aws: the environment you mean to fail over")
    group.addoption("--allow-list", type=Path, default=None)
    group.addoption("--max-downtime", type=float, default=30.0)
    group.addoption("--rate", type=float, default=100_000, help="writes per minute")


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    lab = Lab(project.state_dir(project.find_root()))
    started = lab.load() is None
    lab.up()
    yield lab
    if started:
        lab.down()


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> DrillSettings:
    config = request.config
    fault = "failover" if config.getoption("--target") == "aws" else "kill"
    return DrillSettings(fault=fault, rate=config.getoption("--rate") / 60, max_downtime=config.getoption("--max-downtime"))


def make_target(request: pytest.FixtureRequest, component: str, **lab_options: Any) -> FailoverTarget:
    config = request.config
    if config.getoption("--target") == "aws":
        params = TargetParams(
            target="aws",
            component=component,
            fault="failover",
            env=config.getoption("--drill-env"),
            confirm=config.getoption("--confirm"),
            allow_list=config.getoption("--allow-list"),
        )
        return aws_target(params)
    from tapguard.drill.targets.lab import LabPostgres, LabRedis

    lab: Lab = request.getfixturevalue("lab")
    state = lab.load()
    assert state is not None
    if component == "aurora":
        return LabPostgres(lab.postgres(state), **lab_options)
    return LabRedis(lab.redis(state), **lab_options)


LAB_FAULTS = ("kill", "hang", "switchover", "replica-lag", "rotate")


@pytest.fixture(scope="session")
def drills(request: pytest.FixtureRequest, settings: DrillSettings) -> dict[tuple[str, str], dict[str, Any]]:
    """One drill per component and fault (on AWS: one failover per component), shared by the tests that judge them.

    The 5-run medians are for people (`tapguard drill --repeat 5`); CI runs each once and asserts on every run.
    """
    faults = ("failover",) if request.config.getoption("--target") == "aws" else LAB_FAULTS
    out = {}
    with drill_lock():
        for fault in faults:
            for component in ("aurora", "redis"):
                options = {"fault": fault} if fault == "rotate" else {}
                out[(component, fault)] = run_drill(make_target(request, component, **options), replace(settings, fault=fault))
    return out


def explain(journal: dict[str, Any]) -> str:
    v = journal.get("verdict", {})
    return (
        f"{journal.get('title')}: status {journal.get('status')}, downtime {v.get('downtime_s')} s (limit {v.get('max_downtime_s')} s), "
        f"acknowledged {v.get('acknowledged')}, lost {v.get('lost')} {v.get('lost_ids', [])[:10]}, errors {v.get('errors_by_class')}, "
        f"time to steady {v.get('time_to_steady_s')} s, unconfirmed acks {v.get('unconfirmed_acks')} (lost {v.get('unconfirmed_lost')}), "
        f"marks {journal.get('marks')}, reasons {v.get('reasons')}, steady states {journal.get('steady_states')}"
    )
