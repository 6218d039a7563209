"""Availability controls (R, B) at their edges: the last compliant value passes, the first one past it fails."""

from __future__ import annotations

from typing import Any

from tests.conftest import remove, set_after
from tests.controls.violations import AURORA, REDIS, Boundary, boundary_tests

INSTANCES = "module.aurora.aws_rds_cluster_instance.this"
API = 'module.ecs.aws_ecs_service.this["api"]'
PROCESSOR = 'module.ecs.aws_ecs_service.this["processor"]'
DEPLOY_API = 'module.ecs.aws_codedeploy_deployment_group.this["api"]'
GREEN = 'module.ecs.aws_lb_target_group.this["apigreen"]'
INGEST = 'module.kinesis.aws_kinesis_stream.this["ingest"]'
METHOD_SETTINGS = "module.api.aws_api_gateway_method_settings.this"
BACKUP = "module.efs.aws_efs_backup_policy.this"
WAIT = "blue_green_deployment_config.0.terminate_blue_instances_on_deployment_success.0.termination_wait_time_in_minutes"


def region(data: dict[str, Any], value: str | None) -> None:
    expressions = data["configuration"]["provider_config"]["aws"]["expressions"]
    if value is None:
        expressions.pop("region")
    else:
        expressions["region"] = {"constant_value": value}


def nat_gateways(data: dict[str, Any], keep: int) -> None:
    mine = sorted(rc["address"] for rc in data["resource_changes"] if rc["type"] == "aws_nat_gateway")
    remove(data, lambda rc: rc["address"] in mine[keep:])


BOUNDARIES: dict[str, Boundary] = {
    # two instances in two AZs are enough; two instances sharing one AZ are not
    "R1": Boundary(
        "eu-west-1",
        lambda d: remove(d, lambda rc: rc["address"] == f"{INSTANCES}[2]"),
        lambda d: (
            remove(d, lambda rc: rc["address"] == f"{INSTANCES}[2]"),
            set_after(d, f"{INSTANCES}[1]", "availability_zone", "eu-west-1a"),
        ),
        AURORA,
    ),
    # PCI's 7 days pass, 6 fail
    "R2": Boundary(
        "eu-west-1",
        lambda d: set_after(d, AURORA, "backup_retention_period", 7),
        lambda d: set_after(d, AURORA, "backup_retention_period", 6),
        AURORA,
    ),
    # two nodes (a primary and one replica) pass; one fails
    "R3": Boundary(
        "eu-west-1", lambda d: set_after(d, REDIS, "num_cache_clusters", 2), lambda d: set_after(d, REDIS, "num_cache_clusters", 1), REDIS
    ),
    # one day of snapshots passes; unset (no snapshots) fails
    "R4": Boundary(
        "eu-west-1",
        lambda d: set_after(d, REDIS, "snapshot_retention_limit", 1),
        lambda d: set_after(d, REDIS, "snapshot_retention_limit", None),
        REDIS,
    ),
    # regional (availability_zone_name unset) passes; One Zone fails
    "R5": Boundary(
        "eu-west-1",
        lambda d: set_after(d, "module.efs.aws_efs_file_system.this", "availability_zone_name", None),
        lambda d: set_after(d, "module.efs.aws_efs_file_system.this", "availability_zone_name", "eu-west-1a"),
        "aws_efs_file_system.this",
    ),
    "R6": Boundary(
        "eu-west-1",
        lambda d: set_after(d, BACKUP, "backup_policy", [{"status": "ENABLED"}]),
        lambda d: set_after(d, BACKUP, "backup_policy", [{"status": None}]),
        "aws_efs_file_system.this",
    ),
    # a NAT gateway in each of the three AZs passes; two fail
    "R7": Boundary("eu-west-1", lambda d: nat_gateways(d, 3), lambda d: nat_gateways(d, 2), "(aws_nat_gateway)"),
    # two tasks pass; unset (ECS's default: none) fails
    "R8": Boundary(
        "eu-west-1",
        lambda d: set_after(d, API, "desired_count", 2),
        lambda d: set_after(d, API, "desired_count", None),
        'aws_ecs_service.this["api"]',
    ),
    # a worker keeping 100 % healthy during a deployment passes; 99 % fails
    "B1": Boundary(
        "eu-west-1",
        lambda d: set_after(d, PROCESSOR, "deployment_minimum_healthy_percent", 100),
        lambda d: set_after(d, PROCESSOR, "deployment_minimum_healthy_percent", 99),
        'aws_ecs_service.this["processor"]',
    ),
    # the old task set kept 5 minutes passes; 4 fail
    "B2": Boundary(
        "eu-west-1",
        lambda d: set_after(d, DEPLOY_API, WAIT, 5),
        lambda d: set_after(d, DEPLOY_API, WAIT, 4),
        'aws_codedeploy_deployment_group.this["api"]',
    ),
    # drain 10 s + 2 x 10 s healthy = 30 s, the budget exactly; 11 s of drain is one second over
    "B3": Boundary(
        "eu-west-1",
        lambda d: set_after(d, GREEN, "deregistration_delay", "10"),
        lambda d: set_after(d, GREEN, "deregistration_delay", "11"),
        'aws_lb_target_group.this["apigreen"]',
    ),
    # 100,000 records/min need 2 shards: 3 (with headroom) pass, exactly 2 fail
    "R9": Boundary(
        "eu-west-1",
        lambda d: set_after(d, INGEST, "shard_count", 3),
        lambda d: set_after(d, INGEST, "shard_count", 2),
        'kinesis_stream.this["ingest"]',
    ),
    # peak 1,667/s + 20 % = 2,000/s: 2000 passes, 1999 fails
    "R10": Boundary(
        "eu-west-1",
        lambda d: set_after(d, METHOD_SETTINGS, "settings.0.throttling_rate_limit", 2000),
        lambda d: set_after(d, METHOD_SETTINGS, "settings.0.throttling_rate_limit", 1999),
        "aws_api_gateway_method_settings.this",
    ),
    # the profile's region as a constant passes; no region in the provider block fails
    "R11": Boundary("eu-west-1", lambda d: region(d, "eu-west-1"), lambda d: region(d, None), "provider.aws"),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)
