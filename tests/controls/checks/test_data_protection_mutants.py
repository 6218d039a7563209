"""The data protection checks' findings at every violation and boundary address, field by field (see golden.py)."""

from __future__ import annotations

import json

import pytest

from tapguard import controls
from tapguard.controls import FAIL, PASS
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY, golden_tests, judged, resource

(
    test_findings_at_the_case_address_are_the_pinned_ones,
    test_findings_on_an_empty_plan_are_the_pinned_ones,
    test_findings_on_the_real_plans_are_the_pinned_kinds,
) = golden_tests("data_protection")


STAGE = "aws_api_gateway_stage.live"
SETTINGS = "aws_api_gateway_method_settings.all"


def settings(**values: object) -> dict[str, object]:
    return resource(SETTINGS, {"settings": [values]})


def test_e7_a_stage_cache_is_judged_by_the_method_settings() -> None:
    want = ("cache_cluster_enabled", True, "cache_data_encrypted = true in method settings")
    on = resource(STAGE, {"cache_cluster_enabled": True})
    assert judged("E7", on, settings(cache_data_encrypted=True))[0] == (STAGE, want[0], PASS, True, want[2], "as required")
    assert judged("E7", on, settings(cache_data_encrypted=False))[0] == (STAGE, want[0], FAIL, True, want[2], "API cache is not encrypted")
    assert judged("E7", on)[0] == (STAGE, want[0], FAIL, True, want[2], "API cache is not encrypted")


def test_e7_a_stage_without_cache_passes_with_its_value() -> None:
    off = resource(STAGE, {"cache_cluster_enabled": False})
    assert judged("E7", off)[0] == (STAGE, "cache_cluster_enabled", PASS, False, "off, or encrypted", "as required")
    assert [f[0] for f in judged("E7", off, env="us-west-2")].count("(no aws_api_gateway_stage)") == 0
    cached = settings(caching_enabled=True, cache_data_encrypted=False)
    # the base check's findings come first; the class extension (facets) adds its own after them
    assert judged("E7", cached)[0] == (SETTINGS, "settings.0.cache_data_encrypted", FAIL, False, True, "cached responses are not encrypted")
    assert all(f[1] != "settings.0.cache_data_encrypted" for f in judged("E7", settings(caching_enabled=False)))


def key(name: str, **after: object) -> dict[str, object]:
    return resource(f"aws_kms_key.{name}", {"enable_key_rotation": True, **after})


def test_k1_refuses_asymmetric_keys_and_judges_the_others() -> None:
    spec = ("customer_master_key_spec", "SYMMETRIC_DEFAULT", "asymmetric keys cannot rotate automatically")
    got = judged("K1", key("sign", customer_master_key_spec="RSA_2048"), key("also", customer_master_key_spec="ECC_NIST_P256"), key("data"))
    assert got[:3] == [
        ("aws_kms_key.sign", spec[0], FAIL, "RSA_2048", spec[1], spec[2]),
        ("aws_kms_key.also", spec[0], FAIL, "ECC_NIST_P256", spec[1], spec[2]),
        ("aws_kms_key.data", "enable_key_rotation", PASS, True, True, "as required"),
    ]
    assert judged("K1", key("plain", customer_master_key_spec="SYMMETRIC_DEFAULT"))[0][1:3] == ("enable_key_rotation", PASS)


def test_k1_cryptoperiod_between_90_and_365_days() -> None:
    def period(days: int) -> tuple[object, ...]:
        return judged("K1", key("k", rotation_period_in_days=days))[1]

    assert period(90) == ("aws_kms_key.k", "rotation_period_in_days", PASS, 90, "90-365 days", "as required")
    assert period(89)[2:] == (FAIL, 89, "90-365 days", "cryptoperiod longer than a year")
    assert period(365)[2] == PASS and period(366)[2] == FAIL


FS = "aws_efs_file_system.fs"


