"""checkov as a second opinion: a crash is an error, a foreign plan's failures stay failures, and a failure is
'unverifiable at plan' only when the HCL scan passed the same resource and the failing attribute is unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import checkov, engine, waivers
from tapguard.controls.checkov import CheckovResult

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
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    unknown = checkov._unknown_paths(path)
    assert checkov._is_unknown(unknown["aws_cloudwatch_log_group.a"], "kms_key_id")
    assert not checkov._is_unknown(unknown["aws_cloudwatch_log_group.b"], "kms_key_id")
    assert checkov._is_unknown({"rule": [{"kms": True}]}, "rule/[0]/kms")
    hcl = CheckovResult("hcl", available=True)
    hcl.passed_keys.add(("CKV_AWS_158", "aws_cloudwatch_log_group.a"))
    assert ("CKV_AWS_158", "aws_cloudwatch_log_group.b") not in hcl.passed_keys
