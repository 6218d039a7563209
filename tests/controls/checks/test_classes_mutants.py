"""The class-level registration (checks/classes.py) run again into an empty registry, and C1/C2 on plans with nothing to judge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tapguard import controls
from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, Context, classes, engine
from tapguard.controls.checks import classes as class_checks
from tapguard.foundation.profile import Profile
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY


def test_registration_checks_the_new_controls_and_extends_the_stack_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_CHECKS", {})
    monkeypatch.setattr(engine, "_EXTENSIONS", {})
    class_checks._register()
    data = classes.load()
    pairs = {(facet, tc.facets[facet].control) for tc in data.types.values() for facet in tc.facets}
    new = {(f, c) for f, c in pairs if c in class_checks.NEW_CONTROLS}
    assert new and len(new) < len(pairs)
    assert {c: fn.__name__ for c, fn in engine._CHECKS.items()} == {c: f"class_{f}_{c}" for f, c in new}
    extended = {(fn.__name__, c) for c, fns in engine._EXTENSIONS.items() for fn in fns}
    assert extended == {(f"class_{f}_{c}", c) for f, c in pairs - new}
    assert sum(len(fns) for fns in engine._EXTENSIONS.values()) == len(pairs - new)  # each pair once, sorted and unique
    ctx = Context(env="dev", plan=model.from_dict(EMPTY, "empty"), profile=Profile(name="dev"))
    for fn in engine._CHECKS.values():  # a new control says when the plan has none of its class
        facet = fn.__name__.removeprefix("class_").rsplit("_", 1)[0]
        assert [f.address for f in fn(ctx)] == [f"(no {facet} resource)"]
    assert all(list(fn(ctx)) == [] for fns in engine._EXTENSIONS.values() for fn in fns)  # an extension adds no placeholder


def test_a_new_class_control_says_when_the_plan_has_none_of_its_class() -> None:
    ctx = Context(env="dev", plan=model.from_dict(EMPTY, "empty"), profile=Profile(name="dev"), control_id="E8")
    standalone = class_checks._class_control("at_rest", "E8", standalone=True)
    assert standalone.__name__ == "class_at_rest_E8"
    found = list(standalone(ctx))
    assert [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in found] == [
        ("(no at_rest resource)", "", NOT_APPLICABLE, None, "a resource of the class", "no resource in this plan")
    ]
    assert list(class_checks._class_control("at_rest", "E1", standalone=False)(ctx)) == []


def test_a_new_class_control_reports_its_resources_and_no_placeholder(plan_data: dict[str, dict[str, Any]]) -> None:
    plan = model.from_dict(plan_data["eu-west-1"], "eu-west-1")
    ctx = Context(env="eu-west-1", plan=plan, profile=engine.profile_for("eu-west-1", plan), control_id="E8")
    found = list(class_checks._class_control("at_rest", "E8", standalone=True)(ctx))
    assert found and all(not f.address.startswith("(no ") for f in found)


def findings(control: str, data: dict[str, Any], profile: Profile, hcl: Path | None = None) -> list[tuple[Any, ...]]:
    plan = model.from_dict(data, "synthetic")
    got = controls.evaluate(profile.name, plan, profile=profile, hcl_dirs=[hcl] if hcl else None, only=[control])
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in got]


def test_c1_on_a_plan_with_nothing_managed() -> None:
    assert findings("C1", EMPTY, Profile(name="dev"))[-1] == (
        "(plan)",
        "coverage",
        NOT_APPLICABLE,
        "0 managed resources",
        "every managed resource classed",
        "nothing managed",
    )


def test_c1_counts_what_it_assessed() -> None:
    vpc = {"address": "aws_vpc.a", "mode": "managed", "type": "aws_vpc", "name": "a", "change": {"actions": ["create"], "after": {}}}
    odd = {**vpc, "address": "aws_gamelift_fleet.b", "type": "aws_gamelift_fleet", "name": "b"}
    ok = findings("C1", {**EMPTY, "resource_changes": [vpc]}, Profile(name="dev"))[-1]
    assert ok == ("(plan)", "coverage", PASS, "1/1 managed resources assessed", "every managed resource of a classed type", "as required")
    bad = findings("C1", {**EMPTY, "resource_changes": [vpc, odd]}, Profile(name="dev"))[-1]
    assert bad[:4] == ("(plan)", "coverage", FAIL, "1/2 managed resources assessed")
    assert bad[5] == "unassessed types: aws_gamelift_fleet"


def region(name: str | None) -> dict[str, Any]:
    provider = {"aws": {"expressions": {"region": {"constant_value": name}}}} if name else {}
    return {**EMPTY, "configuration": {"provider_config": provider, "root_module": {}}}


def test_c2_compares_the_plans_region_with_the_environments() -> None:
    here = Profile(name="dev", region="eu-west-1")
    assert findings("C2", region("eu-west-1"), here)[0] == ("(plan)", "provider.aws.region", PASS, "eu-west-1", "eu-west-1", "as required")
    assert findings("C2", region("us-east-1"), here)[0] == (
        "(plan)",
        "provider.aws.region",
        FAIL,
        "us-east-1",
        "eu-west-1",
        "the plan is for another region than this environment",
    )
    assert findings("C2", region(None), here)[0] == (
        "(plan)",
        "provider.aws.region",
        FAIL,
        None,
        "eu-west-1",
        "the plan does not pin the environment's region",
    )
    nowhere = findings("C2", region("us-east-1"), Profile(name="dev"))
    assert nowhere == [("(plan)", "configuration", NOT_APPLICABLE, None, "the environment's HCL", "no HCL to compare with")]


def test_c2_compares_the_root_module_with_the_environments_hcl(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "net" {\n  source = "./net"\n}\nresource "aws_vpc" "a" {}\ndata "aws_region" "r" {}\n')
    (tmp_path / "notes.txt").write_text('module "ghost" {}\n')
    here = Profile(name="dev")

    def root(modules: list[str], resources: list[str]) -> dict[str, Any]:
        calls = {m: {"source": f"./{m}"} for m in modules}
        return {**EMPTY, "configuration": {"root_module": {"module_calls": calls, "resources": [{"address": a} for a in resources]}}}

    same = findings("C2", root(["net"], ["aws_vpc.a", "data.aws_region.r"]), here, tmp_path)
    assert same == [
        ("(plan)", "configuration.root_module", PASS, ["aws_vpc.a", "module.net"], f"the root module of {tmp_path.name}", "as required")
    ]
    other = findings("C2", root(["net", "ghost", "a", "b", "c", "d", "e"], []), here, tmp_path)
    assert other[0][2:4] == (FAIL, ["module.a", "module.b", "module.c", "module.d", "module.e"])
    assert other[0][5] == "the plan's root module is not this environment's configuration"
    disjoint = findings("C2", root([], ["aws_s3_bucket.x"]), here, tmp_path)
    assert disjoint[0][2:4] == (FAIL, ["aws_s3_bucket.x"])
    nothing = findings("C2", root([], ["data.aws_region.r"]), here, tmp_path)
    assert nothing[0][2:4] == (PASS, [])
