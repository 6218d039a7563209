"""Audit logging and monitoring (PCI DSS 10.2-10.7, 11.5, 12.10.5): L1-L10."""

from __future__ import annotations

from collections.abc import Generator, Iterator

from tapguard.controls.accounts import trail_pending
from tapguard.controls.engine import UNKNOWN, Context, Finding, as_list, check, containers
from tapguard.planning.model import Resource

ALLOWED_RETENTION = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def trails(ctx: Context, why: str) -> Generator[Finding, None, list[Resource]]:
    """The plan's trails; none in a stack whose profile names another stack as the owner of the account's multi-region
    trail: pending (unknown) until that stack's plan is judged in the same run (controls/accounts.py)."""
    found = ctx.resources("aws_cloudtrail")
    owner = ctx.profile.trail_owner
    if not found and owner and owner != ctx.env:
        yield trail_pending(ctx, owner)
        return found
    return (yield from ctx.need("aws_cloudtrail", why))


def trail_records_everything(ctx: Context) -> Iterator[Finding]:
    found = yield from trails(ctx, "no CloudTrail trail: API activity (including secret access) is not recorded by this stack")
    for t in found:
        yield ctx.expect(t, "is_multi_region_trail", lambda v: v is True, True, "trail records one region only")
        yield ctx.expect(t, "include_global_service_events", lambda v: v is True, True, "IAM/STS events are not recorded")
        yield ctx.expect(t, "enable_logging", lambda v: v is not False, True, "logging is stopped")
        selectors = as_list(t.get("event_selector"))
        management = not selectors or any(s.get("include_management_events") is True for s in selectors)
        yield ctx.verdict(management, t, "event_selector", selectors, "management events included", "management events are excluded")


def trail_protected(ctx: Context) -> Iterator[Finding]:
    found = yield from trails(ctx, "no CloudTrail trail to protect")
    for t in found:
        yield ctx.expect(t, "enable_log_file_validation", lambda v: v is True, True, "log files can be altered undetected")
        yield ctx.cmk(t, "kms_key_id")
        for attribute in ("cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn"):
            yield ctx.verdict(
                t.has(attribute), t, attribute, t.get(attribute), "set", "trail is not delivered to CloudWatch Logs for automated review"
            )


def vpc_flow_logs(ctx: Context) -> Iterator[Finding]:
    vpcs = yield from ctx.need("aws_vpc", "no VPC to verify")
    flows = ctx.resources("aws_flow_log")
    for vpc in vpcs:
        mine = ctx.referencing(vpc, "vpc_id", flows)
        if not mine:
            yield ctx.fail(vpc, "flow_log", None, "an aws_flow_log with traffic_type ALL", "no flow log for this VPC")
        for f in mine:
            yield ctx.expect(f, "traffic_type", lambda v: v == "ALL", "ALL", "only part of the traffic is logged")
            yield ctx.expect(
                f, "log_destination_type", lambda v: v in ("cloud-watch-logs", "s3"), "cloud-watch-logs or s3", "unsupported destination"
            )
            groups = f.referenced("log_destination", "aws_cloudwatch_log_group")
            yield ctx.verdict(
                bool(groups) or f.get("log_destination_type") == "s3",
                f,
                "log_destination",
                [g.address for g in groups],
                "a log group in this plan (KMS-encrypted, see E6)",
                "flow log destination not traceable",
            )
            if f.get("log_destination_type") != "s3":
                yield ctx.verdict(f.has("iam_role_arn"), f, "iam_role_arn", f.get("iam_role_arn"), "set", "flow log cannot deliver")