def wired(*changes: dict[str, object], refs: dict[str, dict[str, list[str]]]) -> list[tuple[object, ...]]:
    """T1/T3 findings on a plan whose configuration wires `refs`: address -> attribute -> referenced addresses."""
    config = [
        {
            "address": a,
            "mode": "managed",
            "type": a.split(".")[0],
            "name": a.split(".")[1],
            "expressions": {k: {"references": v} for k, v in e.items()},
        }
        for a, e in refs.items()
    ]
    data = {**EMPTY, "resource_changes": list(changes), "configuration": {"root_module": {"resources": config}}}
    plan = model.from_dict(data, "synthetic")
    return [
        (f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in controls.evaluate("eu-west-1", plan, only=["T3", "T1"])
    ]


def fs_policy(name: str, statement: dict[str, object]) -> dict[str, object]:
    return resource(f"aws_efs_file_system_policy.{name}", {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})


DENY = {"Effect": "Deny", "Principal": "*", "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": "False"}}}
ALLOW = {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize(
    ("policies", "status"),
    [
        ([("deny", DENY)], PASS),
        ([("allow", ALLOW)], FAIL),
        ([("deny", DENY), ("allow", ALLOW)], PASS),
        ([("allow", ALLOW), ("deny", DENY)], PASS),
        ([("other", {**DENY, "Condition": {"Bool": {"aws:SecureTransport": "true"}}})], FAIL),
        ([("bare", {"Effect": "Deny", "Principal": "*", "Action": "elasticfilesystem:*"})], FAIL),  # no Condition at all
        ([("ip", {**DENY, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})], FAIL),  # a Condition without Bool
        ([], FAIL),
    ],
)
def test_t3_a_file_system_needs_a_policy_denying_plain_nfs(policies: list[tuple[str, dict[str, object]]], status: str) -> None:
    changes = [resource(FS, {"encrypted": True}), *(fs_policy(n, s) for n, s in policies)]
    refs = {f"aws_efs_file_system_policy.{n}": {"file_system_id": [f"{FS}.id", FS]} for n, _ in policies}
    found = [f for f in wired(*changes, refs=refs) if f[0] == FS]
    expected = ("a policy denying aws:SecureTransport = false", "as required" if status == PASS else "non-TLS NFS clients are not refused")
    assert found == [(FS, "file_system_policy", status, list(refs), *expected)]


def test_t3_an_efs_volume_through_a_known_access_point_passes() -> None:
    volume = {"transit_encryption": "ENABLED", "authorization_config": [{"iam": "ENABLED", "access_point_id": "fsap-0123"}]}
    task = resource("aws_ecs_task_definition.app", {"volume": [{"name": "data", "efs_volume_configuration": [volume]}]})
    base = "volume.0.efs_volume_configuration.0"
    found = [f for f in wired(task, refs={}) if f[0] == "aws_ecs_task_definition.app"]
    assert found == [
        ("aws_ecs_task_definition.app", f"{base}.transit_encryption", PASS, "ENABLED", "ENABLED", "as required"),
        (
            "aws_ecs_task_definition.app",
            f"{base}.authorization_config",
            PASS,
            {"iam": "ENABLED"},
            "iam ENABLED through an access point",
            "as required",
        ),
    ]


def test_t1_a_cluster_without_its_own_cluster_parameter_group_fails() -> None:
    cluster = resource("aws_rds_cluster.db", {"db_cluster_parameter_group_name": "default.aurora-postgresql15"})
    instance_group = resource("aws_db_parameter_group.p", {"parameter": [{"name": "rds.force_ssl", "value": "1"}]})
    found = [
        f
        for f in wired(
            cluster,
            instance_group,
            refs={"aws_rds_cluster.db": {"db_cluster_parameter_group_name": ["aws_db_parameter_group.p.name", "aws_db_parameter_group.p"]}},
        )
        if f[1].startswith(("db_cluster", "parameter"))
    ]
    assert found == [
        (
            "aws_rds_cluster.db",
            "db_cluster_parameter_group_name",
            FAIL,
            "default.aurora-postgresql15",
            "a parameter group in this plan with rds.force_ssl = 1",
            "default parameter group: rds.force_ssl is 0",
        )
    ]
