"""Lifecycle controls (D, NM) at their edges: the last compliant value passes, the first one past it fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import FAIL, PASS
from tests.conftest import set_after
from tests.controls.violations import AURORA, TASK_API, Boundary, boundary_tests, evaluate

AURORA_SG = "module.aurora.aws_security_group.this"
LOGS_KEY = 'module.kms.aws_kms_key.this["logs"]'

BOUNDARIES: dict[str, Boundary] = {
    # no skipped final snapshot is fine when the snapshot has a name; neither skipped nor named fails
    "D2": Boundary(
        "eu-west-1",
        lambda d: (
            set_after(d, AURORA, "skip_final_snapshot", False),
            set_after(d, AURORA, "final_snapshot_identifier", "aurora-final-dev"),
        ),
        lambda d: (set_after(d, AURORA, "skip_final_snapshot", False), set_after(d, AURORA, "final_snapshot_identifier", None)),
        AURORA,
    ),
    # AWS's shortest deletion window, 7 days, passes; 8 fail
    "D3": Boundary(
        "eu-west-1",
        lambda d: set_after(d, LOGS_KEY, "deletion_window_in_days", 7),
        lambda d: set_after(d, LOGS_KEY, "deletion_window_in_days", 8),
        'aws_kms_key.this["logs"]',
    ),
    # skip_destroy false passes; true on a task definition (not only a log group) fails
    "D4": Boundary(
        "eu-west-1",
        lambda d: set_after(d, TASK_API, "skip_destroy", False),
        lambda d: set_after(d, TASK_API, "skip_destroy", True),
        TASK_API,
    ),
    # the suffix as the last token passes; the suffix as the start of a longer word fails
    "NM1": Boundary(
        "eu-west-1",
        lambda d: set_after(d, AURORA_SG, "name", "secgrp-x-dev"),
        lambda d: set_after(d, AURORA_SG, "name", "secgrp-aurora-development"),
        AURORA_SG,
    ),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)

# D1 reads the HCL (prevent_destroy is not in plan JSON): its edges are HCL, evaluated with the real plan beside them
KEEP = 'resource "aws_s3_bucket" "keep" {{\n  bucket = "x"\n  lifecycle {{\n    prevent_destroy = {value}\n  }}\n}}\n'
HCL_BOUNDARIES: dict[str, tuple[str, str]] = {"D1": (KEEP.format(value="false"), KEEP.format(value="true"))}


@pytest.mark.parametrize(("edge", "status"), [(0, PASS), (1, FAIL)], ids=["false-passes", "true-fails"])
def test_d1_prevent_destroy_false_passes_and_true_fails(edge: int, status: str, tmp_path: Path, fresh: Any) -> None:
    (tmp_path / "main.tf").write_text(HCL_BOUNDARIES["D1"][edge])
    findings = evaluate("eu-west-1", fresh("eu-west-1"), "D1", hcl_dirs=[tmp_path])
    assert [(f.status, f.address) for f in findings] == [(status, "main.tf:1 aws_s3_bucket.keep")]
