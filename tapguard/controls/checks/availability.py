"""Availability and resilience (the stacks' 30 s failover and 99.99 % targets): R1-R11."""

from __future__ import annotations

import math
from collections.abc import Iterator

from tapguard.controls.engine import NOT_APPLICABLE, Context, Finding, as_list, check
from tapguard.planning.model import Resource


def _azs_of_subnets(subnets: list[Resource]) -> set[str]:
    """The zones the subnets are known to be in: a zone known only after apply proves no spread."""
    return {str(z) for s in subnets if (z := s.get("availability_zone") or s.get("availability_zone_id")) is not None}


def aurora_multi_az(ctx: Context) -> Iterator[Finding]:
    clusters = yield from ctx.need("aws_rds_cluster", "no Aurora cluster to verify")
    instances = ctx.resources("aws_rds_cluster_instance")
    for c in clusters:
        mine = ctx.referencing(c, "cluster_identifier", instances)
        yield ctx.verdict(len(mine) >= 2, c, "instances", len(mine), ">= 2 (writer + at least one replica)", "no replica to fail over to")
        zones = [i.get("availability_zone") for i in mine]
        if all(zones) and mine:
            yield ctx.verdict(
                len(set(zones)) >= min(len(mine), ctx.profile.min_azs),
                c,
                "availability_zone",
                sorted(set(zones)),
                f"instances in >= {ctx.profile.min_azs} distinct AZs",
                "writer and replicas share an AZ",
            )
        else:
            yield ctx.fail(
                c, "availability_zone", zones, "set explicitly on every instance", "AZ left to AWS: replicas may land in the writer's AZ"
            )
        classes = {i.get("instance_class") for i in mine}
        yield ctx.verdict(
            len(classes) <= 1,
            c,
            "instance_class",
            sorted(map(str, classes)),
            "one class for writer and replicas",
            "a promoted replica may be too small",
        )
        tiers = [i.get("promotion_tier") for i in mine]
        yield ctx.verdict(
            all(t is not None for t in tiers), c, "promotion_tier", tiers, "set on every instance", "failover target order is arbitrary"
        )


def aurora_backups(ctx: Context) -> Iterator[Finding]:
    clusters = yield from ctx.need("aws_rds_cluster", "no Aurora cluster to verify")
    for c in clusters:
        yield ctx.expect(
            c,
            "backup_retention_period",
            lambda v: isinstance(v, int) and 7 <= v <= 35,
            "7-35 days, set explicitly",
            "backup retention under a week or left to the default",
        )
        yield ctx.verdict(
            c.has("preferred_backup_window") and not c.is_unknown("preferred_backup_window"),
            c,
            "preferred_backup_window",
            c.get("preferred_backup_window"),
            "set",
            "backup window left to AWS",
        )
        yield ctx.expect(c, "copy_tags_to_snapshot", lambda v: v is True, True, "snapshots lose their classification tags")


def redis_failover(ctx: Context) -> Iterator[Finding]:
    groups = yield from ctx.need("aws_elasticache_replication_group", "no Redis replication group to verify")
    for g in groups:
        yield ctx.expect(g, "automatic_failover_enabled", lambda v: v is True, True, "no automatic failover")
        yield ctx.expect(g, "multi_az_enabled", lambda v: v is True, True, "replicas may share the primary's AZ")
        nodes = g.get("num_cache_clusters")
        groups_n, replicas = g.get("num_node_groups"), g.get("replicas_per_node_group")
        enough = (isinstance(nodes, int) and nodes >= 2) or (
            isinstance(groups_n, int) and groups_n >= 1 and isinstance(replicas, int) and replicas >= 1
        )
        yield ctx.verdict(
            enough,
            g,
            "num_cache_clusters",
            nodes if nodes is not None else {"node_groups": groups_n, "replicas": replicas},
            ">= 2 nodes",
            "no replica to promote",
        )
        azs = as_list(g.get("preferred_cache_cluster_azs"))
        if azs:
            yield ctx.verdict(
                len(set(azs)) >= min(len(azs), ctx.profile.min_azs),
                g,
                "preferred_cache_cluster_azs",
                azs,
                f"distinct AZs (>= {ctx.profile.min_azs})",
                "nodes share an AZ",
            )
        for sg in g.referenced("subnet_group_name", "aws_elasticache_subnet_group"):
            zones = _azs_of_subnets(sg.referenced("subnet_ids", "aws_subnet"))
            yield ctx.verdict(
                len(zones) >= ctx.profile.min_azs,
                sg,
                "subnet_ids",
                sorted(zones),
                f">= {ctx.profile.min_azs} AZs",
                "subnet group spans too few AZs",
            )


