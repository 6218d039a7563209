"""Stored data, keys and data in transit (PCI DSS 3.5, 3.6, 3.7, 4.2, 2.2.7, 8.3.2): E1-E7, K1-K2, T1-T4."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tapguard.controls import iam_policy
from tapguard.controls.engine import Context, Finding, as_list, check

TRUE_STRINGS = ("true",)


def aurora_encrypted(ctx: Context) -> Iterator[Finding]:
    clusters = yield from ctx.need("aws_rds_cluster", "no Aurora cluster to verify")
    for c in clusters:
        yield ctx.expect(c, "storage_encrypted", lambda v: v is True, True, "storage is not encrypted")
        yield ctx.cmk(c, "kms_key_id")
        if c.get("manage_master_user_password") is True:
            yield ctx.cmk(c, "master_user_secret_kms_key_id")
    for i in ctx.resources("aws_rds_cluster_instance"):
        if i.get("performance_insights_enabled") is True:
            yield ctx.cmk(i, "performance_insights_kms_key_id")


def efs_encrypted(ctx: Context) -> Iterator[Finding]:
    systems = yield from ctx.need("aws_efs_file_system", "no EFS file system to verify")
    for fs in systems:
        yield ctx.expect(fs, "encrypted", lambda v: v is True, True, "file system is not encrypted")
        yield ctx.cmk(fs, "kms_key_id")


def redis_encrypted(ctx: Context) -> Iterator[Finding]:
    groups = yield from ctx.need("aws_elasticache_replication_group", "no Redis replication group to verify")
    for g in groups:
        # a string attribute in provider 5.100 ("true"), a bool in v6
        yield ctx.expect(g, "at_rest_encryption_enabled", lambda v: str(v).lower() in TRUE_STRINGS, "true", "at-rest encryption is off")
        yield ctx.cmk(g, "kms_key_id")


def kinesis_encrypted(ctx: Context) -> Iterator[Finding]:
    streams = yield from ctx.need("aws_kinesis_stream", "no Kinesis stream in this stack")
    for s in streams:
        yield ctx.expect(s, "encryption_type", lambda v: v == "KMS", "KMS", "stream is not encrypted with KMS")
        yield ctx.cmk(s, "kms_key_id")


def secrets_encrypted(ctx: Context) -> Iterator[Finding]:
    created = ctx.resources("aws_secretsmanager_secret")
    existing = ctx.resources("aws_secretsmanager_secret", mode="data")
    for s in created:
        yield ctx.cmk(s, "kms_key_id")
    for s in existing:
        key = s.get("kms_key_id")
        good = bool(key) and "alias/aws/" not in str(key)
        yield ctx.verdict(
            good,
            s,
            "kms_key_id",
            key or "(AWS-managed aws/secretsmanager)",
            "a customer-managed key",
            "existing secret is encrypted with the AWS-managed key; re-encrypt it with a CMK",
        )
    if not created and not existing:
        yield ctx.missing("aws_secretsmanager_secret", "no secrets to verify")


def logs_encrypted(ctx: Context) -> Iterator[Finding]:
    groups = yield from ctx.need("aws_cloudwatch_log_group", "no log groups to verify")
    for g in groups:
        yield ctx.cmk(g, "kms_key_id")


def api_cache_encrypted(ctx: Context) -> Iterator[Finding]:
    stages = ctx.resources("aws_api_gateway_stage")
    settings = ctx.resources("aws_api_gateway_method_settings")
    if not stages and not settings:
        yield ctx.missing("aws_api_gateway_stage", "no API stage to verify")
    for s in stages:
        if s.get("cache_cluster_enabled") is True:
            covered = any(m.get("settings.0.cache_data_encrypted") is True for m in settings)
            yield ctx.verdict(
                covered, s, "cache_cluster_enabled", True, "cache_data_encrypted = true in method settings", "API cache is not encrypted"
            )
        else:
            yield ctx.ok(s, "cache_cluster_enabled", s.get("cache_cluster_enabled"), "off, or encrypted")
    for m in settings:
        if m.get("settings.0.caching_enabled") is True:
            yield ctx.expect(m, "settings.0.cache_data_encrypted", lambda v: v is True, True, "cached responses are not encrypted")


def keys_rotate(ctx: Context) -> Iterator[Finding]:
    keys = yield from ctx.need("aws_kms_key", "no customer-managed keys in the plan")
    for k in keys:
        spec = k.get("customer_master_key_spec")
        if spec not in (None, "SYMMETRIC_DEFAULT"):
            yield ctx.fail(k, "customer_master_key_spec", spec, "SYMMETRIC_DEFAULT", "asymmetric keys cannot rotate automatically")
            continue
        yield ctx.expect(k, "enable_key_rotation", lambda v: v is True, True, "automatic rotation is off")
        period = k.get("rotation_period_in_days")
        if period is not None:
            yield ctx.verdict(90 <= period <= 365, k, "rotation_period_in_days", period, "90-365 days", "cryptoperiod longer than a year")


def key_access_limited(ctx: Context) -> Iterator[Finding]:
    keys = yield from ctx.need("aws_kms_key", "no customer-managed keys in the plan")
    for k in keys:
        if k.get("is_enabled") is False:
            yield ctx.fail(k, "is_enabled", False, True, "key is disabled")
        doc = iam_policy.document(k, "policy")
        if doc is None:
            yield ctx.fail(k, "policy", k.get("policy"), "an explicit key policy", "no key policy (the default grants the whole account)")
            continue
        open_statements = [
            s.get("Sid", "?")
            for s in iam_policy.statements(doc)
            if s.get("Effect") == "Allow" and "*" in iam_policy.principals(s) and not s.get("Condition")
        ]
        yield ctx.verdict(
            not open_statements, k, "policy", open_statements, "no Allow to Principal * without a condition", "key usable by anyone"
        )
    for r in ctx.resources("aws_iam_policy", "aws_iam_role_policy"):
        doc = iam_policy.document(r, "policy")
        if doc is None:
            continue
        broad = [
            s.get("Sid", "?")
            for s in iam_policy.statements(doc)
            if s.get("Effect") == "Allow"
            and "*" in iam_policy.resources(s)
            and any(a in ("kms:*", "*", "kms:Decrypt") for a in iam_policy.actions(s))
        ]
        yield ctx.verdict(
            not broad, r, "policy", broad, "no kms:* or kms:Decrypt on every key", "IAM policy can use every key in the account"
        )


def aurora_tls(ctx: Context) -> Iterator[Finding]:
    clusters = yield from ctx.need("aws_rds_cluster", "no Aurora cluster to verify")
    for c in clusters:
        groups = c.referenced("db_cluster_parameter_group_name", "aws_rds_cluster_parameter_group")
        if not groups:
            yield ctx.fail(
                c,
                "db_cluster_parameter_group_name",
                c.get("db_cluster_parameter_group_name"),
                "a parameter group in this plan with rds.force_ssl = 1",
                "default parameter group: rds.force_ssl is 0",
            )
            continue
        for g in groups:
            params = {p.get("name"): str(p.get("value")) for p in as_list(g.get("parameter"))}
            yield ctx.verdict(
                params.get("rds.force_ssl") == "1",
                g,
                "parameter[rds.force_ssl]",
                params.get("rds.force_ssl"),
                "1",
                "clients may connect without TLS",
            )


def redis_tls_auth(ctx: Context) -> Iterator[Finding]:
    groups = yield from ctx.need("aws_elasticache_replication_group", "no Redis replication group to verify")
    for g in groups:
        yield ctx.expect(g, "transit_encryption_enabled", lambda v: v is True, True, "TLS is off")
        yield ctx.expect(
            g, "transit_encryption_mode", lambda v: v in (None, "required"), "required (or unset)", "TLS is optional (preferred mode)"
        )
        authed = g.has("auth_token") or bool(g.get("user_group_ids"))
        yield ctx.verdict(authed, g, "auth_token", "(set)" if authed else None, "an AUTH token or RBAC user group", "no authentication")


def _refuses_plain_transport(statement: dict[str, Any]) -> bool:
    """A Deny whose Bool condition on aws:SecureTransport is false. IAM takes a condition value as a string or a list
    of strings; a null Condition is no condition, and one that is not an object (a hostile plan) refuses nothing."""
    condition = statement.get("Condition")
    flags = condition.get("Bool") if isinstance(condition, dict) else None
    secure = flags.get("aws:SecureTransport") if isinstance(flags, dict) else None
    return statement.get("Effect") == "Deny" and any(str(v).lower() == "false" for v in iam_policy.listify(secure))


def efs_tls(ctx: Context) -> Iterator[Finding]:
    systems = yield from ctx.need("aws_efs_file_system", "no EFS file system to verify")
    policies = ctx.resources("aws_efs_file_system_policy")
    for fs in systems:
        mine = ctx.referencing(fs, "file_system_id", policies)
        denies = False
        for p in mine:
            doc = iam_policy.document(p, "policy") or {}
            denies |= any(_refuses_plain_transport(s) for s in iam_policy.statements(doc))
        yield ctx.verdict(
            denies,
            fs,
            "file_system_policy",
            [p.address for p in mine],
            "a policy denying aws:SecureTransport = false",
            "non-TLS NFS clients are not refused",
        )
    for td in ctx.resources("aws_ecs_task_definition"):
        for i, volume in enumerate(as_list(td.get("volume"))):
            for efs in as_list(volume.get("efs_volume_configuration")):
                base = f"volume.{i}.efs_volume_configuration.0"
                yield ctx.verdict(
                    efs.get("transit_encryption") == "ENABLED",
                    td,
                    f"{base}.transit_encryption",
                    efs.get("transit_encryption"),
                    "ENABLED",
                    "EFS volume mounted without TLS",
                )
                auth = (as_list(efs.get("authorization_config")) or [{}])[0]
                good = auth.get("iam") == "ENABLED" and (
                    auth.get("access_point_id") or td.is_unknown(f"{base}.authorization_config.0.access_point_id")
                )
                yield ctx.verdict(
                    bool(good),
                    td,
                    f"{base}.authorization_config",
                    {"iam": auth.get("iam")},
                    "iam ENABLED through an access point",
                    "EFS mount not authorized by IAM",
                )


def api_edge_tls(ctx: Context) -> Iterator[Finding]:
    stages = yield from ctx.need("aws_api_gateway_stage", "no API stage to verify")
    for d in ctx.resources("aws_api_gateway_domain_name"):
        yield ctx.expect(d, "security_policy", lambda v: v == "TLS_1_2", "TLS_1_2", "custom domain allows TLS 1.0/1.1")
    http_backends = [i for i in ctx.resources("aws_api_gateway_integration") if i.get("type") in ("HTTP", "HTTP_PROXY")]
    for s in stages:
        if http_backends:
            yield ctx.verdict(
                s.has("client_certificate_id"),
                s,
                "client_certificate_id",
                "(set)" if s.has("client_certificate_id") else None,
                "a client certificate for HTTP backends",
                "backend cannot authenticate API Gateway",
            )
        else:
            yield ctx.ok(s, "client_certificate_id", None, "not needed without HTTP backends")


# the registry: plain functions registered after their definitions rather than @check-decorated, because mutmut
# (nox -s mutants) does not mutate decorated functions and these bodies decide PASS/FAIL
check("E1")(aurora_encrypted)
check("E2")(efs_encrypted)
check("E3")(redis_encrypted)
check("E4")(kinesis_encrypted)
check("E5")(secrets_encrypted)
check("E6")(logs_encrypted)
check("E7")(api_cache_encrypted)
check("K1")(keys_rotate)
check("K2")(key_access_limited)
check("T1")(aurora_tls)
check("T2")(redis_tls_auth)
check("T3")(efs_tls)
check("T4")(api_edge_tls)
