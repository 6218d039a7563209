"""Destroyability (the stacks must tear down without manual steps) and the naming convention: D1-D4, NM1."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tapguard.controls.engine import Context, Finding, check
from tapguard.planning import hcl

# resource type -> (name attribute, required prefix of {resource-type}-{purpose}-{suffix})
NAMING: dict[str, tuple[str, str]] = {
    "aws_security_group": ("name", "secgrp-"),
    "aws_rds_cluster": ("cluster_identifier", "aurora-"),
    "aws_rds_cluster_instance": ("identifier", "aurora-"),
    "aws_rds_cluster_parameter_group": ("name", "clusterparams-"),
    "aws_db_subnet_group": ("name", "dbsubnet-"),
    "aws_elasticache_replication_group": ("replication_group_id", "redis-"),
    "aws_elasticache_subnet_group": ("name", "cachesubnet-"),
    "aws_kms_alias": ("name", "alias/kms-"),
    "aws_secretsmanager_secret": ("name", "secret-"),
    "aws_kinesis_stream": ("name", "kinesis-"),
    "aws_ecs_cluster": ("name", "ecs-"),
    "aws_ecs_service": ("name", "svc-"),
    "aws_ecs_task_definition": ("family", "task-"),
    "aws_api_gateway_rest_api": ("name", "apigw-"),
    "aws_api_gateway_vpc_link": ("name", "vpclink-"),
    "aws_wafv2_web_acl": ("name", "waf-"),
    "aws_iam_role": ("name", "role-"),
    "aws_iam_role_policy": ("name", "policy-"),
    "aws_lb": ("name", "nlb-"),
    "aws_lb_target_group": ("name", "tg-"),
    "aws_sns_topic": ("name", "sns-"),
    "aws_cloudwatch_metric_alarm": ("alarm_name", "alarm-"),
    "aws_cloudwatch_log_metric_filter": ("name", "filter-"),
    "aws_cloudtrail": ("name", "trail-"),
    "aws_s3_bucket": ("bucket", "s3-"),
    "aws_lambda_function": ("function_name", "lambda-"),
    "aws_cloudwatch_event_rule": ("name", "rule-"),
    "aws_cloudwatch_log_resource_policy": ("policy_name", "logpolicy-"),
    "aws_appautoscaling_policy": ("name", "scale-"),
    "aws_api_gateway_request_validator": ("name", "validator-"),
    "aws_cloudwatch_log_group": ("name", "logs-"),
    "aws_vpc": ("tags.Name", "vpc-"),
    "aws_subnet": ("tags.Name", "subnet-"),
    "aws_nat_gateway": ("tags.Name", "nat-"),
    "aws_eip": ("tags.Name", "eip-"),
    "aws_internet_gateway": ("tags.Name", "igw-"),
    "aws_efs_file_system": ("tags.Name", "efs-"),
    "aws_efs_access_point": ("tags.Name", "efsap-"),
    "aws_flow_log": ("tags.Name", "flowlog-"),
    "aws_route_table": ("tags.Name", "rtb-"),
    "aws_iam_openid_connect_provider": ("tags.Name", "oidc-"),
    "aws_fis_experiment_template": ("tags.Name", "fis-"),
}
# Names AWS fixes or requires a prefix for: the conforming part must still be in them.
AWS_FIXED = (
    re.compile(r"^/aws/rds/cluster/(?P<inner>[^/]+)/postgresql$"),
    re.compile(r"^aws-waf-logs-(?P<inner>.+)$"),
    re.compile(r"^/aws/lambda/(?P<inner>.+)$"),
    re.compile(r"^/aws/events/(?P<inner>.+)$"),
)


def no_prevent_destroy(ctx: Context) -> Iterator[Finding]:
    """prevent_destroy is not in plan JSON: read the HCL with a real parser."""
    if not ctx.hcl_dirs:
        yield ctx.finding(
            "(HCL)",
            "lifecycle.prevent_destroy",
            "unknown",
            None,
            "the HCL to read",
            "plan given without its HCL: prevent_destroy cannot be seen in plan JSON",
        )
        return
    count = 0
    for directory in ctx.hcl_dirs:
        for block in hcl.resource_blocks(directory):
            count += 1
            where = f"{block.file.name}:{block.line} {block.type}.{block.name}"
            prevent = block.lifecycle.get("prevent_destroy")
            yield ctx.verdict(
                prevent is not True, where, "lifecycle.prevent_destroy", prevent, "absent or false", "terraform destroy will refuse"
            )
    if not count:
        yield ctx.fail("(HCL)", "", None, "resource blocks", "no resource blocks found in the HCL directories")


def stores_deletable(ctx: Context) -> Iterator[Finding]:
    clusters = ctx.resources("aws_rds_cluster")
    for c in clusters:
        yield ctx.expect(c, "deletion_protection", lambda v: v is not True, "false or unset", "deletion protection blocks destroy")
        skip = c.get("skip_final_snapshot")
        good = skip is True or bool(c.get("final_snapshot_identifier"))
        yield ctx.verdict(
            good, c, "skip_final_snapshot", skip, "true (or a final_snapshot_identifier)", "destroy fails without a final snapshot name"
        )
    for g in ctx.resources("aws_elasticache_replication_group"):
        yield ctx.expect(g, "final_snapshot_identifier", lambda v: not v, "unset", "destroy leaves a snapshot behind")
    for lb in ctx.resources("aws_lb"):
        yield ctx.expect(lb, "enable_deletion_protection", lambda v: v is not True, False, "deletion protection blocks destroy")
    for s in ctx.resources("aws_kinesis_stream"):
        yield ctx.expect(s, "enforce_consumer_deletion", lambda v: v is True, True, "registered consumers block destroy")
    for b in ctx.resources("aws_s3_bucket"):
        yield ctx.expect(b, "force_destroy", lambda v: v is True, True, "a non-empty bucket blocks destroy")
    if not clusters and not ctx.resources("aws_elasticache_replication_group"):
        yield ctx.missing("aws_rds_cluster", "no data stores to verify")


def short_recovery_windows(ctx: Context) -> Iterator[Finding]:
    keys = ctx.resources("aws_kms_key")
    for k in keys:
        yield ctx.expect(k, "deletion_window_in_days", lambda v: v == 7, 7, "keys linger up to 30 days after destroy")
    for s in ctx.resources("aws_secretsmanager_secret"):
        yield ctx.expect(s, "recovery_window_in_days", lambda v: v == 0, 0, "the secret name stays reserved after destroy")
    if not keys:
        yield ctx.missing("aws_kms_key", "no keys to verify")


def no_skip_destroy(ctx: Context) -> Iterator[Finding]:
    targets = ctx.resources("aws_cloudwatch_log_group", "aws_ecs_task_definition")
    if not targets:
        yield ctx.missing("aws_cloudwatch_log_group", "nothing to verify")
    for r in targets:
        yield ctx.expect(r, "skip_destroy", lambda v: v is not True, "false or unset", "destroy leaves the resource behind")


def naming_convention(ctx: Context) -> Iterator[Finding]:
    variables = ctx.plan.data.get("variables") or {}
    suffix = (variables.get("environment_suffix") or {}).get("value")
    if not isinstance(suffix, str) or not suffix:
        yield ctx.fail("var.environment_suffix", "value", suffix, "a suffix variable", "the stack has no environment_suffix variable")
        return
    token = re.compile(rf"(^|[-/]){re.escape(suffix)}($|[-/])")
    for rtype, (attribute, prefix) in NAMING.items():
        for r in ctx.resources(rtype):
            name = r.get(attribute)
            if r.is_unknown(attribute) or name is None:
                yield ctx.finding(
                    r, attribute, "unknown", "(known after apply)", f"{prefix}<purpose>-{suffix}", "name unknown at plan time"
                )
                continue
            inner = next((m.group("inner") for p in AWS_FIXED if (m := p.match(str(name)))), None)
            candidates = [str(name)] + ([inner] if inner else [])
            # inside an AWS-imposed name (aws-waf-logs-..., /aws/rds/cluster/<id>/...) the prefix is AWS's
            good = (str(name).startswith(prefix) or inner is not None) and any(token.search(c) for c in candidates)
            yield ctx.verdict(
                good, r, attribute, name, f"{prefix}<purpose>-{suffix}", "name does not follow {resource-type}-{purpose}-{suffix}"
            )


# the registry: plain functions registered after their definitions rather than @check-decorated, because mutmut
# (nox -s mutants) does not mutate decorated functions and these bodies decide PASS/FAIL
check("D1")(no_prevent_destroy)
check("D2")(stores_deletable)
check("D3")(short_recovery_windows)
check("D4")(no_skip_destroy)
check("NM1")(naming_convention)
