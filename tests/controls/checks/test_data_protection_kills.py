"""Data protection checks (E1-E7, K1-K2, T1-T4) on small synthetic plans: every branch reached, every finding pinned."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from tapguard.controls.checks import data_protection as dp
from tapguard.controls.engine import Context, Finding, profile_for
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY
from tests.controls.checks.golden import configured as res

Resource = tuple[dict[str, Any], dict[str, Any]]  # (resource change, configuration entry)
Row = tuple[Any, ...]
ENV = "eu-west-1"
CMK = "a customer-managed aws_kms_key"
NO_CMK = "no customer-managed key (AWS-managed or none)"
OK = "as required"


def judge(check: Callable[[Context], Iterable[Finding]], *resources: Resource, required: bool = False) -> list[Row]:
    """(address, attribute, status, actual, expected, message) of every finding of one check; `required`: every type is."""
    data = {
        **EMPTY,
        "resource_changes": [change for change, _ in resources],
        "configuration": {"root_module": {"resources": [entry for _, entry in resources]}},
    }
    plan = model.from_dict(data, "synthetic")
    profile = dataclasses.replace(profile_for(ENV, plan), requires=None if required else ())
    ctx = Context(env=ENV, plan=plan, profile=profile, control_id="X")
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in check(ctx)]


def missing(rtype: str, why: str, status: str = "not_applicable") -> Row:
    return (f"(no {rtype})", "", status, None, f"at least one {rtype}", why)


def cmk_ok(address: str, attribute: str, key: str = "aws_kms_key.k") -> Row:
    return (address, attribute, "pass", key, CMK, OK)


def cmk_none(address: str, attribute: str, value: Any = None) -> Row:
    return (address, attribute, "fail", value, CMK, NO_CMK)


KEY = res("aws_kms_key.k", {})


def test_every_check_without_its_resources_reports_it_missing_and_fails_where_required() -> None:
    cases: list[tuple[Callable[[Context], Iterable[Finding]], str, str]] = [
        (dp.aurora_encrypted, "aws_rds_cluster", "no Aurora cluster to verify"),
        (dp.efs_encrypted, "aws_efs_file_system", "no EFS file system to verify"),
        (dp.redis_encrypted, "aws_elasticache_replication_group", "no Redis replication group to verify"),
        (dp.kinesis_encrypted, "aws_kinesis_stream", "no Kinesis stream in this stack"),
        (dp.secrets_encrypted, "aws_secretsmanager_secret", "no secrets to verify"),
        (dp.logs_encrypted, "aws_cloudwatch_log_group", "no log groups to verify"),
        (dp.api_cache_encrypted, "aws_api_gateway_stage", "no API stage to verify"),
        (dp.keys_rotate, "aws_kms_key", "no customer-managed keys in the plan"),
        (dp.key_access_limited, "aws_kms_key", "no customer-managed keys in the plan"),
        (dp.aurora_tls, "aws_rds_cluster", "no Aurora cluster to verify"),
        (dp.redis_tls_auth, "aws_elasticache_replication_group", "no Redis replication group to verify"),
        (dp.efs_tls, "aws_efs_file_system", "no EFS file system to verify"),
        (dp.api_edge_tls, "aws_api_gateway_stage", "no API stage to verify"),
    ]
    for fn, rtype, why in cases:
        assert judge(fn) == [missing(rtype, why)], fn.__name__
        assert judge(fn, required=True) == [missing(rtype, why, "fail")], fn.__name__


# ------------------------------------------------------------------------------------------------ E1-E6
def test_aurora_encryption_judges_storage_keys_the_master_secret_and_performance_insights() -> None:
    got = judge(
        dp.aurora_encrypted,
        KEY,
        res(
            "aws_rds_cluster.a",
            {"storage_encrypted": True, "manage_master_user_password": True},
            {"kms_key_id": ["aws_kms_key.k"], "master_user_secret_kms_key_id": ["aws_kms_key.k"]},
        ),
        res("aws_rds_cluster.b", {"storage_encrypted": "true", "manage_master_user_password": "true"}),
        res("aws_rds_cluster_instance.i1", {"performance_insights_enabled": True}, {"performance_insights_kms_key_id": ["aws_kms_key.k"]}),
        res("aws_rds_cluster_instance.i2", {"performance_insights_enabled": "true"}),
        res("aws_rds_cluster_instance.i3", {"performance_insights_enabled": True}),
    )
    assert got == [
        ("aws_rds_cluster.a", "storage_encrypted", "pass", True, True, OK),
        cmk_ok("aws_rds_cluster.a", "kms_key_id"),
        cmk_ok("aws_rds_cluster.a", "master_user_secret_kms_key_id"),
        ("aws_rds_cluster.b", "storage_encrypted", "fail", "true", True, "storage is not encrypted"),
        cmk_none("aws_rds_cluster.b", "kms_key_id"),
        cmk_ok("aws_rds_cluster_instance.i1", "performance_insights_kms_key_id"),
        cmk_none("aws_rds_cluster_instance.i3", "performance_insights_kms_key_id"),
    ]


def test_efs_encryption_needs_encrypted_true_and_a_cmk() -> None:
    got = judge(
        dp.efs_encrypted,
        KEY,
        res("aws_efs_file_system.a", {"encrypted": True}, {"kms_key_id": ["aws_kms_key.k"]}),
        res("aws_efs_file_system.b", {"encrypted": "true"}),
    )
    assert got == [
        ("aws_efs_file_system.a", "encrypted", "pass", True, True, OK),
        cmk_ok("aws_efs_file_system.a", "kms_key_id"),
        ("aws_efs_file_system.b", "encrypted", "fail", "true", True, "file system is not encrypted"),
        cmk_none("aws_efs_file_system.b", "kms_key_id"),
    ]


def test_redis_at_rest_encryption_reads_a_string_or_a_bool_true() -> None:
    values = {"s": "true", "b": True, "u": "TRUE", "y": "yes", "n": None}
    got = judge(
        dp.redis_encrypted, *(res(f"aws_elasticache_replication_group.{k}", {"at_rest_encryption_enabled": v}) for k, v in values.items())
    )
    rows: list[Row] = []
    for k, v in values.items():
        good = k in "sbu"
        address = f"aws_elasticache_replication_group.{k}"
        rows.append(
            (address, "at_rest_encryption_enabled", "pass" if good else "fail", v, "true", OK if good else "at-rest encryption is off")
        )
        rows.append(cmk_none(address, "kms_key_id"))
    assert got == rows


def test_kinesis_needs_kms_encryption_and_a_cmk() -> None:
    got = judge(
        dp.kinesis_encrypted,
        KEY,
        res("aws_kinesis_stream.a", {"encryption_type": "KMS"}, {"kms_key_id": ["aws_kms_key.k"]}),
        res("aws_kinesis_stream.b", {"encryption_type": "NONE"}),
    )
    assert got == [
        ("aws_kinesis_stream.a", "encryption_type", "pass", "KMS", "KMS", OK),
        cmk_ok("aws_kinesis_stream.a", "kms_key_id"),
        ("aws_kinesis_stream.b", "encryption_type", "fail", "NONE", "KMS", "stream is not encrypted with KMS"),
        cmk_none("aws_kinesis_stream.b", "kms_key_id"),
    ]


EXISTING_AWS_KEY = "existing secret is encrypted with the AWS-managed key; re-encrypt it with a CMK"


def test_secrets_created_need_a_cmk_and_existing_ones_a_customer_managed_key() -> None:
    arn = "arn:aws:kms:eu-west-1:111122223333:key/abc"
    got = judge(
        dp.secrets_encrypted,
        KEY,
        res("aws_secretsmanager_secret.new", {}, {"kms_key_id": ["aws_kms_key.k"]}),
        res("data.aws_secretsmanager_secret.cmk", {"kms_key_id": arn}),
        res("data.aws_secretsmanager_secret.aws", {"kms_key_id": "alias/aws/secretsmanager"}),
        res("data.aws_secretsmanager_secret.none", {"kms_key_id": ""}),
    )
    assert got == [
        cmk_ok("aws_secretsmanager_secret.new", "kms_key_id"),
        ("data.aws_secretsmanager_secret.cmk", "kms_key_id", "pass", arn, "a customer-managed key", OK),
        (
            "data.aws_secretsmanager_secret.aws",
            "kms_key_id",
            "fail",
            "alias/aws/secretsmanager",
            "a customer-managed key",
            EXISTING_AWS_KEY,
        ),
        (
            "data.aws_secretsmanager_secret.none",
            "kms_key_id",
            "fail",
            "(AWS-managed aws/secretsmanager)",
            "a customer-managed key",
            EXISTING_AWS_KEY,
        ),
    ]


def test_only_existing_or_only_created_secrets_are_not_missing() -> None:
    assert judge(dp.secrets_encrypted, res("aws_secretsmanager_secret.new", {})) == [
        cmk_none("aws_secretsmanager_secret.new", "kms_key_id")
    ]
    assert judge(dp.secrets_encrypted, res("data.aws_secretsmanager_secret.old", {}), required=True) == [
        (
            "data.aws_secretsmanager_secret.old",
            "kms_key_id",
            "fail",
            "(AWS-managed aws/secretsmanager)",
            "a customer-managed key",
            EXISTING_AWS_KEY,
        )
    ]


def test_log_groups_need_a_cmk() -> None:
    got = judge(
        dp.logs_encrypted,
        KEY,
        res("aws_cloudwatch_log_group.a", {}, {"kms_key_id": ["aws_kms_key.k"]}),
        res("aws_cloudwatch_log_group.b", {}),
    )
    assert got == [cmk_ok("aws_cloudwatch_log_group.a", "kms_key_id"), cmk_none("aws_cloudwatch_log_group.b", "kms_key_id")]


# ------------------------------------------------------------------------------------------------ E7
CACHE_EXPECTED = "cache_data_encrypted = true in method settings"


def settings(name: str, caching: Any, encrypted: Any) -> Resource:
    return res(f"aws_api_gateway_method_settings.{name}", {"settings": [{"caching_enabled": caching, "cache_data_encrypted": encrypted}]})


def test_an_api_cache_passes_e7_when_some_method_setting_encrypts_it() -> None:
    got = judge(
        dp.api_cache_encrypted,
        res("aws_api_gateway_stage.on", {"cache_cluster_enabled": True}),
        res("aws_api_gateway_stage.str", {"cache_cluster_enabled": "true"}),
        settings("plain", "true", False),
        settings("enc", True, True),
    )
    assert got == [
        ("aws_api_gateway_stage.on", "cache_cluster_enabled", "pass", True, CACHE_EXPECTED, OK),
        ("aws_api_gateway_stage.str", "cache_cluster_enabled", "pass", "true", "off, or encrypted", OK),
        ("aws_api_gateway_method_settings.enc", "settings.0.cache_data_encrypted", "pass", True, True, OK),
    ]


def test_an_unencrypted_api_cache_fails_e7_on_the_stage_and_the_caching_method_setting() -> None:
    got = judge(
        dp.api_cache_encrypted,
        res("aws_api_gateway_stage.on", {"cache_cluster_enabled": True}),
        res("aws_api_gateway_stage.off", {"cache_cluster_enabled": False}),
        settings("bad", True, "true"),
        settings("off", False, False),
    )
    assert got == [
        ("aws_api_gateway_stage.on", "cache_cluster_enabled", "fail", True, CACHE_EXPECTED, "API cache is not encrypted"),
        ("aws_api_gateway_stage.off", "cache_cluster_enabled", "pass", False, "off, or encrypted", OK),
        (
            "aws_api_gateway_method_settings.bad",
            "settings.0.cache_data_encrypted",
            "fail",
            "true",
            True,
            "cached responses are not encrypted",
        ),
    ]


def test_method_settings_without_a_stage_are_still_judged_and_nothing_is_missing() -> None:
    assert judge(dp.api_cache_encrypted, settings("bad", True, None), required=True) == [
        ("aws_api_gateway_method_settings.bad", "settings.0.cache_data_encrypted", "fail", None, True, "cached responses are not encrypted")
    ]


# ------------------------------------------------------------------------------------------------ K1
def test_key_rotation_and_its_period_from_89_to_366_days() -> None:
    got = judge(
        dp.keys_rotate,
        res("aws_kms_key.rsa", {"customer_master_key_spec": "RSA_2048", "enable_key_rotation": True}),
        res("aws_kms_key.plain", {"enable_key_rotation": True}),
        res(
            "aws_kms_key.sym",
            {"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": "true", "rotation_period_in_days": 89},
        ),
        *(res(f"aws_kms_key.p{d}", {"enable_key_rotation": True, "rotation_period_in_days": d}) for d in (90, 365, 366)),
    )
    rotates = ("enable_key_rotation", "pass", True, True, OK)
    period_expected = "90-365 days"
    assert got == [
        (
            "aws_kms_key.rsa",
            "customer_master_key_spec",
            "fail",
            "RSA_2048",
            "SYMMETRIC_DEFAULT",
            "asymmetric keys cannot rotate automatically",
        ),
        ("aws_kms_key.plain", *rotates),
        ("aws_kms_key.sym", "enable_key_rotation", "fail", "true", True, "automatic rotation is off"),
        ("aws_kms_key.sym", "rotation_period_in_days", "fail", 89, period_expected, "cryptoperiod longer than a year"),
        ("aws_kms_key.p90", *rotates),
        ("aws_kms_key.p90", "rotation_period_in_days", "pass", 90, period_expected, OK),
        ("aws_kms_key.p365", *rotates),
        ("aws_kms_key.p365", "rotation_period_in_days", "pass", 365, period_expected, OK),
        ("aws_kms_key.p366", *rotates),
        ("aws_kms_key.p366", "rotation_period_in_days", "fail", 366, period_expected, "cryptoperiod longer than a year"),
    ]


# ------------------------------------------------------------------------------------------------ K2
def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


KEY_OPEN = "no Allow to Principal * without a condition"
IAM_BROAD = "no kms:* or kms:Decrypt on every key"


NO_KEY_POLICY = "no key policy (the default grants the whole account)"


def test_a_disabled_key_without_a_policy_fails_k2_twice_and_the_next_keys_are_still_judged() -> None:
    got = judge(
        dp.key_access_limited,
        res("aws_kms_key.k", {"is_enabled": False}),
        res("aws_kms_key.broken", {"policy": "{not json"}),
        res("aws_kms_key.good", {"is_enabled": True, "policy": policy()}),
    )
    assert got == [
        ("aws_kms_key.k", "is_enabled", "fail", False, True, "key is disabled"),
        ("aws_kms_key.k", "policy", "fail", None, "an explicit key policy", NO_KEY_POLICY),
        ("aws_kms_key.broken", "policy", "fail", "{not json", "an explicit key policy", NO_KEY_POLICY),
        ("aws_kms_key.good", "policy", "pass", [], "no Allow to Principal * without a condition", OK),
    ]


def test_a_key_policy_allowing_anyone_without_a_condition_fails_k2_naming_the_statements() -> None:
    open_policy = policy(
        {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Cond", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"x": "true"}}},
        {"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"},
    )
    good = policy({"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"})
    got = judge(
        dp.key_access_limited,
        res("aws_kms_key.open", {"is_enabled": True, "policy": open_policy}),
        res("aws_kms_key.good", {"policy": good}),
    )
    assert got == [
        ("aws_kms_key.open", "policy", "fail", ["Open", "?"], KEY_OPEN, "key usable by anyone"),
        ("aws_kms_key.good", "policy", "pass", [], KEY_OPEN, OK),
    ]


def test_an_iam_policy_using_every_key_fails_k2_naming_the_statements() -> None:
    broad = policy(
        {"Sid": "Dec", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "kms:*"], "Resource": ["arn:aws:s3:::b", "*"]},
        {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "Enc", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"},
        {"Sid": "One", "Effect": "Allow", "Action": "kms:*", "Resource": "arn:aws:kms:eu-west-1:1:key/abc"},
        {"Sid": "Deny", "Effect": "Deny", "Action": "kms:*", "Resource": "*"},
    )
    narrow = policy({"Sid": "One", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:1:key/abc"})
    key = res("aws_kms_key.k", {"policy": policy()})
    got = judge(
        dp.key_access_limited,
        key,
        res("aws_iam_policy.none", {}),
        res("aws_iam_policy.broad", {"policy": broad}),
        res("aws_iam_role_policy.narrow", {"policy": narrow}),
    )
    assert got == [
        ("aws_kms_key.k", "policy", "pass", [], KEY_OPEN, OK),
        ("aws_iam_policy.broad", "policy", "fail", ["Dec", "?", "All"], IAM_BROAD, "IAM policy can use every key in the account"),
        ("aws_iam_role_policy.narrow", "policy", "pass", [], IAM_BROAD, OK),
    ]


# ------------------------------------------------------------------------------------------------ T1
FORCE_SSL = "parameter[rds.force_ssl]"


def test_aurora_tls_needs_a_parameter_group_of_the_plan_forcing_ssl() -> None:
    def group(name: str, parameters: Any) -> Resource:
        return res(f"aws_rds_cluster_parameter_group.{name}", {"parameter": parameters})

    def cluster(name: str, group_name: str) -> Resource:
        return res(
            f"aws_rds_cluster.{name}", {"db_cluster_parameter_group_name": group_name}, {"db_cluster_parameter_group_name": [group_name]}
        )

    got = judge(
        dp.aurora_tls,
        group("on", [{"name": "timezone", "value": "UTC"}, {"name": "rds.force_ssl", "value": "1"}]),
        group("int", [{"name": "rds.force_ssl", "value": 1}]),
        group("off", [{"name": "rds.force_ssl", "value": "0"}]),
        group("none", None),
        cluster("a", "aws_rds_cluster_parameter_group.on"),
        cluster("b", "aws_rds_cluster_parameter_group.int"),
        cluster("c", "aws_rds_cluster_parameter_group.off"),
        cluster("d", "aws_rds_cluster_parameter_group.none"),
        res("aws_rds_cluster.e", {"db_cluster_parameter_group_name": "default.aurora-postgresql15"}),
        res("aws_rds_cluster.f", {}, {"db_cluster_parameter_group_name": ["aws_kms_key.k"]}),
        KEY,
    )
    default = "a parameter group in this plan with rds.force_ssl = 1"
    assert got == [
        ("aws_rds_cluster_parameter_group.on", FORCE_SSL, "pass", "1", "1", OK),
        ("aws_rds_cluster_parameter_group.int", FORCE_SSL, "pass", "1", "1", OK),
        ("aws_rds_cluster_parameter_group.off", FORCE_SSL, "fail", "0", "1", "clients may connect without TLS"),
        ("aws_rds_cluster_parameter_group.none", FORCE_SSL, "fail", None, "1", "clients may connect without TLS"),
        (
            "aws_rds_cluster.e",
            "db_cluster_parameter_group_name",
            "fail",
            "default.aurora-postgresql15",
            default,
            "default parameter group: rds.force_ssl is 0",
        ),
        ("aws_rds_cluster.f", "db_cluster_parameter_group_name", "fail", None, default, "default parameter group: rds.force_ssl is 0"),
    ]


# ------------------------------------------------------------------------------------------------ T2
def test_redis_in_transit_needs_tls_required_and_authentication() -> None:
    got = judge(
        dp.redis_tls_auth,
        res("aws_elasticache_replication_group.a", {"transit_encryption_enabled": True, "auth_token": "x"}),
        res(
            "aws_elasticache_replication_group.b",
            {"transit_encryption_enabled": True, "transit_encryption_mode": "required"},
            None,
            {"auth_token": True},
        ),
        res(
            "aws_elasticache_replication_group.c",
            {"transit_encryption_enabled": "true", "transit_encryption_mode": "preferred", "user_group_ids": ["ug"]},
        ),
        res("aws_elasticache_replication_group.d", {"transit_encryption_enabled": False, "user_group_ids": []}),
    )
    tls = ("transit_encryption_enabled", "pass", True, True, OK)
    mode = "required (or unset)"
    auth = "an AUTH token or RBAC user group"
    assert got == [
        ("aws_elasticache_replication_group.a", *tls),
        ("aws_elasticache_replication_group.a", "transit_encryption_mode", "pass", None, mode, OK),
        ("aws_elasticache_replication_group.a", "auth_token", "pass", "(set)", auth, OK),
        ("aws_elasticache_replication_group.b", *tls),
        ("aws_elasticache_replication_group.b", "transit_encryption_mode", "pass", "required", mode, OK),
        ("aws_elasticache_replication_group.b", "auth_token", "pass", "(set)", auth, OK),
        ("aws_elasticache_replication_group.c", "transit_encryption_enabled", "fail", "true", True, "TLS is off"),
        ("aws_elasticache_replication_group.c", "transit_encryption_mode", "fail", "preferred", mode, "TLS is optional (preferred mode)"),
        ("aws_elasticache_replication_group.c", "auth_token", "pass", "(set)", auth, OK),
        ("aws_elasticache_replication_group.d", "transit_encryption_enabled", "fail", False, True, "TLS is off"),
        ("aws_elasticache_replication_group.d", "transit_encryption_mode", "pass", None, mode, OK),
        ("aws_elasticache_replication_group.d", "auth_token", "fail", None, auth, "no authentication"),
    ]


# ------------------------------------------------------------------------------------------------ T3
EFS_POLICY = "a policy denying aws:SecureTransport = false"
EFS_OPEN = "non-TLS NFS clients are not refused"


def deny_insecure(value: Any, effect: str = "Deny") -> str:
    return policy({"Effect": effect, "Principal": "*", "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": value}}})


def test_efs_tls_needs_a_policy_of_the_file_system_denying_insecure_transport() -> None:
    def fs_policy(name: str, fs: str, doc: str | None) -> Resource:
        return res(
            f"aws_efs_file_system_policy.{name}", {} if doc is None else {"policy": doc}, {"file_system_id": [f"aws_efs_file_system.{fs}"]}
        )

    got = judge(
        dp.efs_tls,
        *(res(f"aws_efs_file_system.{n}", {}) for n in ("str", "bool", "allow", "none", "true")),
        fs_policy("nodoc", "str", None),
        fs_policy("str", "str", deny_insecure("false")),
        fs_policy("bool", "bool", deny_insecure(False)),
        fs_policy("bool2", "bool", deny_insecure("true")),
        fs_policy("allow", "allow", deny_insecure("false", "Allow")),
        fs_policy("true", "true", deny_insecure("true")),
        fs_policy("nocond", "true", policy({"Effect": "Deny", "Principal": "*", "Action": "*"})),
    )
    assert got == [
        (
            "aws_efs_file_system.str",
            "file_system_policy",
            "pass",
            ["aws_efs_file_system_policy.nodoc", "aws_efs_file_system_policy.str"],
            EFS_POLICY,
            OK,
        ),
        (
            "aws_efs_file_system.bool",
            "file_system_policy",
            "pass",
            ["aws_efs_file_system_policy.bool", "aws_efs_file_system_policy.bool2"],
            EFS_POLICY,
            OK,
        ),
        ("aws_efs_file_system.allow", "file_system_policy", "fail", ["aws_efs_file_system_policy.allow"], EFS_POLICY, EFS_OPEN),
        ("aws_efs_file_system.none", "file_system_policy", "fail", [], EFS_POLICY, EFS_OPEN),
        (
            "aws_efs_file_system.true",
            "file_system_policy",
            "fail",
            ["aws_efs_file_system_policy.true", "aws_efs_file_system_policy.nocond"],
            EFS_POLICY,
            EFS_OPEN,
        ),
    ]


def test_efs_volumes_of_task_definitions_need_tls_and_iam_through_an_access_point() -> None:
    volumes = [
        {"name": "plain"},
        {
            "efs_volume_configuration": [
                {"transit_encryption": "ENABLED", "authorization_config": [{"iam": "ENABLED", "access_point_id": "fsap-1"}]}
            ]
        },
        {"efs_volume_configuration": [{"transit_encryption": "DISABLED"}]},
        {"efs_volume_configuration": [{"transit_encryption": "ENABLED", "authorization_config": [{"iam": "ENABLED"}]}]},
        {"efs_volume_configuration": [{"transit_encryption": "ENABLED", "authorization_config": [{"iam": "ENABLED"}]}]},
        {
            "efs_volume_configuration": [
                {"transit_encryption": "ENABLED", "authorization_config": [{"iam": "DISABLED", "access_point_id": "fsap-1"}]}
            ]
        },
    ]
    unknown = {"volume": [{}, {}, {}, {}, {"efs_volume_configuration": [{"authorization_config": [{"access_point_id": True}]}]}, {}]}
    got = judge(dp.efs_tls, res("aws_efs_file_system.f", {}), res("aws_ecs_task_definition.td", {"volume": volumes}, None, unknown))
    td = "aws_ecs_task_definition.td"
    tls_ok = ("pass", "ENABLED", "ENABLED", OK)
    iam = "iam ENABLED through an access point"
    no_iam = "EFS mount not authorized by IAM"
    assert got == [
        ("aws_efs_file_system.f", "file_system_policy", "fail", [], EFS_POLICY, EFS_OPEN),
        (td, "volume.1.efs_volume_configuration.0.transit_encryption", *tls_ok),
        (td, "volume.1.efs_volume_configuration.0.authorization_config", "pass", {"iam": "ENABLED"}, iam, OK),
        (td, "volume.2.efs_volume_configuration.0.transit_encryption", "fail", "DISABLED", "ENABLED", "EFS volume mounted without TLS"),
        (td, "volume.2.efs_volume_configuration.0.authorization_config", "fail", {"iam": None}, iam, no_iam),
        (td, "volume.3.efs_volume_configuration.0.transit_encryption", *tls_ok),
        (td, "volume.3.efs_volume_configuration.0.authorization_config", "fail", {"iam": "ENABLED"}, iam, no_iam),
        (td, "volume.4.efs_volume_configuration.0.transit_encryption", *tls_ok),
        (td, "volume.4.efs_volume_configuration.0.authorization_config", "pass", {"iam": "ENABLED"}, iam, OK),
        (td, "volume.5.efs_volume_configuration.0.transit_encryption", *tls_ok),
        (td, "volume.5.efs_volume_configuration.0.authorization_config", "fail", {"iam": "DISABLED"}, iam, no_iam),
    ]


# ------------------------------------------------------------------------------------------------ T4
CLIENT_CERT = "a client certificate for HTTP backends"


def test_api_stages_need_a_client_certificate_only_with_http_backends() -> None:
    stages = (
        res("aws_api_gateway_stage.cert", {"client_certificate_id": "cc-1"}),
        res("aws_api_gateway_stage.later", {}, None, {"client_certificate_id": True}),
        res("aws_api_gateway_stage.none", {}),
    )
    domains = (
        res("aws_api_gateway_domain_name.new", {"security_policy": "TLS_1_2"}),
        res("aws_api_gateway_domain_name.old", {"security_policy": "TLS_1_0"}),
    )
    got = judge(dp.api_edge_tls, *stages, *domains, res("aws_api_gateway_integration.http", {"type": "HTTP"}))
    assert got == [
        ("aws_api_gateway_domain_name.new", "security_policy", "pass", "TLS_1_2", "TLS_1_2", OK),
        ("aws_api_gateway_domain_name.old", "security_policy", "fail", "TLS_1_0", "TLS_1_2", "custom domain allows TLS 1.0/1.1"),
        ("aws_api_gateway_stage.cert", "client_certificate_id", "pass", "(set)", CLIENT_CERT, OK),
        ("aws_api_gateway_stage.later", "client_certificate_id", "pass", "(set)", CLIENT_CERT, OK),
        ("aws_api_gateway_stage.none", "client_certificate_id", "fail", None, CLIENT_CERT, "backend cannot authenticate API Gateway"),
    ]
    proxy = judge(dp.api_edge_tls, stages[2], res("aws_api_gateway_integration.p", {"type": "HTTP_PROXY"}))
    assert proxy == [
        ("aws_api_gateway_stage.none", "client_certificate_id", "fail", None, CLIENT_CERT, "backend cannot authenticate API Gateway")
    ]
    lambda_only = judge(dp.api_edge_tls, stages[2], res("aws_api_gateway_integration.l", {"type": "AWS_PROXY"}))
    assert lambda_only == [("aws_api_gateway_stage.none", "client_certificate_id", "pass", None, "not needed without HTTP backends", OK)]


def test_a_deny_with_a_list_valued_secure_transport_condition_refuses_non_tls_clients() -> None:
    got = judge(
        dp.efs_tls,
        res("aws_efs_file_system.f", {}),
        res("aws_efs_file_system_policy.p", {"policy": deny_insecure(["false"])}, {"file_system_id": ["aws_efs_file_system.f"]}),
    )
    assert got == [("aws_efs_file_system.f", "file_system_policy", "pass", ["aws_efs_file_system_policy.p"], EFS_POLICY, OK)]


@pytest.mark.parametrize("condition", ["aws:SecureTransport=false", ["false"], {"Bool": "false"}, {"Bool": ["aws:SecureTransport"]}])
def test_a_deny_whose_condition_is_not_an_object_refuses_nothing_and_t3_fails(condition: Any) -> None:
    doc = policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Condition": condition})
    got = judge(
        dp.efs_tls,
        res("aws_efs_file_system.f", {}),
        res("aws_efs_file_system_policy.p", {"policy": doc}, {"file_system_id": ["aws_efs_file_system.f"]}),
    )
    assert got == [("aws_efs_file_system.f", "file_system_policy", "fail", ["aws_efs_file_system_policy.p"], EFS_POLICY, EFS_OPEN)]
