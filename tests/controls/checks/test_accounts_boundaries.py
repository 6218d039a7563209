"""The account control (AC1) at its edge: a name one character apart passes, the same account-wide name fails."""

from __future__ import annotations

from typing import Any

from tests.controls.violations import Boundary, add, boundary_tests

TAKEN = "role-apigwlogs-eu-west-1-dev"  # module.api.aws_iam_role.cloudwatch's name in the real plan


def role(data: dict[str, Any], name: str) -> None:
    add(data, "aws_iam_role.extra", "aws_iam_role", {"name": name, "assume_role_policy": "{}"})


BOUNDARIES: dict[str, Boundary] = {
    "AC1": Boundary("eu-west-1", lambda d: role(d, TAKEN + "2"), lambda d: role(d, TAKEN), "aws_iam_role.extra"),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)