def redis_snapshots(ctx: Context) -> Iterator[Finding]:
    groups = yield from ctx.need("aws_elasticache_replication_group", "no Redis replication group to verify")
    for g in groups:
        yield ctx.expect(g, "snapshot_retention_limit", lambda v: isinstance(v, int) and v >= 1, ">= 1 day", "snapshots disabled")
        yield ctx.verdict(
            g.has("snapshot_window") and not g.is_unknown("snapshot_window"),
            g,
            "snapshot_window",
            g.get("snapshot_window"),
            "set",
            "snapshot window left to AWS",
        )


def efs_multi_az(ctx: Context) -> Iterator[Finding]:
    systems = yield from ctx.need("aws_efs_file_system", "no EFS file system to verify")
    targets = ctx.resources("aws_efs_mount_target")
    for fs in systems:
        one_zone = fs.get("availability_zone_name") or "availability_zone_name" in fs.config
        yield ctx.verdict(
            not one_zone, fs, "availability_zone_name", fs.get("availability_zone_name"), "unset (regional)", "One Zone file system"
        )
        mine = ctx.referencing(fs, "file_system_id", targets)
        subnets = [s for t in mine for s in t.referenced("subnet_id", "aws_subnet")]
        zones = _azs_of_subnets(subnets)
        # a for_each over a subnet list references every subnet: count the targets as well as their AZs
        good = len(mine) >= ctx.profile.min_azs and len(zones) >= ctx.profile.min_azs
        yield ctx.verdict(
            good,
            fs,
            "mount_targets",
            {"targets": len(mine), "zones": sorted(zones)},
            f"mount targets in >= {ctx.profile.min_azs} AZs",
            "file system unreachable when an AZ fails",
        )
        for t in mine:
            yield ctx.verdict(
                t.has("security_groups"),
                t,
                "security_groups",
                t.get("security_groups"),
                "set",
                "mount target in the VPC's default security group",
            )


def efs_backups(ctx: Context) -> Iterator[Finding]:
    systems = yield from ctx.need("aws_efs_file_system", "no EFS file system to verify")
    policies = ctx.resources("aws_efs_backup_policy")
    for fs in systems:
        mine = ctx.referencing(fs, "file_system_id", policies)
        enabled = any(p.get("backup_policy.0.status") == "ENABLED" for p in mine)
        yield ctx.verdict(
            enabled, fs, "backup_policy", [p.get("backup_policy.0.status") for p in mine], "ENABLED", "file system is not backed up"
        )