def api_logging(ctx: Context) -> Iterator[Finding]:
    stages = yield from ctx.need("aws_api_gateway_stage", "no API stage to verify")
    settings = ctx.resources("aws_api_gateway_method_settings")
    for s in stages:
        destination = s.has("access_log_settings.0.destination_arn")
        if destination and s.is_unknown("access_log_settings.0.format"):
            yield ctx.finding(
                s,
                "access_log_settings",
                UNKNOWN,
                "(known after apply)",
                "destination_arn and format",
                "access log format unknown at plan time",
            )
        else:
            yield ctx.verdict(
                destination and bool(s.get("access_log_settings.0.format")),
                s,
                "access_log_settings",
                s.get("access_log_settings"),
                "destination_arn and format",
                "no access log",
            )
        mine = ctx.referencing(s, "stage_name", settings)
        if not mine:
            yield ctx.fail(s, "method_settings", None, "aws_api_gateway_method_settings for */*", "no execution logging or metrics")
        for m in mine:
            yield ctx.expect(m, "settings.0.logging_level", lambda v: v in ("ERROR", "INFO"), "ERROR or INFO", "execution logging is off")
            yield ctx.expect(m, "settings.0.metrics_enabled", lambda v: v is True, True, "metrics are off")
            yield ctx.expect(
                m, "settings.0.data_trace_enabled", lambda v: v is not True, False, "full request/response logging can capture PAN"
            )
    accounts = ctx.resources("aws_api_gateway_account")
    for a in accounts:
        yield ctx.verdict(
            a.has("cloudwatch_role_arn"), a, "cloudwatch_role_arn", a.get("cloudwatch_role_arn"), "set", "API Gateway cannot write logs"
        )
    if stages and not accounts:
        yield ctx.fail(
            "(no aws_api_gateway_account)",
            "cloudwatch_role_arn",
            None,
            "an aws_api_gateway_account with a CloudWatch role",
            "execution logs need the regional account setting",
        )


def database_logs(ctx: Context) -> Iterator[Finding]:
    clusters = yield from ctx.need("aws_rds_cluster", "no Aurora cluster to verify")
    log_groups = {g.get("name"): g for g in ctx.resources("aws_cloudwatch_log_group")}
    for c in clusters:
        yield ctx.expect(
            c, "enabled_cloudwatch_logs_exports", lambda v: "postgresql" in as_list(v), ["postgresql"], "PostgreSQL log is not exported"
        )
        for g in c.referenced("db_cluster_parameter_group_name", "aws_rds_cluster_parameter_group"):
            names = {p.get("name") for p in as_list(g.get("parameter"))}
            needed = {"log_statement", "log_min_duration_statement"}
            yield ctx.verdict(
                needed <= names, g, "parameter", sorted(names & needed), sorted(needed), "statement logging is not configured"
            )
        if c.is_unknown("cluster_identifier"):
            # the name RDS exports to is known only after apply: a log group named from the cluster is the one
            named = ctx.referencing(c, "name", ctx.resources("aws_cloudwatch_log_group"))
            expected = "/aws/rds/cluster/<cluster_identifier>/postgresql"
            if named:
                yield ctx.ok(c, "log_group", named[0].address, expected)
            else:
                yield ctx.finding(c, "log_group", UNKNOWN, "(known after apply)", expected, "cluster identifier unknown at plan time")
            continue
        name = f"/aws/rds/cluster/{c.get('cluster_identifier')}/postgresql"
        yield ctx.verdict(
            name in log_groups,
            c,
            "log_group",
            name if name in log_groups else None,
            name,
            "exported log group is created by RDS with no retention and no CMK",
        )


def container_logs(ctx: Context) -> Iterator[Finding]:
    tasks = yield from ctx.need("aws_ecs_task_definition", "no ECS task definitions in this stack")
    groups = {g.get("name") for g in ctx.resources("aws_cloudwatch_log_group")}
    for td in tasks:
        defs = containers(td)
        if defs is None:
            yield ctx.unreadable_containers(td)
            continue
        for c in defs:
            log = c.get("logConfiguration") or {}
            group = (log.get("options") or {}).get("awslogs-group")
            good = log.get("logDriver") in ("awslogs", "awsfirelens") and (log.get("logDriver") == "awsfirelens" or group in groups)
            yield ctx.verdict(
                good,
                td,
                f"container[{c.get('name')}].logConfiguration",
                {"driver": log.get("logDriver"), "group": group},
                "awslogs to a log group of this stack",
                "container output is not captured",
            )


