"""Identity controls (I, S) at their edges: the last compliant value passes, the first one past it fails."""

from __future__ import annotations

from tests.conftest import set_after
from tests.controls.violations import AURORA, TASK_API, Boundary, boundary_tests, containers, policy

FLOW_POLICY = "module.network.aws_iam_role_policy.flow"
CREATE = 'module.api.aws_api_gateway_method.this["create"]'
REDIS_ROTATION = 'module.secrets.aws_secretsmanager_secret_rotation.this["redis_auth"]'


def statement(action: str) -> dict[str, object]:
    return {"Sid": "Logs", "Effect": "Allow", "Action": [action], "Resource": "arn:aws:logs:eu-west-1:111122223333:log-group:flowlog-*"}


BOUNDARIES: dict[str, Boundary] = {
    # one named action passes; the service wildcard (logs:*) fails like * does
    "I1": Boundary(
        "eu-west-1",
        lambda d: policy(d, FLOW_POLICY, statement("logs:PutLogEvents")),
        lambda d: policy(d, FLOW_POLICY, statement("logs:*")),
        "aws_iam_role_policy.flow",
    ),
    # a numeric non-root uid passes; uid 0 (root by number) fails
    "I2": Boundary(
        "eu-west-1",
        lambda d: containers(d, TASK_API, lambda c: c.update(user="1000")),
        lambda d: containers(d, TASK_API, lambda c: c.update(user="0")),
        TASK_API,
    ),
    "I3": Boundary(
        "eu-west-1",
        lambda d: set_after(d, AURORA, "iam_database_authentication_enabled", True),
        lambda d: set_after(d, AURORA, "iam_database_authentication_enabled", None),
        AURORA,
    ),
    # only a CORS preflight (OPTIONS) may go without an authorizer; a POST with authorization unset fails
    "I4": Boundary(
        "eu-west-1",
        lambda d: (set_after(d, CREATE, "authorization", "NONE"), set_after(d, CREATE, "http_method", "OPTIONS")),
        lambda d: (set_after(d, CREATE, "authorization", None), set_after(d, CREATE, "api_key_required", False)),
        'aws_api_gateway_method.this["create"]',
    ),
    # a variable whose name only looks like configuration passes; an API key in plain text fails
    "S1": Boundary(
        "eu-west-1",
        lambda d: containers(d, TASK_API, lambda c: c["environment"].append({"name": "DB_HOST", "value": "aurora-ledger-dev"})),
        lambda d: containers(d, TASK_API, lambda c: c["environment"].append({"name": "PSP_API_KEY", "value": "k"})),
        TASK_API,
    ),
    # the profile's 30 days pass, 31 fail
    "S2": Boundary(
        "eu-west-1",
        lambda d: set_after(
            d, REDIS_ROTATION, "rotation_rules", [{"automatically_after_days": 30, "duration": None, "schedule_expression": None}]
        ),
        lambda d: set_after(
            d, REDIS_ROTATION, "rotation_rules", [{"automatically_after_days": 31, "duration": None, "schedule_expression": None}]
        ),
        'rotation.this["redis_auth"]',
    ),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)
