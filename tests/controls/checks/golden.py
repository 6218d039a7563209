"""What a control reports at the address its violation and boundary cases name, pinned field by field.

The family tests prove PASS and FAIL; a report also says which attribute, the actual and the expected value and why.
For every case of test_<family>.py (VIOLATIONS) and test_<family>_boundaries.py (BOUNDARIES) this takes the findings
at the case's address (address, attribute, status, actual, expected, message) and compares them with
golden/<family>.json. After a deliberate change of a check's wording: TAPGUARD_GOLDEN=write pytest <the family's
_mutants.py> rewrites the file, and the diff is the review.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tapguard import controls
from tapguard.planning import model
from tests.controls.violations import Boundary, Mutation, evaluate

GOLDEN = Path(__file__).with_name("golden")
Case = tuple[str, str, Mutation, str]  # control id, environment, mutation of the real plan, address
EMPTY = {"format_version": "1.2", "resource_changes": [], "configuration": {"root_module": {}}}


def cases(family: str, leave_out: tuple[str, ...] = ()) -> dict[str, Case]:
    """`<control>/violation`, `<control>/passes` and `<control>/fails` of the family's test modules."""
    violations = importlib.import_module(f"tests.controls.checks.test_{family}").VIOLATIONS
    boundaries: dict[str, Boundary] = importlib.import_module(f"tests.controls.checks.test_{family}_boundaries").BOUNDARIES
    found: dict[str, Case] = {}
    for control, (env, mutate, address) in violations.items():
        found[f"{control}/violation"] = (control, env, mutate, address)
    for control, edge in boundaries.items():
        found[f"{control}/passes"] = (control, edge.env, edge.passes, edge.address)
        found[f"{control}/fails"] = (control, edge.env, edge.fails, edge.address)
    return {name: case for name, case in sorted(found.items()) if case[0] not in leave_out}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def observed(case: Case, fresh: Callable[[str], dict[str, Any]]) -> list[list[Any]]:
    control, env, mutate, address = case
    data = fresh(env)
    mutate(data)
    return [
        [f.address, f.attribute, f.status, _plain(f.actual), _plain(f.expected), f.message]
        for f in evaluate(env, data, control)
        if address in f.address
    ]


def _compare(path: Path, name: str, got: list[list[Any]]) -> None:
    if os.environ.get("TAPGUARD_GOLDEN") == "write":
        pinned = json.loads(path.read_text()) if path.is_file() else {}
        pinned[name] = got
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(dict(sorted(pinned.items())), indent=1, ensure_ascii=False) + "\n")
        return
    assert got == json.loads(path.read_text())[name]


