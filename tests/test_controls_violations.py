"""Every control fails on a targeted violation of the real plan, naming its requirement and the
resource; and no control passes when the resources it needs are missing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tapguard import controls
from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN
from tests.conftest import change, drop_reference, load, remove, set_after

Mutation = Callable[[dict[str, Any]], None]


def _containers(data: dict[str, Any], address: str, edit: Callable[[dict[str, Any]], None]) -> None:
    defs = json.loads(change(data, address)["after"]["container_definitions"])
    for c in defs:
        edit(c)
    set_after(data, address, "container_definitions", json.dumps(defs))


def _policy(data: dict[str, Any], address: str, statement: dict[str, Any]) -> None:
    set_after(data, address, "policy", json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def _add(data: dict[str, Any], address: str, rtype: str, after: dict[str, Any]) -> None:
    data["resource_changes"].append(
        {
            "address": address,
            "mode": "managed",
            "type": rtype,
            "name": address.rsplit(".", maxsplit=1)[-1],
            "change": {"actions": ["create"], "after": after, "after_unknown": {}, "after_sensitive": {}},
        }
    )


AURORA = "module.aurora.aws_rds_cluster.this"
REDIS = "module.redis.aws_elasticache_replication_group.this"
TASK_API = 'module.ecs.aws_ecs_task_definition.this["api"]'
LOG_FLOW = "module.network.aws_cloudwatch_log_group.flow"

# control -> (environment, mutation, address the failure must name)
VIOLATIONS: dict[str, tuple[str, Mutation, str]] = {
    "N1": (
        "eu-west-1",
        lambda d: set_after(d, 'module.network.aws_subnet.private["eu-west-1a"]', "map_public_ip_on_launch", True),
        'aws_subnet.private["eu-west-1a"]',
    ),
    "N2": (
        "eu-west-1",
        lambda d: set_after(d, "module.aurora.aws_rds_cluster_instance.this[1]", "publicly_accessible", True),
        "aws_rds_cluster_instance.this[1]",
    ),
    "N3": (
        "eu-west-1",
        lambda d: set_after(d, 'module.aurora.aws_vpc_security_group_ingress_rule.postgres["app"]', "cidr_ipv4", "0.0.0.0/0"),
        'postgres["app"]',
    ),
    "N4": (
        "eu-west-1",
        lambda d: set_after(
            d,
            "module.aurora.aws_security_group.this",
            "egress",
            [{"protocol": "-1", "cidr_blocks": ["0.0.0.0/0"], "from_port": 0, "to_port": 0}],
        ),
        "module.aurora.aws_security_group.this",
    ),
    "N5": (
        "eu-west-1",
        lambda d: set_after(d, "module.network.aws_default_security_group.this", "ingress", [{"protocol": "-1", "self": True}]),
        "aws_default_security_group.this",
    ),
    "N6": (
        "eu-west-1",
        lambda d: remove(d, lambda rc: rc["type"] == "aws_wafv2_web_acl_association"),
        "module.api.aws_api_gateway_stage.this",
    ),
    "E1": ("eu-west-1", lambda d: set_after(d, AURORA, "storage_encrypted", False), AURORA),
    "E2": ("eu-west-1", lambda d: set_after(d, "module.efs.aws_efs_file_system.this", "encrypted", False), "aws_efs_file_system.this"),
    "E3": ("eu-west-1", lambda d: set_after(d, REDIS, "at_rest_encryption_enabled", "false"), REDIS),
    "E4": (
        "eu-west-1",
        lambda d: set_after(d, 'module.kinesis.aws_kinesis_stream.this["ingest"]', "encryption_type", "NONE"),
        'kinesis_stream.this["ingest"]',
    ),
    "E5": (
        "eu-west-1",
        lambda d: (
            drop_reference(d, "module.redis.aws_secretsmanager_secret.auth", "kms_key_id"),
            set_after(d, "module.redis.aws_secretsmanager_secret.auth[0]", "kms_key_id", "alias/aws/secretsmanager"),
        ),
        "aws_secretsmanager_secret.auth[0]",
    ),
    "E6": ("eu-west-1", lambda d: (drop_reference(d, LOG_FLOW, "kms_key_id"), set_after(d, LOG_FLOW, "kms_key_id", None)), LOG_FLOW),
    "E7": (
        "eu-west-1",
        lambda d: (
            set_after(d, "module.api.aws_api_gateway_stage.this", "cache_cluster_enabled", True),
            set_after(d, "module.api.aws_api_gateway_method_settings.this", "settings.0.cache_data_encrypted", False),
        ),
        "aws_api_gateway_stage.this",
    ),
    "K1": (
        "eu-west-1",
        lambda d: set_after(d, 'module.kms.aws_kms_key.this["aurora"]', "enable_key_rotation", False),
        'aws_kms_key.this["aurora"]',
    ),
    "K2": (
        "eu-west-1",
        lambda d: _policy(
            d,
            'module.kms.aws_kms_key.this["efs"]',
            {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        ),
        'aws_kms_key.this["efs"]',
    ),
    "T1": (
        "eu-west-1",
        lambda d: set_after(
            d,
            "module.aurora.aws_rds_cluster_parameter_group.this",
            "parameter",
            [
                p
                for p in change(d, "module.aurora.aws_rds_cluster_parameter_group.this")["after"]["parameter"]
                if p["name"] != "rds.force_ssl"
            ],
        ),
        "aws_rds_cluster_parameter_group.this",
    ),
    "T2": ("eu-west-1", lambda d: set_after(d, REDIS, "transit_encryption_enabled", False), REDIS),
    "T3": ("eu-west-1", lambda d: set_after(d, TASK_API, "volume.0.efs_volume_configuration.0.transit_encryption", "DISABLED"), TASK_API),
    "T4": (
        "eu-west-1",
        lambda d: (
            drop_reference(d, "module.api.aws_api_gateway_stage.this", "client_certificate_id"),
            set_after(d, "module.api.aws_api_gateway_stage.this", "client_certificate_id", None),
        ),
        "aws_api_gateway_stage.this",
    ),
    "L1": (
        "eu-west-1",
        lambda d: set_after(d, "module.observability.aws_cloudtrail.this", "is_multi_region_trail", False),
        "aws_cloudtrail.this",
    ),
    "L2": (
        "eu-west-1",
        lambda d: set_after(d, "module.observability.aws_cloudtrail.this", "enable_log_file_validation", False),
        "aws_cloudtrail.this",
    ),
    "L3": ("eu-west-1", lambda d: set_after(d, "module.network.aws_flow_log.this", "traffic_type", "REJECT"), "aws_flow_log.this"),
    "L4": (
        "eu-west-1",
        lambda d: set_after(d, "module.api.aws_api_gateway_method_settings.this", "settings.0.data_trace_enabled", True),
        "aws_api_gateway_method_settings.this",
    ),
    "L5": ("eu-west-1", lambda d: set_after(d, AURORA, "enabled_cloudwatch_logs_exports", []), AURORA),
    "L6": ("eu-west-1", lambda d: _containers(d, TASK_API, lambda c: c.pop("logConfiguration")), TASK_API),
    "L7": ("eu-west-1", lambda d: remove(d, lambda rc: rc["type"] == "aws_wafv2_web_acl_logging_configuration"), "aws_wafv2_web_acl.this"),
    "L8": ("eu-west-1", lambda d: set_after(d, LOG_FLOW, "retention_in_days", 30), LOG_FLOW),
    "L9": (
        "eu-west-1",
        lambda d: (
            drop_reference(d, "module.observability.aws_cloudwatch_metric_alarm.this", "alarm_actions"),
            set_after(d, 'module.observability.aws_cloudwatch_metric_alarm.this["aurora-cpu"]', "alarm_actions", []),
        ),
        'alarm.this["aurora-cpu"]',
    ),
    "L10": (
        "eu-west-1",
        lambda d: _add(d, "aws_guardduty_detector.this", "aws_guardduty_detector", {"enable": False}),
        "aws_guardduty_detector.this",
    ),
    "I1": (
        "eu-west-1",
        lambda d: _policy(d, "module.network.aws_iam_role_policy.flow", {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}),
        "aws_iam_role_policy.flow",
    ),
    "I2": ("eu-west-1", lambda d: _containers(d, TASK_API, lambda c: c.update(readonlyRootFilesystem=False)), TASK_API),
    "I3": ("eu-west-1", lambda d: set_after(d, AURORA, "iam_database_authentication_enabled", False), AURORA),
    "I4": (
        "eu-west-1",
        lambda d: set_after(d, 'module.api.aws_api_gateway_method.this["create"]', "authorization", "NONE"),
        'aws_api_gateway_method.this["create"]',
    ),
    "S1": (
        "eu-west-1",
        lambda d: _containers(d, TASK_API, lambda c: c["environment"].append({"name": "DB_PASSWORD", "value": "hunter2"})),
        TASK_API,
    ),
    "S2": (
        "eu-west-1",
        lambda d: set_after(
            d, 'module.secrets.aws_secretsmanager_secret_rotation.this["redis_auth"]', "rotation_rules", [{"automatically_after_days": 90}]
        ),
        'rotation.this["redis_auth"]',
    ),
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


def test_every_control_has_a_violation_test() -> None:
    assert set(VIOLATIONS) | {"D1"} == set(controls.catalogue())


def _evaluate(env: str, data: dict[str, Any], control_id: str, hcl_dirs: list[Path] | None = None) -> list[controls.Finding]:
    return controls.evaluate(env, load(data), hcl_dirs=hcl_dirs, only=[control_id])


@pytest.mark.parametrize("control_id", sorted(VIOLATIONS))
def test_control_passes_on_the_real_plan(control_id: str, fresh: Any) -> None:
    env = VIOLATIONS[control_id][0]
    findings = _evaluate(env, fresh(env), control_id)
    assert not [f for f in findings if f.status in (FAIL, UNKNOWN)], [f.describe() for f in findings if f.status != PASS]


@pytest.mark.parametrize("control_id", sorted(VIOLATIONS))
def test_control_fails_on_a_violating_plan(control_id: str, fresh: Any) -> None:
    env, mutate, address = VIOLATIONS[control_id]
    data = fresh(env)
    mutate(data)
    findings = _evaluate(env, data, control_id)
    failed = [f for f in findings if f.status == FAIL]
    assert failed, f"{control_id} did not fail on its violation"
    assert all(f.control == control_id for f in failed)
    assert any(address in f.address for f in failed), [f.address for f in failed]
    control = controls.catalogue()[control_id]
    text = failed[0].describe(control)
    assert control_id in text and env in text
    for requirement in control.requirements:
        assert requirement in text


def test_prevent_destroy_in_hcl_fails_d1(tmp_path: Path, fresh: Any) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "keep" {\n  bucket = "x"\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n'
    )
    findings = _evaluate("eu-west-1", fresh("eu-west-1"), "D1", hcl_dirs=[tmp_path])
    failed = [f for f in findings if f.status == FAIL]
    assert failed and "main.tf:1 aws_s3_bucket.keep" in failed[0].address


def test_d1_without_hcl_is_unknown_not_pass(fresh: Any) -> None:
    findings = _evaluate("eu-west-1", fresh("eu-west-1"), "D1", hcl_dirs=[])
    assert [f.status for f in findings] == [UNKNOWN]


@pytest.mark.parametrize("control_id", sorted(controls.catalogue()))
def test_control_never_passes_when_its_resources_are_missing(control_id: str, fresh: Any) -> None:
    data = fresh("eu-west-1")
    data["resource_changes"] = []
    data["prior_state"] = {}
    data["configuration"]["provider_config"] = {}
    findings = _evaluate("eu-west-1", data, control_id)
    assert findings
    assert not [f for f in findings if f.status == PASS], [f.describe() for f in findings]
    assert any(f.status in (FAIL, NOT_APPLICABLE, UNKNOWN) for f in findings)


def test_required_resource_missing_fails_where_the_profile_requires_it(fresh: Any) -> None:
    data = fresh("eu-west-1")
    remove(data, lambda rc: rc["type"] == "aws_kinesis_stream")
    findings = _evaluate("eu-west-1", data, "E4")
    assert [f.status for f in findings] == [FAIL]
    us = _evaluate("us-west-2", data, "E4")
    assert [f.status for f in us] == [NOT_APPLICABLE]


def test_existing_secrets_only_in_us_west_2(fresh: Any) -> None:
    data = fresh("us-west-2")
    _add(data, "aws_secretsmanager_secret.rogue", "aws_secretsmanager_secret", {"name": "secret-rogue-dev", "recovery_window_in_days": 0})
    failed = [f for f in _evaluate("us-west-2", data, "S2") if f.status == FAIL]
    assert any(f.address == "aws_secretsmanager_secret.rogue" and "must only read" in f.message for f in failed)


def test_a_crashing_check_is_a_failure_not_silence(fresh: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: controls.Context) -> list[controls.Finding]:
        raise RuntimeError("bug")

    monkeypatch.setitem(controls._CHECKS, "E1", boom)
    findings = _evaluate("eu-west-1", fresh("eu-west-1"), "E1")
    assert [(f.status, f.actual) for f in findings] == [(FAIL, "RuntimeError")]
