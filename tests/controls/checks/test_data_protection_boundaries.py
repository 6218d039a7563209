"""Data protection controls (E, K, T) at their edges: the last compliant value passes, the first one past it fails."""

from __future__ import annotations

from typing import Any

from tests.conftest import change, drop_reference, set_after
from tests.controls.violations import AURORA, LOG_FLOW, REDIS, TASK_API, Boundary, add, boundary_tests, policy

EFS = "module.efs.aws_efs_file_system.this"
INGEST = 'module.kinesis.aws_kinesis_stream.this["ingest"]'
STAGE = "module.api.aws_api_gateway_stage.this"
METHOD_SETTINGS = "module.api.aws_api_gateway_method_settings.this"
AURORA_KEY = 'module.kms.aws_kms_key.this["aurora"]'
EFS_KEY = 'module.kms.aws_kms_key.this["efs"]'
PARAMETERS = "module.aurora.aws_rds_cluster_parameter_group.this"
EFS_AUTH = "volume.0.efs_volume_configuration.0.authorization_config.0.iam"
EXISTING_SECRET = "data.aws_secretsmanager_secret.existing"
CMK_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def existing_secret(data: dict[str, Any], key: str | None) -> None:
    """A secret the stack reads (data source), encrypted with `key`."""
    add(data, EXISTING_SECRET, "aws_secretsmanager_secret", {"name": "secret-existing-dev", "kms_key_id": key})
    data["resource_changes"][-1]["mode"] = "data"
    data["resource_changes"][-1]["change"]["actions"] = ["read"]


def force_ssl(data: dict[str, Any], value: Any) -> None:
    params = [p for p in change(data, PARAMETERS)["after"]["parameter"] if p["name"] != "rds.force_ssl"]
    set_after(data, PARAMETERS, "parameter", [*params, {"name": "rds.force_ssl", "value": value, "apply_method": "pending-reboot"}])


def method_cache(data: dict[str, Any], encrypted: bool) -> None:
    settings = change(data, METHOD_SETTINGS)["after"]["settings"][0]
    set_after(data, METHOD_SETTINGS, "settings", [{**settings, "caching_enabled": True, "cache_data_encrypted": encrypted}])


def domain(data: dict[str, Any], security_policy: str) -> None:
    add(
        data,
        "aws_api_gateway_domain_name.pay",
        "aws_api_gateway_domain_name",
        {"domain_name": "pay.example.com", "security_policy": security_policy},
    )


def conditioned(principal: Any, condition: dict[str, Any] | None) -> dict[str, Any]:
    statement = {"Sid": "Edge", "Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}
    return {**statement, "Condition": condition} if condition else statement


VIA_SERVICE = {"StringEquals": {"kms:ViaService": "rds.eu-west-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}

BOUNDARIES: dict[str, Boundary] = {
    # encryption flags must be true explicitly: unset is the provider's default, unencrypted
    "E1": Boundary(
        "eu-west-1",
        lambda d: set_after(d, AURORA, "storage_encrypted", True),
        lambda d: set_after(d, AURORA, "storage_encrypted", None),
        AURORA,
    ),
    "E2": Boundary(
        "eu-west-1",
        lambda d: set_after(d, EFS, "encrypted", True),
        lambda d: set_after(d, EFS, "encrypted", None),
        "aws_efs_file_system.this",
    ),
    # provider v6 writes a bool where 5.100 writes "true": both pass; unset fails
    "E3": Boundary(
        "eu-west-1",
        lambda d: set_after(d, REDIS, "at_rest_encryption_enabled", True),
        lambda d: set_after(d, REDIS, "at_rest_encryption_enabled", None),
        REDIS,
    ),
    "E4": Boundary(
        "eu-west-1",
        lambda d: set_after(d, INGEST, "encryption_type", "KMS"),
        lambda d: set_after(d, INGEST, "encryption_type", None),
        'kinesis_stream.this["ingest"]',
    ),
    # an existing secret under a customer key passes; one with no key at all (the AWS-managed default) fails
    "E5": Boundary("eu-west-1", lambda d: existing_secret(d, CMK_ARN), lambda d: existing_secret(d, None), EXISTING_SECRET),
    # a log group keeping its CMK passes; an empty key id (no reference, nothing set) fails
    "E6": Boundary(
        "eu-west-1",
        lambda d: set_after(d, LOG_FLOW, "retention_in_days", 3653),
        lambda d: (drop_reference(d, LOG_FLOW, "kms_key_id"), set_after(d, LOG_FLOW, "kms_key_id", "")),
        LOG_FLOW,
    ),
    # method caching with encrypted data passes; caching on the method without encryption fails even with the stage cache off
    "E7": Boundary("eu-west-1", lambda d: method_cache(d, True), lambda d: method_cache(d, False), "aws_api_gateway_method_settings.this"),
    # a cryptoperiod of exactly a year passes, a day more fails
    "K1": Boundary(
        "eu-west-1",
        lambda d: set_after(d, AURORA_KEY, "rotation_period_in_days", 365),
        lambda d: set_after(d, AURORA_KEY, "rotation_period_in_days", 366),
        'aws_kms_key.this["aurora"]',
    ),
    # Principal * narrowed by a condition passes; the same grant without the condition fails
    "K2": Boundary(
        "eu-west-1",
        lambda d: policy(d, EFS_KEY, conditioned("*", VIA_SERVICE)),
        lambda d: policy(d, EFS_KEY, conditioned({"AWS": "*"}, None)),
        'aws_kms_key.this["efs"]',
    ),
    # rds.force_ssl "1" passes wherever it sits in the list; "0" fails
    "T1": Boundary("eu-west-1", lambda d: force_ssl(d, "1"), lambda d: force_ssl(d, "0"), "aws_rds_cluster_parameter_group.this"),
    "T2": Boundary(
        "eu-west-1",
        lambda d: set_after(d, REDIS, "transit_encryption_mode", "required"),
        lambda d: set_after(d, REDIS, "transit_encryption_mode", "preferred"),
        REDIS,
    ),
    # a TLS mount authorised by IAM passes; TLS without IAM authorisation fails
    "T3": Boundary(
        "eu-west-1", lambda d: set_after(d, TASK_API, EFS_AUTH, "ENABLED"), lambda d: set_after(d, TASK_API, EFS_AUTH, "DISABLED"), TASK_API
    ),
    # a custom domain at TLS_1_2 passes; TLS_1_0 fails
    "T4": Boundary("eu-west-1", lambda d: domain(d, "TLS_1_2"), lambda d: domain(d, "TLS_1_0"), "aws_api_gateway_domain_name.pay"),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)