def network_spans_azs(ctx: Context) -> Iterator[Finding]:
    subnets = yield from ctx.need("aws_subnet", "no subnets to verify")
    if not subnets:
        return
    need = ctx.profile.min_azs
    public = [s for s in subnets if (s.get("tags") or {}).get("Tier") == "public"]
    private = [s for s in subnets if s not in public]
    for tier, members in (("public", public), ("private", private)):
        zones = _azs_of_subnets(members)
        yield ctx.verdict(
            len(zones) >= need,
            f"(aws_subnet {tier})",
            "availability_zone",
            sorted(zones),
            f">= {need} AZs",
            f"{tier} subnets span too few AZs",
        )
    nats = ctx.resources("aws_nat_gateway")
    if ctx.profile.nat_per_az:
        nat_zones = _azs_of_subnets([s for n in nats for s in n.referenced("subnet_id", "aws_subnet")])
        yield ctx.verdict(
            len(nat_zones) >= need,
            "(aws_nat_gateway)",
            "subnet_id",
            sorted(nat_zones),
            f"one NAT gateway in each of >= {need} AZs",
            "an AZ loss cuts egress for the others",
        )
        for n in nats:
            yield ctx.expect(n, "connectivity_type", lambda v: v in (None, "public"), "public", "private NAT cannot reach AWS APIs")
    for e in ctx.resources("aws_eip"):
        yield ctx.expect(e, "domain", lambda v: v == "vpc", "vpc", "EIP without domain = vpc (vpc argument is removed in v6)")
    associations = ctx.resources("aws_route_table_association")
    for n in nats:
        nat_zone = _azs_of_subnets(n.referenced("subnet_id", "aws_subnet"))
        for table in ctx.resources("aws_route_table"):
            if n.address not in table.references("route").resources:
                continue
            served = [s for a in ctx.referencing(table, "route_table_id", associations) for s in a.referenced("subnet_id", "aws_subnet")]
            zones = _azs_of_subnets(served)
            yield ctx.verdict(
                zones <= nat_zone,
                table,
                "route.nat_gateway_id",
                {"nat": sorted(nat_zone), "subnets": sorted(zones)},
                "the NAT gateway of the same AZ",
                "private subnets depend on another AZ's NAT",
            )


def services_highly_available(ctx: Context) -> Iterator[Finding]:
    services = yield from ctx.need("aws_ecs_service", "no ECS services in this stack")
    for s in services:
        yield ctx.expect(s, "desired_count", lambda v: isinstance(v, int) and v >= 2, ">= 2", "a single task is a single point of failure")
        fargate = s.get("launch_type") == "FARGATE" or any(
            p.get("capacity_provider", "").startswith("FARGATE") for p in as_list(s.get("capacity_provider_strategy"))
        )
        yield ctx.verdict(fargate, s, "launch_type", s.get("launch_type"), "FARGATE", "not on Fargate")
        zones = _azs_of_subnets(s.referenced("network_configuration.0.subnets", "aws_subnet"))
        yield ctx.verdict(
            len(zones) >= ctx.profile.min_azs,
            s,
            "network_configuration.0.subnets",
            sorted(zones),
            f">= {ctx.profile.min_azs} AZs",
            "tasks confined to too few AZs",
        )
        if _controller(s) == "CODE_DEPLOY":
            groups = _deployment_groups(ctx, s)
            rolls_back = any(g.get("auto_rollback_configuration.0.enabled") is True for g in groups)
            yield ctx.verdict(
                rolls_back,
                s,
                "deployment_controller",
                "CODE_DEPLOY",
                "a deployment group with automatic rollback",
                "a failed deployment is not stopped",
            )
        else:
            yield ctx.expect(s, "deployment_circuit_breaker.0.enable", lambda v: v is True, True, "a failed deployment is not stopped")


def _controller(service: Resource) -> str:
    return str(service.get("deployment_controller.0.type") or "ECS")


def _deployment_groups(ctx: Context, service: Resource) -> list[Resource]:
    return ctx.referencing(service, "ecs_service.0.service_name", ctx.resources("aws_codedeploy_deployment_group"))


def _not_asked(ctx: Context) -> Finding:
    return ctx.finding("(profile)", "blue_green", NOT_APPLICABLE, None, "blue/green", "this stack's spec does not ask for blue/green")


