"""Lifecycle controls (D, NM): destroyable stacks and naming."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tapguard.controls import FAIL, UNKNOWN
from tests.conftest import set_after
from tests.controls.violations import AURORA, LOG_FLOW, Violations, evaluate, violation_tests

VIOLATIONS: Violations = {
    "D2": ("eu-west-1", lambda d: set_after(d, AURORA, "deletion_protection", True), AURORA),
    "D3": (
        "eu-west-1",
        lambda d: set_after(d, 'module.kms.aws_kms_key.this["logs"]', "deletion_window_in_days", 30),
        'aws_kms_key.this["logs"]',
    ),
    "D4": ("eu-west-1", lambda d: set_after(d, LOG_FLOW, "skip_destroy", True), LOG_FLOW),
    "NM1": (
        "eu-west-1",
        lambda d: set_after(d, "module.aurora.aws_security_group.this", "name", "sg-aurora"),
        "module.aurora.aws_security_group.this",
    ),
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)


def test_prevent_destroy_in_hcl_fails_d1(tmp_path: Path, fresh: Any) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "keep" {\n  bucket = "x"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n'
    )
    findings = evaluate("eu-west-1", fresh("eu-west-1"), "D1", hcl_dirs=[tmp_path])
    failed = [f for f in findings if f.status == FAIL]
    assert failed and "main.tf:1 aws_s3_bucket.keep" in failed[0].address


def test_d1_without_hcl_is_unknown_not_pass(fresh: Any) -> None:
    findings = evaluate("eu-west-1", fresh("eu-west-1"), "D1", hcl_dirs=[])
    assert [f.status for f in findings] == [UNKNOWN]
