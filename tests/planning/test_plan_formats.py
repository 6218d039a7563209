"""Plans made elsewhere load: JSON format 0.1/0.2 (Terraform 0.12-1.1), UTF-16 and UTF-8-BOM files (Terraform on
Windows), and every action terraform writes (forget, no-op, read, delete) - all produced from our own real plans."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import FAIL, PASS, engine
from tapguard.planning import model

AURORA = "module.aurora.aws_rds_cluster.this"
LEGACY_DROPPED = ("relevant_attributes", "checks", "timestamp", "applyable", "complete", "errored")


def _legacy(data: dict[str, Any], version: str) -> dict[str, Any]:
    """What Terraform 0.12-0.14 (0.1) or 0.15-1.1 (0.2) wrote: no later top-level keys; 0.1 has no sensitivity maps."""
    old = copy.deepcopy(data)
    old["format_version"] = version
    old["terraform_version"] = "0.14.11" if version == "0.1" else "1.1.9"
    for key in LEGACY_DROPPED:
        old.pop(key, None)
    if version == "0.1":
        for rc in old["resource_changes"]:
            rc["change"].pop("after_sensitive", None)
            rc["change"].pop("before_sensitive", None)
    return old


@pytest.mark.parametrize("version", ["0.1", "0.2"])
def test_legacy_format_versions_load_and_evaluate(version: str, plan_data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / f"plan-{version}.json"
    path.write_text(json.dumps(_legacy(plan_data["us-west-2"], version)))
    plan = model.load(path)
    assert len(plan.resources) >= len(plan_data["us-west-2"]["resource_changes"])
    findings = engine.evaluate("us-west-2", plan, only=["E1", "C1"])
    assert {f.status for f in findings if f.control == "E1"} == {PASS}
    assert [f.status for f in findings if f.control == "C1" and f.attribute == "coverage"] == [PASS]


ENCODINGS = [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"")]


@pytest.mark.parametrize(("encoding", "bom"), ENCODINGS)
def test_windows_encodings_load(encoding: str, bom: bytes, plan_data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(bom + json.dumps(plan_data["eu-west-1"], indent=2).encode(encoding))
    plan = model.load(path)
    assert AURORA in plan.by_address
    assert plan.region == "eu-west-1"


def _set_actions(data: dict[str, Any], address: str, actions: list[str], after: Any = "keep") -> None:
    for rc in data["resource_changes"]:
        if rc["address"] == address:
            rc["change"]["actions"] = actions
            if after != "keep":
                rc["change"]["after"] = after
            return
    raise KeyError(address)


def test_forgotten_and_deleted_resources_are_not_assessed_as_live(fresh: Any) -> None:
    data = fresh("eu-west-1")
    _set_actions(data, AURORA, ["forget"], after=None)
    plan = model.from_dict(data, "forget")
    assert AURORA not in {r.address for r in plan.of_type("aws_rds_cluster")}
    assert plan.summary().get("forget") == 1
    findings = engine.evaluate("eu-west-1", plan, only=["E1", "C1"])
    assert not [f for f in findings if f.address == AURORA]

    deleted = fresh("eu-west-1")
    _set_actions(deleted, AURORA, ["delete"], after=None)
    plan = model.from_dict(deleted, "delete")
    assert not plan.of_type("aws_rds_cluster")
    assert not [f for f in engine.evaluate("eu-west-1", plan, only=["C1"]) if f.address == AURORA]


def test_a_resource_that_stays_is_assessed(fresh: Any) -> None:
    data = fresh("eu-west-1")
    _set_actions(data, AURORA, ["no-op"])
    plan = model.from_dict(data, "no-op")
    e1 = [f for f in engine.evaluate("eu-west-1", plan, only=["E1"]) if f.address == AURORA]
    assert e1 and {f.status for f in e1} == {PASS}
    for rc in data["resource_changes"]:
        if rc["address"] == AURORA:
            rc["change"]["after"]["storage_encrypted"] = False
    e1 = [f for f in engine.evaluate("eu-west-1", model.from_dict(data, "no-op"), only=["E1"]) if f.address == AURORA]
    assert FAIL in {f.status for f in e1}


def test_replaced_resources_stay_live(fresh: Any) -> None:
    data = fresh("eu-west-1")
    _set_actions(data, AURORA, ["delete", "create"])
    assert AURORA in {r.address for r in model.from_dict(data, "replace").of_type("aws_rds_cluster")}