def waf_logging(ctx: Context) -> Iterator[Finding]:
    acls = yield from ctx.need("aws_wafv2_web_acl", "no web ACL to verify")
    configs = ctx.resources("aws_wafv2_web_acl_logging_configuration")
    for acl in acls:
        mine = ctx.referencing(acl, "resource_arn", configs)
        if not mine:
            yield ctx.fail(acl, "logging", None, "an aws_wafv2_web_acl_logging_configuration", "WAF decisions are not logged")
        for c in mine:
            groups = c.referenced("log_destination_configs", "aws_cloudwatch_log_group")
            good = bool(groups) and all(str(g.get("name", "")).startswith("aws-waf-logs-") for g in groups)
            yield ctx.verdict(
                good,
                c,
                "log_destination_configs",
                [g.get("name") for g in groups],
                "a log group named aws-waf-logs-*",
                "WAF log destination invalid",
            )


def log_retention(ctx: Context) -> Iterator[Finding]:
    groups = yield from ctx.need("aws_cloudwatch_log_group", "no log groups to verify")
    minimum = ctx.profile.min_log_retention_days
    for g in groups:
        yield ctx.expect(
            g,
            "retention_in_days",
            lambda v: isinstance(v, int) and v >= minimum,
            f">= {minimum} days (0 = never expire is not allowed: set a retention)",
            "audit logs expire before 12 months",
        )


def alarms_notify(ctx: Context) -> Iterator[Finding]:
    alarms = yield from ctx.need("aws_cloudwatch_metric_alarm", "no alarms: failures of critical controls go unnoticed")
    for a in alarms:
        yield ctx.expect(a, "actions_enabled", lambda v: v is not False, True, "alarm actions disabled")
        topics = a.referenced("alarm_actions", "aws_sns_topic")
        # an action that is no SNS topic (an autoscaling policy, an EC2 action) tells nobody
        known = [arn for arn in as_list(a.get("alarm_actions")) if isinstance(arn, str) and arn.startswith("arn:") and ":sns:" in arn]
        yield ctx.verdict(
            bool(topics) or bool(known),
            a,
            "alarm_actions",
            [t.address for t in topics] or a.get("alarm_actions"),
            "an SNS topic",
            "alarm notifies nobody",
        )
    trails = ctx.resources("aws_cloudtrail")
    if trails:
        # only a filter on a log group the trail delivers to sees the trail's events
        groups = [g for t in trails for g in t.referenced("cloud_watch_logs_group_arn", "aws_cloudwatch_log_group")]
        names = {name for g in groups if isinstance(name := g.get("name"), str) and name}
        filters = [
            f
            for f in ctx.resources("aws_cloudwatch_log_metric_filter")
            if {g.address for g in f.referenced("log_group_name", "aws_cloudwatch_log_group")} & {g.address for g in groups}
            or (isinstance(named := f.get("log_group_name"), str) and named in names)
        ]
        yield ctx.verdict(
            len(filters) >= 3,
            "(security metric filters)",
            "count",
            len(filters),
            ">= 3 CloudTrail metric filters (unauthorized calls, KMS, security groups)",
            "security events in the trail are not turned into alarms",
        )


def intrusion_detection(ctx: Context) -> Iterator[Finding]:
    detectors = ctx.resources("aws_guardduty_detector")
    if not detectors:
        yield ctx.finding(
            "(account baseline)",
            "aws_guardduty_detector",
            "not_applicable",
            None,
            "GuardDuty enabled in the account",
            "GuardDuty is an account-level baseline, not owned by this stack: attest it separately",
        )
    for d in detectors:
        yield ctx.expect(d, "enable", lambda v: v is True, True, "GuardDuty detector disabled")


# the registry: plain functions registered after their definitions rather than @check-decorated, because mutmut
# (nox -s mutants) does not mutate decorated functions and these bodies decide PASS/FAIL
check("L1")(trail_records_everything)
check("L2")(trail_protected)
check("L3")(vpc_flow_logs)
check("L4")(api_logging)
check("L5")(database_logs)
check("L6")(container_logs)
check("L7")(waf_logging)
check("L8")(log_retention)
check("L9")(alarms_notify)
check("L10")(intrusion_detection)
