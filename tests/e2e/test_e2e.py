"""End to end on the embedded endpoint, bounded for the test command: the real us-west-2 stack is
planned whole, and its network, secrets and Aurora modules (with everything they depend on: the keys,
the application's security group) are applied with the real terraform and provider, checked as deployed,
drilled, destroyed, and proven gone. `nox -s e2e` deploys every stack whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import PASS
from tapguard.e2e import run, runtime

pytestmark = pytest.mark.terraform
ROOT = Path(__file__).resolve().parents[2]
SUBSET = ("module.network", "module.secrets", "module.aurora")


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("e2e")
    summary = run.run(ROOT, ["us-west-2"], out, run.Budget(apply_s=600, destroy_s=300, subset=SUBSET))
    return {"summary": summary, "env": summary["environments"][0], "out": Path(summary["bundle"]) / "e2e" / "us-west-2"}


def _read(e2e: dict[str, Any], name: str) -> Any:
    return json.loads((e2e["out"] / name).read_text())


def test_the_subset_deploys_and_is_destroyed_without_leftovers(e2e: dict[str, Any]) -> None:
    env = e2e["env"]
    assert not env["errors"], env["errors"]
    assert env["deployed"] >= 40 and env["deployed"] < env["planned"]
    proof = _read(e2e, "destroy.json")
    assert proof["clean"], proof
    assert proof["state_addresses"] == [] and proof["leftovers"] == [] and proof["not_listed"] == {}
    assert proof["listed"]["kms"] >= 1 and proof["listed"]["lambda"] == 0  # keys stay, scheduled for deletion; functions are gone
    assert e2e["summary"]["passed"], e2e["summary"]


def test_controls_pass_on_the_deployed_state_as_on_the_plan(e2e: dict[str, Any]) -> None:
    findings = _read(e2e, "findings.json")
    assert findings["controls"]["state_fail"] == []
    by_control: dict[str, set[str]] = {}
    for f in findings["state_findings"]:
        by_control.setdefault(f["control"], set()).add(f["status"])
    for control in ("S2", "E1", "K1", "T1", "E5", "N1", "N5", "L3"):  # rotation, keys, force_ssl, private subnets, default SG, flow logs
        assert by_control.get(control) == {PASS}, (control, by_control.get(control))


def test_drift_lists_what_was_not_deployed_and_why(e2e: dict[str, Any]) -> None:
    drift = _read(e2e, "drift.json")
    assert drift["not_planned"] == []
    assert any(a.startswith("module.ecs.") for a in drift["not_deployed"])
    assert not any(a.startswith(("module.aurora.", "module.secrets.")) for a in drift["not_deployed"])
    assert set(drift["not_deployed"].values()) == {"outside the bounded subset"}


def test_runtime_evidence_from_the_endpoint(e2e: dict[str, Any]) -> None:
    found = _read(e2e, "runtime.json")
    assert all(f["evidence"] == runtime.RUNTIME for f in found)
    seen = {(f["control"], f["attribute"]): f["status"] for f in found}
    for key in (("S2", "RotationEnabled"), ("S2", "LastRotatedDate"), ("S2", "RotationLambdaARN"), ("K1", "KeyRotationEnabled")):
        assert seen.get(key) == PASS, (key, seen.get(key))
    for key in (("E1", "StorageEncrypted"), ("E1", "KmsKeyId"), ("T1", "rds.force_ssl")):
        assert seen.get(key) == PASS, (key, seen.get(key))


def test_the_aurora_drill_flips_the_writer_and_says_what_only_aws_exercises(e2e: dict[str, Any]) -> None:
    journal = _read(e2e, "drill.json")["aurora"]
    assert journal["writer"]["flipped"] and journal["writer"]["before"] != journal["writer"]["after"]
    safety = next(s for s in journal["run"] if s["activity"] == "safety")["output"]
    assert "--confirm" in safety["without --confirm"] and "not allowed" in safety["without the allow tag"]
    assert safety["confirmed and tagged"] == "allowed"
    assert journal["verdict"]["passed"] is False and journal["verdict"]["time_to_promote_s"] is not None
    assert any("probe" in part for part in journal["aws_only"])
