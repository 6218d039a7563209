"""Identity controls (I, S): least privilege, container hardening, secrets and their rotation."""

from __future__ import annotations

from typing import Any

from tapguard.controls import FAIL
from tests.conftest import set_after
from tests.controls.violations import AURORA, TASK_API, Violations, add, containers, evaluate, policy, violation_tests

VIOLATIONS: Violations = {
    "I1": (
        "eu-west-1",
        lambda d: policy(d, "module.network.aws_iam_role_policy.flow", {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}),
        "aws_iam_role_policy.flow",
    ),
    "I2": ("eu-west-1", lambda d: containers(d, TASK_API, lambda c: c.update(readonlyRootFilesystem=False)), TASK_API),
    "I3": ("eu-west-1", lambda d: set_after(d, AURORA, "iam_database_authentication_enabled", False), AURORA),
    "I4": (
        "eu-west-1",
        lambda d: set_after(d, 'module.api.aws_api_gateway_method.this["create"]', "authorization", "NONE"),
        'aws_api_gateway_method.this["create"]',
    ),
    "S1": (
        "eu-west-1",
        lambda d: containers(d, TASK_API, lambda c: c["environment"].append({"name": "DB_PASSWORD", "value": "hunter2"})),
        TASK_API,
    ),
    "S2": (
        "eu-west-1",
        lambda d: set_after(
            d, 'module.secrets.aws_secretsmanager_secret_rotation.this["redis_auth"]', "rotation_rules", [{"automatically_after_days": 90}]
        ),
        'rotation.this["redis_auth"]',
    ),
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)


def test_existing_secrets_only_in_us_west_2(fresh: Any) -> None:
    data = fresh("us-west-2")
    add(data, "aws_secretsmanager_secret.rogue", "aws_secretsmanager_secret", {"name": "secret-rogue-dev", "recovery_window_in_days": 0})
    failed = [f for f in evaluate("us-west-2", data, "S2") if f.status == FAIL]
    assert any(f.address == "aws_secretsmanager_secret.rogue" and "must only read" in f.message for f in failed)