def golden_tests(family: str, leave_out: tuple[str, ...] = ()) -> tuple[Callable[..., None], Callable[..., None], Callable[..., None]]:
    """One test per case: the findings at its address are the pinned ones; every control of the family on a plan with no
    resources and no HCL, under a stack profile (what it needs is required) and the generic one (nothing is); and the kinds
    of finding (resource type, attribute, status, expected, message) each control reports on the real plans."""
    known = cases(family, leave_out)
    path = GOLDEN / f"{family}.json"
    family_controls = sorted(c.id for c in controls.catalogue().values() if c.family == family and c.id not in leave_out)

    @pytest.mark.parametrize("name", sorted(known))
    def test_findings_at_the_case_address_are_the_pinned_ones(name: str, fresh: Any) -> None:
        got = observed(known[name], fresh)
        assert got, f"{name}: no finding at {known[name][3]}"
        _compare(path, name, got)

    @pytest.mark.parametrize("control", family_controls)
    @pytest.mark.parametrize("env", ["us-west-2", "generic-elsewhere"])
    def test_findings_on_an_empty_plan_are_the_pinned_ones(control: str, env: str) -> None:
        findings = controls.evaluate(env, model.from_dict(EMPTY, "empty"), only=[control])
        got = [[f.address, f.attribute, f.status, _plain(f.actual), _plain(f.expected), f.message] for f in findings]
        _compare(path, f"{control}/empty/{env}", got)

    @pytest.mark.parametrize("control", family_controls)
    @pytest.mark.parametrize("env", ["us-west-2", "eu-west-1"])
    def test_findings_on_the_real_plans_are_the_pinned_kinds(control: str, env: str, fresh: Any) -> None:
        """Per resource type rather than per address, and at least the pinned kinds: a stack that gains resources or
        kinds of finding stays green; one that loses a pinned kind (or a check that stops reporting it) does not."""
        plan = model.from_dict(fresh(env), env)
        kinds = {
            json.dumps(
                [
                    plan.by_address[f.address].type if f.address in plan.by_address else f.address,
                    f.attribute,
                    f.status,
                    _plain(f.expected),
                    f.message,
                ]
            )
            for f in controls.evaluate(env, plan, only=[control])
        }
        name = f"{control}/real/{env}"
        if os.environ.get("TAPGUARD_GOLDEN") == "write":
            _compare(path, name, [json.loads(k) for k in sorted(kinds)])
            return
        missing = [k for k in json.loads(path.read_text())[name] if json.dumps(k) not in kinds]
        assert not missing, missing

    return (
        test_findings_at_the_case_address_are_the_pinned_ones,
        test_findings_on_an_empty_plan_are_the_pinned_ones,
        test_findings_on_the_real_plans_are_the_pinned_kinds,
    )


def resource(address: str, after: dict[str, Any], unknown: dict[str, Any] | None = None, mode: str = "managed") -> dict[str, Any]:
    """A resource change of a synthetic plan (root module, created)."""
    kind, name = address.removeprefix("data.").split(".")[:2]
    change = {"actions": ["create"], "after": after, "after_unknown": unknown or {}}
    return {"address": address, "mode": mode, "type": kind, "name": name, "change": change}


def synthetic_plan(*changes: dict[str, Any], config: dict[str, dict[str, Any]] | None = None) -> model.Plan:
    """A synthetic plan of `changes`; `config` gives the configuration expressions of some addresses."""
    resources = [{"address": a, "expressions": e} for a, e in (config or {}).items()]
    data = {**EMPTY, "resource_changes": list(changes), "configuration": {"root_module": {"resources": resources}}}
    return model.from_dict(data, "synthetic")


def judged(control: str, *changes: dict[str, Any], env: str = "eu-west-1") -> list[tuple[Any, ...]]:
    """(address, attribute, status, actual, expected, message) of every finding of `control` on a plan of `changes`."""
    plan = model.from_dict({**EMPTY, "resource_changes": list(changes)}, "synthetic")
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in controls.evaluate(env, plan, only=[control])]


Configured = tuple[dict[str, Any], dict[str, Any]]  # (resource change, configuration entry)


def _nested(parts: list[str], leaf: Any) -> Any:
    """A configuration expression at a dotted path ("network_configuration.0.subnets"): a digit is a block index."""
    if not parts:
        return leaf
    if parts[0].isdigit():
        return [_nested(parts[1:], leaf)]
    return {parts[0]: _nested(parts[1:], leaf)}


def configured(
    address: str, after: dict[str, Any], refs: dict[str, list[str]] | None = None, unknown: dict[str, Any] | None = None
) -> Configured:
    """A created (or read, for a `data.` address) resource whose attributes in `refs` are expressions referencing the
    given addresses, with its configuration entry: what `Resource.references` follows."""
    mode = "data" if address.startswith("data.") else "managed"
    kind, name = address.removeprefix("data.").split(".")[:2]
    expressions: dict[str, Any] = {}
    for path, targets in (refs or {}).items():
        head, *rest = path.split(".")
        expressions[head] = _nested(rest, {"references": [r for t in targets for r in (f"{t}.id", t)]})
    entry = {"address": address, "mode": mode, "type": kind, "name": name, "expressions": expressions}
    return resource(address, after, unknown, mode), entry
