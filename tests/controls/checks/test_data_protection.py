"""Data protection controls (E, K, T): encryption at rest with CMKs, key rotation, TLS in transit."""

from __future__ import annotations

from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE
from tests.conftest import change, drop_reference, remove, set_after
from tests.controls.violations import AURORA, LOG_FLOW, REDIS, TASK_API, Violations, evaluate, policy, violation_tests

VIOLATIONS: Violations = {
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
        lambda d: policy(
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
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)


def test_required_resource_missing_fails_where_the_profile_requires_it(fresh: Any) -> None:
    data = fresh("eu-west-1")
    remove(data, lambda rc: rc["type"] == "aws_kinesis_stream")
    findings = evaluate("eu-west-1", data, "E4")
    assert [f.status for f in findings] == [FAIL]
    us = evaluate("us-west-2", data, "E4")
    assert [f.status for f in us] == [NOT_APPLICABLE]