def blue_green_everywhere(ctx: Context) -> Iterator[Finding]:
    """Services behind a load balancer deploy blue/green; workers keep the old tasks until the new ones are healthy."""
    if not ctx.profile.blue_green:
        yield _not_asked(ctx)
        return
    services = yield from ctx.need("aws_ecs_service", "no ECS services to deploy blue/green")
    for s in services:
        if s.get("load_balancer"):
            groups = _deployment_groups(ctx, s)
            style = [(g.get("deployment_style.0.deployment_type"), g.get("deployment_style.0.deployment_option")) for g in groups]
            good = _controller(s) == "CODE_DEPLOY" and ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL") in style
            yield ctx.verdict(
                good,
                s,
                "deployment_controller",
                {"controller": _controller(s), "groups": style},
                "CODE_DEPLOY with a BLUE_GREEN, WITH_TRAFFIC_CONTROL deployment group",
                "service is not deployed blue/green",
            )
            for g in groups:
                pairs = g.get("load_balancer_info.0.target_group_pair_info.0") or {}
                routes = bool(pairs.get("prod_traffic_route")) and bool(pairs.get("test_traffic_route"))
                yield ctx.verdict(
                    len(pairs.get("target_group", [])) == 2 and routes,
                    g,
                    "load_balancer_info",
                    len(pairs.get("target_group", [])),
                    "blue and green target groups, a production and a test listener",
                    "no second target group or listener to switch to",
                )
        else:
            minimum = s.get("deployment_minimum_healthy_percent")
            good = (
                _controller(s) == "ECS"
                and isinstance(minimum, int)
                and minimum >= 100
                and s.get("deployment_circuit_breaker.0.rollback") is True
            )
            yield ctx.verdict(
                good,
                s,
                "deployment_minimum_healthy_percent",
                {"min_healthy": minimum, "rollback": s.get("deployment_circuit_breaker.0.rollback")},
                ">= 100 with circuit-breaker rollback (old tasks run until the new ones are healthy)",
                "a worker deployment can drop capacity",
            )


def blue_green_rolls_back(ctx: Context) -> Iterator[Finding]:
    if not ctx.profile.blue_green:
        yield _not_asked(ctx)
        return
    groups = yield from ctx.need("aws_codedeploy_deployment_group", "no CodeDeploy deployment group")
    for g in groups:
        events = set(g.get("auto_rollback_configuration.0.events") or [])
        yield ctx.verdict(
            g.get("auto_rollback_configuration.0.enabled") is True and {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} <= events,
            g,
            "auto_rollback_configuration",
            sorted(events),
            "enabled on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM",
            "a failed or alarming deployment keeps serving",
        )
        alarms = g.get("alarm_configuration.0.alarms") or []
        unhealthy = [a for a in alarms if "unhealthy" in str(a)]
        api = [a for a in alarms if "5xx" in str(a).lower() or "latency" in str(a).lower()]
        yield ctx.verdict(
            g.get("alarm_configuration.0.enabled") is True and bool(unhealthy) and bool(api),
            g,
            "alarm_configuration",
            alarms,
            "alarms on unhealthy hosts, 5XX and latency",
            "deployment is not stopped by alarms",
        )
        wait = g.get("blue_green_deployment_config.0.terminate_blue_instances_on_deployment_success.0.termination_wait_time_in_minutes")
        yield ctx.verdict(
            isinstance(wait, int) and wait >= 5,
            g,
            "termination_wait_time_in_minutes",
            wait,
            ">= 5 (old task set kept until proven)",
            "the old task set is gone before the new one is proven",
        )


def switch_fits_30_seconds(ctx: Context) -> Iterator[Finding]:
    """Every target group: drain + time to mark a new target healthy and a bad one unhealthy fit the 30 s budget."""
    if not ctx.profile.blue_green:
        yield _not_asked(ctx)
        return
    groups = yield from ctx.need("aws_lb_target_group", "no target groups")
    budget = ctx.profile.max_switch_seconds
    for tg in groups:
        delay = tg.get("deregistration_delay")
        interval = tg.get("health_check.0.interval")
        healthy, unhealthy = tg.get("health_check.0.healthy_threshold"), tg.get("health_check.0.unhealthy_threshold")
        try:
            switch = int(delay) + int(healthy) * int(interval)
            detect = int(unhealthy) * int(interval)
        except (TypeError, ValueError):
            yield ctx.fail(tg, "health_check", {"delay": delay, "interval": interval}, "known timings", "timings unknown or unset")
            continue
        yield ctx.verdict(
            switch <= budget and detect <= budget,
            tg,
            "deregistration_delay+health_check",
            {"drain_s": int(delay), "healthy_after_s": int(healthy) * int(interval), "unhealthy_after_s": detect, "switch_s": switch},
            f"drain + healthy threshold x interval <= {budget} s",
            f"a switch or rollback can take longer than {budget} s",
        )


