"""Availability controls (R, B): multi-AZ, backups, failover and blue/green budgets."""

from __future__ import annotations

from tests.conftest import remove, set_after
from tests.controls.violations import AURORA, REDIS, Violations, violation_tests

VIOLATIONS: Violations = {
    "R1": (
        "eu-west-1",
        lambda d: remove(
            d,
            lambda rc: (
                rc["address"] in ("module.aurora.aws_rds_cluster_instance.this[1]", "module.aurora.aws_rds_cluster_instance.this[2]")
            ),
        ),
        AURORA,
    ),
    "R2": ("eu-west-1", lambda d: set_after(d, AURORA, "backup_retention_period", 1), AURORA),
    "R3": ("eu-west-1", lambda d: set_after(d, REDIS, "automatic_failover_enabled", False), REDIS),
    "R4": ("eu-west-1", lambda d: set_after(d, REDIS, "snapshot_retention_limit", 0), REDIS),
    "R5": (
        "eu-west-1",
        lambda d: remove(d, lambda rc: rc["type"] == "aws_efs_mount_target" and not rc["address"].endswith('["0"]')),
        "aws_efs_file_system.this",
    ),
    "R6": (
        "eu-west-1",
        lambda d: set_after(d, "module.efs.aws_efs_backup_policy.this", "backup_policy", [{"status": "DISABLED"}]),
        "aws_efs_file_system.this",
    ),
    "R7": (
        "eu-west-1",
        lambda d: remove(d, lambda rc: rc["address"] == 'module.network.aws_nat_gateway.this["eu-west-1c"]'),
        "(aws_nat_gateway)",
    ),
    "R8": (
        "eu-west-1",
        lambda d: set_after(d, 'module.ecs.aws_ecs_service.this["api"]', "desired_count", 1),
        'aws_ecs_service.this["api"]',
    ),
    "B1": (
        "eu-west-1",
        lambda d: set_after(d, 'module.ecs.aws_ecs_service.this["api"]', "deployment_controller", [{"type": "ECS"}]),
        'aws_ecs_service.this["api"]',
    ),
    "B2": (
        "eu-west-1",
        lambda d: set_after(
            d, 'module.ecs.aws_codedeploy_deployment_group.this["api"]', "auto_rollback_configuration", [{"enabled": False, "events": []}]
        ),
        'aws_codedeploy_deployment_group.this["api"]',
    ),
    "B3": (
        "eu-west-1",
        lambda d: set_after(d, 'module.ecs.aws_lb_target_group.this["apigreen"]', "deregistration_delay", "300"),
        'aws_lb_target_group.this["apigreen"]',
    ),
    "R9": (
        "eu-west-1",
        lambda d: set_after(d, 'module.kinesis.aws_kinesis_stream.this["ingest"]', "shard_count", 1),
        'kinesis_stream.this["ingest"]',
    ),
    "R10": (
        "eu-west-1",
        lambda d: set_after(d, "module.api.aws_api_gateway_method_settings.this", "settings.0.throttling_rate_limit", -1),
        "aws_api_gateway_method_settings.this",
    ),
    "R11": (
        "eu-west-1",
        lambda d: d["configuration"]["provider_config"]["aws"]["expressions"]["region"].update(constant_value="us-east-1"),
        "provider.aws",
    ),
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)
