"""The class fixtures (tests/fixtures/classes) plan for real against the embedded endpoint, and every resource in
them is a typed example: classed, named good/bad (or inert), several types with both verdicts per class."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import classes
from tapguard.planning import model, project, toolchain
from tapguard.planning.runner import PlanRunner
from tests.conftest import FIXTURES

pytestmark = pytest.mark.terraform

CLASS_MODULES = ("data_store", "data_in_transit", "exposure", "identity", "keys", "logging_sink")


@pytest.fixture(scope="module")
def class_plan(tmp_path_factory: pytest.TempPathFactory, root: Path, tools: toolchain.Toolchain, endpoint: Any) -> model.Plan:
    runner = PlanRunner(tools, project.state_dir(root), endpoint.env(), "local")
    result = runner.plan(project.load_environment(FIXTURES / "classes"))
    return model.load(result.json_path)


def _verdict(resource: model.Resource) -> str:
    return resource.name.split("_", 1)[0]


def test_the_class_fixture_plans_and_every_type_in_it_is_classed(class_plan: model.Plan) -> None:
    known = classes.load().types
    managed = [r for r in class_plan.by_address.values() if r.mode == "managed"]
    assert len(managed) >= 80
    assert sorted({r.type for r in managed} - set(known)) == []
    for r in managed:
        assert _verdict(r) in ("good", "bad", "inert"), r.address


def test_each_class_module_has_several_types_with_good_and_bad_examples(class_plan: model.Plan) -> None:
    known = classes.load().types
    verdicts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in class_plan.by_address.values():
        module = r.address.split(".")[1].split("[")[0] if r.address.startswith("module.") else "root"
        verdicts[module][_verdict(r)].add(r.type)
    for name in CLASS_MODULES:
        bad = verdicts[name]["bad"]
        assert len(bad) >= 3 or (name == "keys" and bad), (name, bad)
        assert verdicts[name]["good"], name
        for rtype in bad:
            assert name in known[rtype].classes, (name, rtype)
    # module nesting, count and for_each all appear in the addresses
    addresses = set(class_plan.by_address)
    assert any(a.startswith("module.data_store.module.good_bucket.") for a in addresses)
    assert any(a.startswith("module.exposure[0].") for a in addresses)
    assert 'module.data_store.aws_sqs_queue.good["orders"]' in addresses


def test_every_bad_resource_fails_and_every_good_one_passes_its_class_controls(class_plan: model.Plan) -> None:
    from tapguard.controls import FAIL, engine

    findings = engine.evaluate("class-fixtures", class_plan)  # a name that is not an environment: the generic profile
    by_address: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        by_address[f.address].add(f.status)
    for r in class_plan.by_address.values():
        if r.mode != "managed":
            continue
        statuses = by_address.get(r.address, set())
        assert statuses, f"{r.address} ended with no finding"
        if _verdict(r) == "bad":
            assert FAIL in statuses, f"{r.address} should fail: {statuses}"
        else:
            assert FAIL not in statuses, [x.describe() for x in findings if x.address == r.address and x.status == FAIL]