def kinesis_capacity(ctx: Context) -> Iterator[Finding]:
    streams = yield from ctx.need("aws_kinesis_stream", "no Kinesis stream in this stack")
    needed = math.ceil(ctx.profile.peak_requests_per_minute / 60 / 1000)
    for s in streams:
        yield ctx.expect(s, "retention_period", lambda v: isinstance(v, int) and 24 <= v <= 8760, "24-8760 hours, set", "retention not set")
        mode = s.get("stream_mode_details.0.stream_mode")
        shards = s.get("shard_count")
        good = mode == "ON_DEMAND" or (isinstance(shards, int) and shards > needed)
        yield ctx.verdict(
            good,
            s,
            "shard_count",
            shards if mode != "ON_DEMAND" else "ON_DEMAND",
            f"ON_DEMAND or > {needed} shards for {ctx.profile.peak_requests_per_minute:,} records/min with headroom",
            "stream throttles at peak",
        )


def api_throttling(ctx: Context) -> Iterator[Finding]:
    settings = ctx.resources("aws_api_gateway_method_settings")
    plans = ctx.resources("aws_api_gateway_usage_plan")
    if not settings and not plans:
        yield ctx.missing("aws_api_gateway_method_settings", "no throttling configured")
    peak = ctx.profile.peak_requests_per_minute / 60
    for m in settings:
        rate, burst = m.get("settings.0.throttling_rate_limit"), m.get("settings.0.throttling_burst_limit")
        sized = isinstance(rate, int | float) and rate >= peak * 1.2 and isinstance(burst, int | float) and burst >= rate
        yield ctx.verdict(
            sized,
            m,
            "settings.0.throttling_rate_limit",
            {"rate": rate, "burst": burst},
            f"rate >= {math.ceil(peak * 1.2)}/s (peak {peak:.0f}/s + 20 %), burst >= rate",
            "throttling off (-1) or below the expected peak",
        )
    for p in plans:
        rate = p.get("throttle_settings.0.rate_limit")
        yield ctx.verdict(
            isinstance(rate, int | float) and rate >= peak * 1.2,
            p,
            "throttle_settings.0.rate_limit",
            rate,
            f">= {math.ceil(peak * 1.2)}/s",
            "usage plan throttles below the peak",
        )


def region_pinned(ctx: Context) -> Iterator[Finding]:
    expected = ctx.profile.region
    actual = ctx.plan.region
    if expected is None:
        yield ctx.verdict(
            actual is not None, "provider.aws", "region", actual, "a constant region", "region not pinned in the provider block"
        )
    else:
        yield ctx.verdict(actual == expected, "provider.aws", "region", actual, expected, f"stack must deploy to {expected}")


# the registry: plain functions registered after their definitions rather than @check-decorated, because mutmut
# (nox -s mutants) does not mutate decorated functions and these bodies decide PASS/FAIL
check("R1")(aurora_multi_az)
check("R2")(aurora_backups)
check("R3")(redis_failover)
check("R4")(redis_snapshots)
check("R5")(efs_multi_az)
check("R6")(efs_backups)
check("R7")(network_spans_azs)
check("R8")(services_highly_available)
check("B1")(blue_green_everywhere)
check("B2")(blue_green_rolls_back)
check("B3")(switch_fits_30_seconds)
check("R9")(kinesis_capacity)
check("R10")(api_throttling)
check("R11")(region_pinned)
