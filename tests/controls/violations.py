"""Violations of real plans, and the tests every control gets from them.

A family's test module maps control id -> (environment, mutation of the real plan, address the
failure must name) and calls `violation_tests(VIOLATIONS)`: the control passes on the real plan
and fails, naming its requirement and the resource, on the violating one.

Its boundary module (test_<family>_boundaries.py) maps control id -> Boundary: the edge that still
passes (the last compliant value: 365 days, a private CIDR, an explicit false) and the edge just past
it, which must fail like a violation does (366 days, a CIDR instead of a security group, unset).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tapguard import controls
from tapguard.controls import FAIL, PASS, UNKNOWN
from tests.conftest import change, load, set_after

Mutation = Callable[[dict[str, Any]], None]


def containers(data: dict[str, Any], address: str, edit: Callable[[dict[str, Any]], None]) -> None:
    defs = json.loads(change(data, address)["after"]["container_definitions"])
    for c in defs:
        edit(c)
    set_after(data, address, "container_definitions", json.dumps(defs))


def policy(data: dict[str, Any], address: str, statement: dict[str, Any]) -> None:
    set_after(data, address, "policy", json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def add(data: dict[str, Any], address: str, rtype: str, after: dict[str, Any]) -> None:
    data["resource_changes"].append(
        {
            "address": address,
            "mode": "managed",
            "type": rtype,
            "name": address.rsplit(".", maxsplit=1)[-1],
            "change": {"actions": ["create"], "after": after, "after_unknown": {}, "after_sensitive": {}},
        }
    )


AURORA = "module.aurora.aws_rds_cluster.this"
REDIS = "module.redis.aws_elasticache_replication_group.this"
TASK_API = 'module.ecs.aws_ecs_task_definition.this["api"]'
LOG_FLOW = "module.network.aws_cloudwatch_log_group.flow"

Violations = dict[str, tuple[str, Mutation, str]]


class Boundary(NamedTuple):
    """One control's edge: `passes` leaves the plan compliant at the limit, `fails` steps just past it at `address`."""

    env: str
    passes: Mutation
    fails: Mutation
    address: str


def evaluate(env: str, data: dict[str, Any], control_id: str, hcl_dirs: list[Path] | None = None) -> list[controls.Finding]:
    return controls.evaluate(env, load(data), hcl_dirs=hcl_dirs, only=[control_id])


def violation_tests(violations: Violations) -> tuple[Callable[..., None], Callable[..., None]]:
    """The pass-on-the-real-plan and fail-on-the-violation tests, parametrized over `violations`."""

    @pytest.mark.parametrize("control_id", sorted(violations))
    def test_control_passes_on_the_real_plan(control_id: str, fresh: Any) -> None:
        env = violations[control_id][0]
        findings = evaluate(env, fresh(env), control_id)
        assert not [f for f in findings if f.status in (FAIL, UNKNOWN)], [f.describe() for f in findings if f.status != PASS]

    @pytest.mark.parametrize("control_id", sorted(violations))
    def test_control_fails_on_a_violating_plan(control_id: str, fresh: Any) -> None:
        env, mutate, address = violations[control_id]
        data = fresh(env)
        mutate(data)
        assert_fails(control_id, env, data, address)

    return test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan


def assert_fails(control_id: str, env: str, data: dict[str, Any], address: str) -> None:
    """The control fails on `data`, only under its own id, naming `address`, the environment and its requirements."""
    findings = evaluate(env, data, control_id)
    failed = [f for f in findings if f.status == FAIL]
    assert failed, f"{control_id} did not fail on its violation: {[f.describe() for f in findings]}"
    assert all(f.control == control_id for f in failed)
    assert any(address in f.address for f in failed), [f.address for f in failed]
    control = controls.catalogue()[control_id]
    text = failed[0].describe(control)
    assert control_id in text and env in text
    for requirement in control.requirements:
        assert requirement in text


def boundary_tests(boundaries: dict[str, Boundary]) -> tuple[Callable[..., None], Callable[..., None]]:
    """The edge-that-passes and edge-that-fails tests, parametrized over `boundaries`."""

    @pytest.mark.parametrize("control_id", sorted(boundaries))
    def test_control_passes_at_its_compliant_edge(control_id: str, fresh: Any) -> None:
        edge = boundaries[control_id]
        data = fresh(edge.env)
        edge.passes(data)
        findings = evaluate(edge.env, data, control_id)
        assert findings and not [f for f in findings if f.status in (FAIL, UNKNOWN)], [f.describe() for f in findings if f.status != PASS]

    @pytest.mark.parametrize("control_id", sorted(boundaries))
    def test_control_fails_just_past_its_edge(control_id: str, fresh: Any) -> None:
        edge = boundaries[control_id]
        data = fresh(edge.env)
        edge.fails(data)
        assert_fails(control_id, edge.env, data, edge.address)

    return test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge
