"""checkov as a second opinion: a crash is an error, a foreign plan's failures stay failures, and a failure is
'unverifiable at plan' only when the HCL scan passed the same resource and the failing attribute is unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import checkov, engine, waivers
from tapguard.controls.checkov import CheckovResult
from tapguard.planning.admitted import AdmittedPlan

pytestmark = pytest.mark.skipif(checkov.binary() is None, reason="checkov is not installed")


def test_a_checkov_crash_is_an_error_not_zero_findings(tmp_path: Path) -> None:
    reports, error = checkov._run(["--framework", "no-such-framework", "-d", "."], tmp_path)  # real checkov, exit 2
    assert reports == [] and error is not None and "exited 2" in error
    result = checkov._fold("plan:x", reports, error, engine.catalogue(), waivers.load(None, list(engine.catalogue())), "x")
    result.failed.append(checkov._error_entry(result.scope, error))
    assert result.errored and result.gate_failures and "ERROR" in result.summary_line()
    assert [i["status"] for i in result.items()] == ["error"]


def test_a_foreign_plans_failures_are_never_reconciled_away(tmp_path: Path, plan_data: dict[str, Any], root: Path) -> None:
    data = plan_data["ci-identity"]
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(data))
    catalogue = engine.catalogue()
    result = checkov.scan_plan("someone-elses", path, root, catalogue, waivers.load(None, list(catalogue)), None)
    assert not result.errored
    assert not [f for f in result.failed if f["status"] == "unverifiable_at_plan"]


def test_reconciliation_needs_an_hcl_pass_and_an_unknown_attribute(tmp_path: Path) -> None:
    plan = {
        "resource_changes": [
            {"address": "aws_cloudwatch_log_group.a", "change": {"after_unknown": {"kms_key_id": True}}},
            {"address": "aws_cloudwatch_log_group.b", "change": {"after_unknown": {}}},
        ]
    }
    plan["format_version"] = "1.2"
    for rc in plan["resource_changes"]:
        rc.update(type="aws_cloudwatch_log_group", name=rc["address"].rsplit(".", 1)[1], mode="managed")
        rc["change"].update(actions=["create"], after={})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    unknown = AdmittedPlan.given("scratch", path).unknowns()  # from the plan's one parsed model
    assert checkov._is_unknown(unknown["aws_cloudwatch_log_group.a"], "kms_key_id")
    assert not checkov._is_unknown(unknown["aws_cloudwatch_log_group.b"], "kms_key_id")
    assert checkov._is_unknown({"rule": [{"kms": True}]}, "rule/[0]/kms")
    hcl = CheckovResult("hcl", available=True)
    hcl.passed_keys.add(("CKV_AWS_158", "aws_cloudwatch_log_group.a"))
    assert ("CKV_AWS_158", "aws_cloudwatch_log_group.b") not in hcl.passed_keys


# ---------------------------------------------------------------- one rule: checkov's failure of a mapped control fails it


def _assessed(root: Path, plan: Path, name: str, use_checkov: bool, skipped: dict[str, str] | None = None) -> Any:
    from tapguard.controls import assessment

    return assessment.assess(root, [], {name: plan}, None, use_checkov=use_checkov, skipped=skipped)


def _entry(check_id: str, controls: list[str], status: str = "failed", resource: str = "aws_kms_key.x") -> dict[str, Any]:
    return {
        "check_id": check_id,
        "check_name": "a check",
        "resource": resource,
        "controls": controls,
        "status": status,
        "evaluated_keys": ["k"],
    }


def test_a_mapped_checkov_failure_fails_its_control_and_the_verdict(tmp_path: Path, plan_data: dict[str, Any], root: Path) -> None:
    from tapguard.cli import outputs
    from tapguard.controls import assessment
    from tapguard.evidence import markdown

    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_data["eu-west-1"]))
    run = _assessed(root, path, "elsewhere", use_checkov=False)
    env = run.environments[0]
    assert env.status_of("K1") == "pass" and not run.failed
    scan = CheckovResult("plan:elsewhere", available=True, failed=[_entry("CKV_AWS_7", ["K1"])])
    run.checkov.append(scan)
    assessment.checkov_findings(run)
    assert env.status_of("K1") == "fail" and run.failed
    assert [f.control for f in outputs.failures(run)] == ["K1"]  # through the control, not twice
    assert "❌ **FAIL**" in markdown.header(run)[0]  # never a ❌ under a ✅


def test_a_waived_checkov_failure_shows_waived_with_its_waiver(tmp_path: Path, plan_data: dict[str, Any], root: Path) -> None:
    from tapguard.controls import assessment

    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_data["eu-west-1"]))
    run = _assessed(root, path, "elsewhere", use_checkov=False)
    waiver = {"reason": "accepted until the key moves", "owner": "team", "ticket": "SEC-1", "expires": "2099-01-01"}
    run.checkov.append(
        CheckovResult("plan:elsewhere", available=True, failed=[{**_entry("CKV_AWS_7", ["K1"], "waived"), "waiver": waiver}])
    )
    assessment.checkov_findings(run)
    env = run.environments[0]
    assert env.status_of("K1") == "waived" and not run.failed
    assert [f.waiver for f in env.findings_of("K1") if f.waiver] == [waiver]


def test_unmapped_and_hcl_failures_gate_unless_their_controls_are_skipped(tmp_path: Path, plan_data: dict[str, Any], root: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_data["eu-west-1"]))
    run = _assessed(root, path, "elsewhere", use_checkov=False, skipped={"K1": "--skip-check"})
    run.checkov.append(CheckovResult("plan:elsewhere", available=True, failed=[_entry("CKV_AWS_999", [])]))
    assert run.failed and [item["check_id"] for _, item in run.checkov_gate] == ["CKV_AWS_999"]
    run.checkov[:] = [CheckovResult("hcl", available=True, failed=[_entry("CKV_AWS_7", ["K1"])])]
    assert not run.checkov_gate and not run.failed  # mapped only to a skipped control: skipped with it
    run.checkov[:] = [CheckovResult("hcl", available=True, failed=[_entry("CKV_AWS_16", ["E1"])])]
    assert run.failed


def test_checkov_failing_a_policy_tapguard_passes_fails_the_verdict(tmp_path: Path, plan_data: dict[str, Any], root: Path) -> None:
    # ci-identity's case, pinned: a read-only action that IAM can scope to resources, granted on "*"
    from tests.conftest import set_after

    data = json.loads(json.dumps(plan_data["ci-identity"]))
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["rds:DescribeDBInstances"], "Resource": "*"}]}
    set_after(data, "aws_iam_role_policy.drill", "policy", json.dumps(policy))
    # checkov reads planned_values (tapguard reads resource_changes): the policy goes into both, as terraform writes it
    stack = [data["planned_values"]["root_module"]]
    while stack:
        module = stack.pop()
        stack.extend(module.get("child_modules") or [])
        for resource in module.get("resources") or []:
            if resource["address"] == "aws_iam_role_policy.drill":
                resource["values"]["policy"] = json.dumps(policy)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    run = _assessed(root, path, "elsewhere", use_checkov=True)
    env = run.environments[0]
    mine = [f for f in env.findings_of("I1") if f.address == "aws_iam_role_policy.drill" and not f.message.startswith("checkov ")]
    assert mine and all(f.status == "pass" for f in mine)  # tapguard's own I1 passes the policy
    theirs = [f for f in env.findings_of("I1") if f.message.startswith("checkov CKV_AWS_355")]
    assert "aws_iam_role_policy.drill" in [f.address for f in theirs]
    assert env.status_of("I1") == "fail" and run.failed
