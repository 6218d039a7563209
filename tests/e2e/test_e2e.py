"""End to end on the embedded endpoint, bounded for the test command: the real us-west-2 stack is
planned whole, and its network, secrets and Aurora modules (with everything they depend on: the keys,
the application's security group) are applied with the real terraform and provider, checked as deployed,
drilled, destroyed, and proven gone. `nox -s e2e` deploys every stack whole."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import FAIL, PASS
from tapguard.e2e import endpoint as deploy_endpoint
from tapguard.e2e import leftovers, run, runtime, state
from tapguard.e2e.deploy import Workspace
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project, toolchain

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


# ---------------------------------------------------------------- the checks can fail


@pytest.fixture(scope="module")
def endpoint() -> Iterator[deploy_endpoint.DeployEndpoint]:
    with deploy_endpoint.DeployEndpoint.serving() as ep:
        yield ep


def test_a_tagged_resource_left_behind_is_found_by_name(endpoint: deploy_endpoint.DeployEndpoint) -> None:
    logs = endpoint.client("logs", "us-west-2")
    logs.create_log_group(logGroupName="/left/behind", tags={"Stack": "us-west-2"})
    proof = leftovers.prove_empty(lambda s: endpoint.client(s, "us-west-2"), ("Stack", "us-west-2"), [], ["logs", "lambda"])
    assert not proof.clean
    assert proof.leftovers == [{"service": "logs", "kind": "log group", "id": "/left/behind"}]


def test_runtime_checks_fail_on_a_key_without_rotation(endpoint: deploy_endpoint.DeployEndpoint) -> None:
    kms = endpoint.client("kms", "us-west-2")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    deployed = {
        "values": {
            "root_module": {
                "resources": [
                    {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "values": {"key_id": key}}
                ]
            }
        }
    }
    found = runtime.Checker("t", deployed, lambda s: endpoint.client(s, "us-west-2")).run()
    rotation = next(f for f in found if f.attribute == "KeyRotationEnabled")
    assert rotation.status == FAIL and rotation.address == "aws_kms_key.k"


def test_apply_past_its_budget_names_what_is_pending(endpoint: deploy_endpoint.DeployEndpoint, tmp_path: Path) -> None:
    """An endpoint that stops answering (SIGSTOP) during the apply: the budget runs out and the error names
    the resources terraform was still creating; once it answers again, destroy empties the state."""
    env = project.load_environment(ROOT / "tests" / "fixtures" / "small", "small")
    tools = toolchain.discover(project.state_dir(ROOT))
    ws = Workspace(env, tmp_path / "small", tools, endpoint.env(), [], {"db_password": "fixture-only-value"})
    ws.init()
    assert endpoint.process is not None
    pid = endpoint.process.pid

    def freeze_when_waiting() -> None:
        deadline = time.monotonic() + 55
        while time.monotonic() < deadline and "Creating..." not in ws.log.read_text():
            time.sleep(0.02)
        os.kill(pid, signal.SIGSTOP)

    freezer = threading.Thread(target=freeze_when_waiting, daemon=True)
    freezer.start()
    try:
        with pytest.raises(TapguardError, match=r"did not finish within 60 s; still pending: .*aws_kms_key\.this"):
            ws.apply([], 60)
    finally:
        freezer.join(timeout=1)
        os.kill(pid, signal.SIGCONT)
    ws.destroy(180)
    assert ws.state_addresses() == []


def test_state_loads_as_a_plan_with_every_value_known(endpoint: deploy_endpoint.DeployEndpoint) -> None:
    plan = {"format_version": "1.2", "resource_changes": [], "configuration": {"root_module": {}}}
    deployed = {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_kms_key.k",
                        "mode": "managed",
                        "type": "aws_kms_key",
                        "name": "k",
                        "values": {"enable_key_rotation": True},
                    }
                ],
                "child_modules": [
                    {
                        "address": "module.m",
                        "resources": [
                            {"address": "module.m.aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b", "values": {}}
                        ],
                    }
                ],
            }
        },
    }
    loaded = state.load(deployed, plan, "t")
    assert sorted(r.address for r in loaded.resources) == ["aws_kms_key.k", "module.m.aws_s3_bucket.b"]
    key = loaded.by_address["aws_kms_key.k"]
    assert key.get("enable_key_rotation") is True and not key.is_unknown("enable_key_rotation")
    assert loaded.by_address["module.m.aws_s3_bucket.b"].module == "module.m"
