"""Shared fixtures: real plans of both environments (planned once per session, cached by content),
a running embedded AWS endpoint, and helpers to mutate real plans."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tapguard.planning import localaws, model, project, toolchain
from tapguard.planning.runner import PlanRunner

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tools(root: Path) -> toolchain.Toolchain:
    return toolchain.discover(project.state_dir(root))


@pytest.fixture(scope="session")
def endpoint(root: Path) -> Iterator[localaws.LocalAWS]:
    with localaws.running(project.environments(root)) as running:
        yield running


@pytest.fixture(scope="session")
def env_plans(root: Path, tools: toolchain.Toolchain, request: pytest.FixtureRequest) -> dict[str, Path]:
    """Real plans of every environment (the content-keyed cache makes a re-run near-instant)."""
    environments = project.environments(root)
    # all cached: no endpoint to start and stop (seconds per session, paid again by every mutant run of nox -s mutants)
    cache = PlanRunner(tools, project.state_dir(root), {}, "local")
    if all(cache.cached(e) for e in environments):
        return {e.name: cache.plan(e).json_path for e in environments}
    endpoint: localaws.LocalAWS = request.getfixturevalue("endpoint")
    runner = PlanRunner(tools, project.state_dir(root), endpoint.env(), "local", secrets=endpoint.secret_strings())
    return {e.name: runner.plan(e).json_path for e in environments}


@pytest.fixture(scope="session")
def plan_data(env_plans: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {name: json.loads(path.read_text()) for name, path in env_plans.items()}


@pytest.fixture
def fresh(plan_data: dict[str, dict[str, Any]]) -> Any:
    """A deep copy of an environment's plan JSON to mutate."""

    def make(env: str) -> dict[str, Any]:
        return copy.deepcopy(plan_data[env])

    return make


def change(data: dict[str, Any], address: str) -> dict[str, Any]:
    for rc in data["resource_changes"]:
        if rc["address"] == address:
            return dict(rc["change"])
    raise KeyError(address)


def set_after(data: dict[str, Any], address: str, attribute: str, value: Any) -> None:
    """Set after.<attribute> (dotted, lists by index) and clear its unknown marker."""
    for rc in data["resource_changes"]:
        if rc["address"] != address:
            continue
        after, unknown = rc["change"]["after"], rc["change"].setdefault("after_unknown", {})
        parts = attribute.split(".")
        for part in parts[:-1]:
            after = after[int(part)] if isinstance(after, list) else after.setdefault(part, {})
            unknown = (
                (unknown[int(part)] if isinstance(unknown, list) and int(part) < len(unknown) else {})
                if isinstance(unknown, list)
                else unknown.setdefault(part, {})
            )
        if isinstance(after, list):
            after[int(parts[-1])] = value
        else:
            after[parts[-1]] = value
        if isinstance(unknown, dict):
            unknown.pop(parts[-1], None)
        return
    raise KeyError(address)


def drop_reference(data: dict[str, Any], config_address: str, attribute: str) -> None:
    """Remove an attribute's configuration expression (so nothing resolves through it)."""

    def walk(node: dict[str, Any], prefix: str) -> bool:
        for res in node.get("resources", []):
            full = f"{prefix}.{res['address']}" if prefix else res["address"]
            if full == config_address:
                res.get("expressions", {}).pop(attribute, None)
                return True
        return any(
            walk(call.get("module", {}), f"{prefix}.module.{name}" if prefix else f"module.{name}")
            for name, call in node.get("module_calls", {}).items()
        )

    assert walk(data["configuration"]["root_module"], ""), config_address


def remove(data: dict[str, Any], predicate: Any) -> int:
    before = len(data["resource_changes"])
    data["resource_changes"] = [rc for rc in data["resource_changes"] if not predicate(rc)]
    return before - len(data["resource_changes"])


def load(data: dict[str, Any]) -> model.Plan:
    return model.from_dict(data, "mutated")
