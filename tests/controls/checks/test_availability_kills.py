"""Availability checks (R1-R11, B1-B3) on small synthetic plans: every branch reached, every finding pinned field by field."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from tapguard.controls.checks import availability as av
from tapguard.controls.engine import Context, Finding
from tapguard.foundation.profile import Profile
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY
from tests.controls.checks.golden import configured as res

Resource = tuple[dict[str, Any], dict[str, Any]]  # (resource change, configuration entry)
Row = tuple[Any, ...]
ENV = "eu-west-1"
# the eu-west-1 stack's shape: three AZs, blue/green, a NAT gateway per AZ, every resource a control needs required
STACK = Profile(name=ENV, region=ENV, min_azs=3, blue_green=True, requires=None)
OK = "as required"


def judge(
    check: Callable[[Context], Iterable[Finding]], *resources: Resource, profile: Profile = STACK, region: str | None = None
) -> list[Row]:
    """(address, attribute, status, actual, expected, message) of every finding of one check on a plan of `resources`."""
    configuration: dict[str, Any] = {"root_module": {"resources": [entry for _, entry in resources]}}
    if region is not None:
        configuration["provider_config"] = {"aws": {"name": "aws", "expressions": {"region": {"constant_value": region}}}}
    data = {**EMPTY, "resource_changes": [change for change, _ in resources], "configuration": configuration}
    plan = model.from_dict(data, "synthetic")
    ctx = Context(env=ENV, plan=plan, profile=profile, control_id="R")
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in check(ctx)]


def with_expression(resource: Resource, attribute: str, value: Any) -> Resource:
    """The resource with a constant configuration expression for `attribute` (set in HCL, whatever the plan knows)."""
    change, entry = resource
    entry["expressions"][attribute] = {"constant_value": value}
    return change, entry


def subnet(name: str, zone: str | None, tier: str | None = None, key: str = "availability_zone") -> Resource:
    after: dict[str, Any] = {} if zone is None else {key: zone}
    if tier is not None:
        after["tags"] = {"Tier": tier}
    return res(f"aws_subnet.{name}", after)


def missing(rtype: str, why: str, status: str = "fail") -> Row:
    return (f"(no {rtype})", "", status, None, f"at least one {rtype}", why)


NOT_ASKED = ("(profile)", "blue_green", "not_applicable", None, "blue/green", "this stack's spec does not ask for blue/green")
WITHOUT_BLUE_GREEN = dataclasses.replace(STACK, blue_green=False)


# ------------------------------------------------------------------------------------------------ AZs of subnets
def test_a_subnet_counts_in_its_zone_by_name_or_by_id_and_one_without_either_counts_nowhere() -> None:
    subnets = [subnet("a", "eu-west-1a"), subnet("b", "euw1-az2", key="availability_zone_id"), subnet("c", None)]
    plan = model.from_dict(
        {**EMPTY, "resource_changes": [c for c, _ in subnets], "configuration": {"root_module": {"resources": [e for _, e in subnets]}}}
    )
    assert av._azs_of_subnets(plan.of_type("aws_subnet")) == {"eu-west-1a", "euw1-az2"}


def test_a_subnet_with_both_zone_name_and_id_counts_by_its_name() -> None:
    plan = model.from_dict(
        {**EMPTY, "resource_changes": [res("aws_subnet.a", {"availability_zone": "z1", "availability_zone_id": "id1"})[0]]}
    )
    assert av._azs_of_subnets(plan.of_type("aws_subnet")) == {"z1"}


def test_a_subnet_whose_az_is_unknown_at_plan_time_adds_no_az() -> None:
    """Two subnets, one in a and one in an AZ computed at apply, are not proven to span two AZs (R7 private tier)."""
    unknown = res("aws_subnet.later", {}, unknown={"availability_zone": True})
    got = judge(
        av.network_spans_azs,
        subnet("pub_a", "a", "public"),
        subnet("pub_b", "b", "public"),
        subnet("a", "a"),
        unknown,
        profile=dataclasses.replace(STACK, min_azs=2, nat_per_az=False),
    )
    assert got[1] == spans("private", ["a"], "fail", 2)


# ------------------------------------------------------------------------------------------------ R1
CLUSTER = "aws_rds_cluster.db"


def instance(name: str, zone: str | None = "a", size: str = "db.r6g.large", tier: int | None = 0) -> Resource:
    after: dict[str, Any] = {"instance_class": size, "promotion_tier": tier}
    if zone is not None:
        after["availability_zone"] = zone
    return res(f"aws_rds_cluster_instance.{name}", after, {"cluster_identifier": [CLUSTER]})


def r1(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.aurora_multi_az, res(CLUSTER, {}), *resources, profile=profile)


def test_an_aurora_cluster_with_writer_and_replicas_in_distinct_azs_passes_r1() -> None:
    assert r1(instance("w", "a", tier=0), instance("r1", "b", tier=1), instance("r2", "c", tier=1)) == [
        (CLUSTER, "instances", "pass", 3, ">= 2 (writer + at least one replica)", OK),
        (CLUSTER, "availability_zone", "pass", ["a", "b", "c"], "instances in >= 3 distinct AZs", OK),
        (CLUSTER, "instance_class", "pass", ["db.r6g.large"], "one class for writer and replicas", OK),
        (CLUSTER, "promotion_tier", "pass", [0, 1, 1], "set on every instance", OK),
    ]


def test_two_instances_in_two_azs_pass_r1_even_when_the_profile_asks_for_three() -> None:
    assert r1(instance("w", "a"), instance("r", "b"))[:2] == [
        (CLUSTER, "instances", "pass", 2, ">= 2 (writer + at least one replica)", OK),
        (CLUSTER, "availability_zone", "pass", ["a", "b"], "instances in >= 3 distinct AZs", OK),
    ]


def test_three_instances_in_two_azs_fail_r1_under_a_three_az_profile_and_pass_under_a_two_az_one() -> None:
    three = (instance("w", "a"), instance("r1", "b"), instance("r2", "b"))
    assert r1(*three)[1] == (
        CLUSTER,
        "availability_zone",
        "fail",
        ["a", "b"],
        "instances in >= 3 distinct AZs",
        "writer and replicas share an AZ",
    )
    two_azs = dataclasses.replace(STACK, min_azs=2)
    assert r1(*three, profile=two_azs)[1] == (CLUSTER, "availability_zone", "pass", ["a", "b"], "instances in >= 2 distinct AZs", OK)


def test_a_lone_writer_fails_r1_for_want_of_a_replica() -> None:
    assert r1(instance("w", "a", tier=None)) == [
        (CLUSTER, "instances", "fail", 1, ">= 2 (writer + at least one replica)", "no replica to fail over to"),
        (CLUSTER, "availability_zone", "pass", ["a"], "instances in >= 3 distinct AZs", OK),
        (CLUSTER, "instance_class", "pass", ["db.r6g.large"], "one class for writer and replicas", OK),
        (CLUSTER, "promotion_tier", "fail", [None], "set on every instance", "failover target order is arbitrary"),
    ]


def test_a_cluster_without_instances_fails_r1_on_count_and_zones() -> None:
    assert r1(res("aws_rds_cluster_instance.other", {"availability_zone": "a"})) == [
        (CLUSTER, "instances", "fail", 0, ">= 2 (writer + at least one replica)", "no replica to fail over to"),
        (
            CLUSTER,
            "availability_zone",
            "fail",
            [],
            "set explicitly on every instance",
            "AZ left to AWS: replicas may land in the writer's AZ",
        ),
        (CLUSTER, "instance_class", "pass", [], "one class for writer and replicas", OK),
        (CLUSTER, "promotion_tier", "pass", [], "set on every instance", OK),
    ]


def test_an_instance_whose_az_is_left_to_aws_fails_r1_and_replicas_of_another_class_fail_it_too() -> None:
    assert r1(instance("w", "a", tier=1), instance("r", None, size="db.t4g.medium", tier=2))[1:] == [
        (
            CLUSTER,
            "availability_zone",
            "fail",
            ["a", None],
            "set explicitly on every instance",
            "AZ left to AWS: replicas may land in the writer's AZ",
        ),
        (
            CLUSTER,
            "instance_class",
            "fail",
            ["db.r6g.large", "db.t4g.medium"],
            "one class for writer and replicas",
            "a promoted replica may be too small",
        ),
        (CLUSTER, "promotion_tier", "pass", [1, 2], "set on every instance", OK),
    ]


def test_no_aurora_cluster_fails_r1_where_required_and_is_not_applicable_elsewhere() -> None:
    assert judge(av.aurora_multi_az) == [missing("aws_rds_cluster", "no Aurora cluster to verify")]
    optional = dataclasses.replace(STACK, requires=())
    assert judge(av.aurora_multi_az, profile=optional) == [missing("aws_rds_cluster", "no Aurora cluster to verify", "not_applicable")]


# ------------------------------------------------------------------------------------------------ R2
RETENTION = ("backup_retention_period", "7-35 days, set explicitly", "backup retention under a week or left to the default")


def r2(after: dict[str, Any], unknown: dict[str, Any] | None = None) -> list[Row]:
    return judge(av.aurora_backups, res(CLUSTER, after, unknown=unknown))


def retention(status: str, value: Any) -> Row:
    return (CLUSTER, RETENTION[0], status, value, RETENTION[1], OK if status == "pass" else RETENTION[2])


def test_aurora_backups_kept_a_week_to_35_days_in_a_set_window_with_tags_pass_r2() -> None:
    for days in (7, 35):
        assert r2({"backup_retention_period": days, "preferred_backup_window": "02:00-03:00", "copy_tags_to_snapshot": True}) == [
            retention("pass", days),
            (CLUSTER, "preferred_backup_window", "pass", "02:00-03:00", "set", OK),
            (CLUSTER, "copy_tags_to_snapshot", "pass", True, True, OK),
        ]


def test_aurora_backups_kept_under_a_week_or_over_35_days_or_as_text_fail_r2() -> None:
    for days in (6, 36, "7", None):
        assert r2({"backup_retention_period": days})[0] == retention("fail", days)


def test_aurora_backup_window_left_to_aws_or_unknown_and_untagged_snapshots_fail_r2() -> None:
    assert r2({"backup_retention_period": 7, "copy_tags_to_snapshot": False})[1:] == [
        (CLUSTER, "preferred_backup_window", "fail", None, "set", "backup window left to AWS"),
        (CLUSTER, "copy_tags_to_snapshot", "fail", False, True, "snapshots lose their classification tags"),
    ]
    assert r2({"backup_retention_period": 7}, {"preferred_backup_window": True})[1] == (
        CLUSTER,
        "preferred_backup_window",
        "fail",
        None,
        "set",
        "backup window left to AWS",
    )


def test_no_aurora_cluster_fails_r2() -> None:
    assert judge(av.aurora_backups) == [missing("aws_rds_cluster", "no Aurora cluster to verify")]


# ------------------------------------------------------------------------------------------------ R3
REDIS = "aws_elasticache_replication_group.cache"
NODES = (">= 2 nodes", "no replica to promote")


def redis(after: dict[str, Any], refs: dict[str, list[str]] | None = None) -> Resource:
    return res(REDIS, {"automatic_failover_enabled": True, "multi_az_enabled": True, **after}, refs)


def r3(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.redis_failover, *resources, profile=profile)


def nodes(status: str, actual: Any) -> Row:
    return (REDIS, "num_cache_clusters", status, actual, NODES[0], OK if status == "pass" else NODES[1])


def test_redis_with_failover_multi_az_and_two_nodes_passes_r3() -> None:
    assert r3(redis({"num_cache_clusters": 2})) == [
        (REDIS, "automatic_failover_enabled", "pass", True, True, OK),
        (REDIS, "multi_az_enabled", "pass", True, True, OK),
        nodes("pass", 2),
    ]


def test_redis_without_failover_or_multi_az_or_a_second_node_fails_r3() -> None:
    assert r3(res(REDIS, {"automatic_failover_enabled": False, "num_cache_clusters": 1})) == [
        (REDIS, "automatic_failover_enabled", "fail", False, True, "no automatic failover"),
        (REDIS, "multi_az_enabled", "fail", None, True, "replicas may share the primary's AZ"),
        nodes("fail", 1),
    ]


def test_redis_node_groups_with_a_replica_each_pass_r3_and_without_one_fail_it() -> None:
    assert r3(redis({"num_node_groups": 1, "replicas_per_node_group": 1}))[2] == nodes("pass", {"node_groups": 1, "replicas": 1})
    for groups, replicas in ((0, 1), (1, 0), ("1", 1), (1, "1"), (None, None)):
        got = r3(redis({"num_node_groups": groups, "replicas_per_node_group": replicas}))[2]
        assert got == nodes("fail", {"node_groups": groups, "replicas": replicas})
    assert r3(redis({"num_cache_clusters": "2"}))[2] == nodes("fail", "2")


def test_redis_preferred_azs_pass_r3_when_distinct_up_to_the_profile_and_fail_when_shared() -> None:
    expected = "distinct AZs (>= 3)"
    assert r3(redis({"num_cache_clusters": 2, "preferred_cache_cluster_azs": ["a", "b"]}))[3] == (
        REDIS,
        "preferred_cache_cluster_azs",
        "pass",
        ["a", "b"],
        expected,
        OK,
    )
    assert r3(redis({"num_cache_clusters": 4, "preferred_cache_cluster_azs": ["a", "b", "c", "c"]}))[3][2] == "pass"
    assert r3(redis({"num_cache_clusters": 3, "preferred_cache_cluster_azs": ["a", "b", "b"]}))[3] == (
        REDIS,
        "preferred_cache_cluster_azs",
        "fail",
        ["a", "b", "b"],
        expected,
        "nodes share an AZ",
    )
    assert len(r3(redis({"num_cache_clusters": 2, "preferred_cache_cluster_azs": []}))) == 3


def test_a_redis_subnet_group_spanning_too_few_azs_fails_r3_and_one_spanning_enough_passes() -> None:
    group = "aws_elasticache_subnet_group.cache"

    def spanning(*zones: str) -> list[Row]:
        subnets = [subnet(f"s{i}", z) for i, z in enumerate(zones)]
        return r3(
            redis({"num_cache_clusters": 2}, {"subnet_group_name": [group]}),
            res(group, {}, {"subnet_ids": [f"aws_subnet.s{i}" for i in range(len(zones))]}),
            *subnets,
        )[3:]

    assert spanning("a", "b", "c") == [(group, "subnet_ids", "pass", ["a", "b", "c"], ">= 3 AZs", OK)]
    assert spanning("a", "b", "b") == [(group, "subnet_ids", "fail", ["a", "b"], ">= 3 AZs", "subnet group spans too few AZs")]


def test_only_subnet_groups_and_their_subnets_are_judged_for_a_redis_group_in_r3() -> None:
    """subnet_group_name and subnet_ids expressions that also mention other resources judge only the subnet group's subnets."""
    group = "aws_elasticache_subnet_group.cache"
    got = r3(
        redis({"num_cache_clusters": 2}, {"subnet_group_name": [group, "aws_elasticache_parameter_group.p"]}),
        res("aws_elasticache_parameter_group.p", {}, {"subnet_ids": ["aws_subnet.a"]}),
        res(group, {}, {"subnet_ids": ["aws_subnet.a", "aws_subnet.b", "aws_ebs_volume.c"]}),
        subnet("a", "a"),
        subnet("b", "b"),
        res("aws_ebs_volume.c", {"availability_zone": "c"}),
    )
    assert got[3:] == [(group, "subnet_ids", "fail", ["a", "b"], ">= 3 AZs", "subnet group spans too few AZs")]


def test_no_redis_fails_r3() -> None:
    assert r3() == [missing("aws_elasticache_replication_group", "no Redis replication group to verify")]


# ------------------------------------------------------------------------------------------------ R4
def test_redis_snapshots_kept_a_day_in_a_set_window_pass_r4() -> None:
    assert judge(av.redis_snapshots, res(REDIS, {"snapshot_retention_limit": 1, "snapshot_window": "03:00-04:00"})) == [
        (REDIS, "snapshot_retention_limit", "pass", 1, ">= 1 day", OK),
        (REDIS, "snapshot_window", "pass", "03:00-04:00", "set", OK),
    ]


def test_redis_snapshots_disabled_or_in_a_window_left_to_aws_fail_r4() -> None:
    for limit in (0, "1"):
        assert judge(av.redis_snapshots, res(REDIS, {"snapshot_retention_limit": limit}, unknown={"snapshot_window": True})) == [
            (REDIS, "snapshot_retention_limit", "fail", limit, ">= 1 day", "snapshots disabled"),
            (REDIS, "snapshot_window", "fail", None, "set", "snapshot window left to AWS"),
        ]
    assert judge(av.redis_snapshots, res(REDIS, {"snapshot_retention_limit": 1}))[1] == (
        REDIS,
        "snapshot_window",
        "fail",
        None,
        "set",
        "snapshot window left to AWS",
    )


def test_no_redis_fails_r4() -> None:
    assert judge(av.redis_snapshots) == [missing("aws_elasticache_replication_group", "no Redis replication group to verify")]


# ------------------------------------------------------------------------------------------------ R5
FS = "aws_efs_file_system.files"
REGIONAL = (FS, "availability_zone_name", "pass", None, "unset (regional)", OK)


def mount(name: str, subnet_name: str, groups: list[str] | None = None) -> Resource:
    after = {} if groups is None else {"security_groups": groups}
    return res(f"aws_efs_mount_target.{name}", after, {"file_system_id": [FS], "subnet_id": [f"aws_subnet.{subnet_name}"]})


def r5(*resources: Resource, fs: Resource | None = None, profile: Profile = STACK) -> list[Row]:
    return judge(av.efs_multi_az, fs or res(FS, {}), *resources, profile=profile)


def targets(status: str, count: int, zones: list[str], azs: int = 3) -> Row:
    message = OK if status == "pass" else "file system unreachable when an AZ fails"
    return (FS, "mount_targets", status, {"targets": count, "zones": zones}, f"mount targets in >= {azs} AZs", message)


def test_a_regional_file_system_with_mount_targets_in_three_azs_passes_r5() -> None:
    got = r5(*(subnet(z, z) for z in "abc"), *(mount(z, z, ["sg-1"]) for z in "abc"))
    assert got == [
        REGIONAL,
        targets("pass", 3, ["a", "b", "c"]),
        *((f"aws_efs_mount_target.{z}", "security_groups", "pass", ["sg-1"], "set", OK) for z in "abc"),
    ]


def test_mount_targets_in_too_few_azs_or_too_few_targets_fail_r5() -> None:
    assert r5(*(subnet(z, z) for z in "ab"), *(mount(z, z, ["sg"]) for z in "ab"))[1] == targets("fail", 2, ["a", "b"])
    assert r5(*(subnet(z, z) for z in "abc"), *(mount(z, "a", ["sg"]) for z in "abc"))[1] == targets("fail", 3, ["a"])
    # one target referencing every subnet (a for_each over the list) covers three AZs but is still one target
    wide = res(
        "aws_efs_mount_target.t",
        {"security_groups": ["sg"]},
        {"file_system_id": [FS], "subnet_id": ["aws_subnet.a", "aws_subnet.b", "aws_subnet.c"]},
    )
    assert r5(*(subnet(z, z) for z in "abc"), wide)[1] == targets("fail", 1, ["a", "b", "c"])
    assert r5(*(subnet(z, z) for z in "ab"), *(mount(z, z, ["sg"]) for z in "ab"), profile=dataclasses.replace(STACK, min_azs=2))[
        1
    ] == targets("pass", 2, ["a", "b"], 2)


def test_a_one_zone_file_system_and_a_mount_target_in_the_default_group_fail_r5() -> None:
    one_zone = (FS, "availability_zone_name", "fail", "eu-west-1a", "unset (regional)", "One Zone file system")
    assert r5(fs=res(FS, {"availability_zone_name": "eu-west-1a"}))[0] == one_zone
    # set in HCL from something unknown until apply: still One Zone
    assert r5(fs=with_expression(res(FS, {}), "availability_zone_name", "x"))[0] == (*one_zone[:3], None, *one_zone[4:])
    assert r5(subnet("a", "a"), mount("a", "a"))[2] == (
        "aws_efs_mount_target.a",
        "security_groups",
        "fail",
        None,
        "set",
        "mount target in the VPC's default security group",
    )


def test_a_regional_file_system_with_other_attributes_set_passes_r5() -> None:
    assert r5(fs=res(FS, {"encrypted": True, "performance_mode": "generalPurpose"}))[0] == REGIONAL


def test_only_subnets_behind_a_mount_target_count_as_its_azs_in_r5() -> None:
    """A subnet_id expression that also mentions another zoned resource (a volume in d) does not add d to the AZs."""
    volume = res("aws_ebs_volume.d", {"availability_zone": "d"})
    loose = res(
        "aws_efs_mount_target.c", {"security_groups": ["sg"]}, {"file_system_id": [FS], "subnet_id": ["aws_subnet.c", "aws_ebs_volume.d"]}
    )
    got = r5(*(subnet(z, z) for z in "abc"), mount("a", "a", ["sg"]), mount("b", "b", ["sg"]), loose, volume)
    assert got[1] == targets("pass", 3, ["a", "b", "c"])
    assert r5(
        subnet("a", "a"),
        mount("a", "a", ["sg"]),
        res("aws_efs_mount_target.v", {}, {"file_system_id": [FS], "subnet_id": ["aws_ebs_volume.d"]}),
        volume,
    )[1] == targets("fail", 2, ["a"])


def test_no_file_system_fails_r5() -> None:
    assert judge(av.efs_multi_az) == [missing("aws_efs_file_system", "no EFS file system to verify")]


# ------------------------------------------------------------------------------------------------ R6
def policy(name: str, status: str, fs: str = FS) -> Resource:
    return res(f"aws_efs_backup_policy.{name}", {"backup_policy": [{"status": status}]}, {"file_system_id": [fs]})


def test_a_file_system_with_an_enabled_backup_policy_passes_r6_and_one_without_fails_it() -> None:
    assert judge(av.efs_backups, res(FS, {}), policy("off", "DISABLED"), policy("on", "ENABLED")) == [
        (FS, "backup_policy", "pass", ["DISABLED", "ENABLED"], "ENABLED", OK)
    ]
    assert judge(av.efs_backups, res(FS, {}), policy("off", "DISABLED"), policy("other", "ENABLED", "aws_efs_file_system.other")) == [
        (FS, "backup_policy", "fail", ["DISABLED"], "ENABLED", "file system is not backed up")
    ]


def test_no_file_system_fails_r6() -> None:
    assert judge(av.efs_backups) == [missing("aws_efs_file_system", "no EFS file system to verify")]


# ------------------------------------------------------------------------------------------------ R7
def spans(tier: str, zones: list[str], status: str, need: int = 3) -> Row:
    message = OK if status == "pass" else f"{tier} subnets span too few AZs"
    return (f"(aws_subnet {tier})", "availability_zone", status, zones, f">= {need} AZs", message)


def nat_spans(zones: list[str], status: str, need: int = 3) -> Row:
    message = OK if status == "pass" else "an AZ loss cuts egress for the others"
    return ("(aws_nat_gateway)", "subnet_id", status, zones, f"one NAT gateway in each of >= {need} AZs", message)


def nat(name: str, subnet_name: str, kind: str | None = None) -> Resource:
    after = {} if kind is None else {"connectivity_type": kind}
    return res(f"aws_nat_gateway.{name}", after, {"subnet_id": [f"aws_subnet.{subnet_name}"]})


def r7(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.network_spans_azs, *resources, profile=profile)


def test_public_and_private_subnets_and_nat_gateways_across_three_azs_pass_r7() -> None:
    got = r7(
        *(subnet(f"pub_{z}", z, "public") for z in "abc"),
        *(subnet(f"priv_{z}", z, "private") for z in "abc"),
        *(nat(z, f"pub_{z}") for z in "ab"),
        nat("c", "pub_c", "public"),
    )
    assert got == [
        spans("public", ["a", "b", "c"], "pass"),
        spans("private", ["a", "b", "c"], "pass"),
        nat_spans(["a", "b", "c"], "pass"),
        *(
            (f"aws_nat_gateway.{z}", "connectivity_type", "pass", kind, "public", OK)
            for z, kind in (("a", None), ("b", None), ("c", "public"))
        ),
    ]


def test_subnets_and_nat_gateways_in_too_few_azs_fail_r7() -> None:
    got = r7(subnet("pub_a", "a", "public"), subnet("pub_b", "b", "public"), subnet("priv", "a"), nat("a", "pub_a", "private"))
    assert got == [
        spans("public", ["a", "b"], "fail"),
        spans("private", ["a"], "fail"),
        nat_spans(["a"], "fail"),
        ("aws_nat_gateway.a", "connectivity_type", "fail", "private", "public", "private NAT cannot reach AWS APIs"),
    ]


def test_r7_without_a_nat_per_az_judges_neither_nat_spread_nor_nat_type_and_counts_untagged_subnets_as_private() -> None:
    no_nat = dataclasses.replace(STACK, nat_per_az=False, min_azs=2)
    got = r7(
        subnet("pub_a", "a", "public"),
        subnet("pub_b", "b", "public"),
        subnet("x", "a"),
        subnet("y", "b", "app"),
        nat("a", "pub_a", "private"),
        profile=no_nat,
    )
    assert got == [spans("public", ["a", "b"], "pass", 2), spans("private", ["a", "b"], "pass", 2)]


def test_an_elastic_ip_outside_the_vpc_domain_fails_r7() -> None:
    got = r7(subnet("a", "a"), res("aws_eip.good", {"domain": "vpc"}), res("aws_eip.bad", {"domain": "standard"}), res("aws_eip.unset", {}))
    assert got[3:] == [
        ("aws_eip.good", "domain", "pass", "vpc", "vpc", OK),
        ("aws_eip.bad", "domain", "fail", "standard", "vpc", "EIP without domain = vpc (vpc argument is removed in v6)"),
        ("aws_eip.unset", "domain", "fail", None, "vpc", "EIP without domain = vpc (vpc argument is removed in v6)"),
    ]


def route_table(name: str, nat_name: str) -> Resource:
    return res(f"aws_route_table.{name}", {}, {"route": [f"aws_nat_gateway.{nat_name}"]})


def association(name: str, table: str, subnet_name: str) -> Resource:
    return res(
        f"aws_route_table_association.{name}",
        {},
        {"route_table_id": [f"aws_route_table.{table}"], "subnet_id": [f"aws_subnet.{subnet_name}"]},
    )


def test_private_subnets_routed_through_the_nat_of_their_own_az_pass_r7_and_through_another_azs_fail() -> None:
    got = r7(
        subnet("pub_a", "a", "public"),
        subnet("pub_b", "b", "public"),
        subnet("priv_a", "a"),
        subnet("priv_b", "b"),
        nat("a", "pub_a"),
        nat("b", "pub_b"),
        route_table("rt_a", "a"),
        route_table("rt_b", "a"),
        res("aws_route_table.public", {}, {"route": ["aws_internet_gateway.igw"]}),
        association("a", "rt_a", "priv_a"),
        association("b", "rt_b", "priv_b"),
        association("other", "public", "priv_b"),
        profile=dataclasses.replace(STACK, min_azs=2),
    )
    assert got[5:] == [
        ("aws_route_table.rt_a", "route.nat_gateway_id", "pass", {"nat": ["a"], "subnets": ["a"]}, "the NAT gateway of the same AZ", OK),
        (
            "aws_route_table.rt_b",
            "route.nat_gateway_id",
            "fail",
            {"nat": ["a"], "subnets": ["b"]},
            "the NAT gateway of the same AZ",
            "private subnets depend on another AZ's NAT",
        ),
    ]


def test_r7_judges_every_route_table_through_a_nat_after_one_that_is_not_and_only_by_subnet_azs() -> None:
    volume = res("aws_ebs_volume.b", {"availability_zone": "b"})
    got = r7(
        subnet("pub_a", "a", "public"),
        subnet("priv_a", "a"),
        subnet("priv_b", "b"),
        res("aws_nat_gateway.a", {}, {"subnet_id": ["aws_subnet.pub_a", "aws_ebs_volume.b"]}),
        volume,
        res("aws_route_table.public", {}, {"route": ["aws_internet_gateway.igw"]}),
        route_table("rt_b", "a"),
        association("b", "rt_b", "priv_b"),
        profile=dataclasses.replace(STACK, min_azs=1, nat_per_az=False),
    )
    assert got[2:] == [
        (
            "aws_route_table.rt_b",
            "route.nat_gateway_id",
            "fail",
            {"nat": ["a"], "subnets": ["b"]},
            "the NAT gateway of the same AZ",
            "private subnets depend on another AZ's NAT",
        ),
    ]


def test_only_subnets_count_as_the_azs_of_nat_gateways_and_of_the_subnets_a_route_table_serves_in_r7() -> None:
    """subnet_id expressions that also mention a zoned volume (in b, c) do not add its AZ to the NAT's or the table's."""
    got = r7(
        subnet("pub_a", "a", "public"),
        subnet("priv_a", "a"),
        res("aws_ebs_volume.b", {"availability_zone": "b"}),
        res("aws_ebs_volume.c", {"availability_zone": "c"}),
        res("aws_nat_gateway.a", {}, {"subnet_id": ["aws_subnet.pub_a", "aws_ebs_volume.b"]}),
        route_table("rt_a", "a"),
        res(
            "aws_route_table_association.a",
            {},
            {"route_table_id": ["aws_route_table.rt_a"], "subnet_id": ["aws_subnet.priv_a", "aws_ebs_volume.c"]},
        ),
        profile=dataclasses.replace(STACK, min_azs=2),
    )
    assert got[2:] == [
        nat_spans(["a"], "fail", 2),
        ("aws_nat_gateway.a", "connectivity_type", "pass", None, "public", OK),
        ("aws_route_table.rt_a", "route.nat_gateway_id", "pass", {"nat": ["a"], "subnets": ["a"]}, "the NAT gateway of the same AZ", OK),
    ]


def test_no_subnet_fails_r7() -> None:
    assert r7() == [missing("aws_subnet", "no subnets to verify")]


# ------------------------------------------------------------------------------------------------ R8
SERVICE = "aws_ecs_service.app"
ROLLBACK_GROUP = "aws_codedeploy_deployment_group.app"
NOT_STOPPED = "a failed deployment is not stopped"


def service(after: dict[str, Any], subnets: list[str] | None = None, name: str = "app") -> Resource:
    refs = {"network_configuration.0.subnets": [f"aws_subnet.{s}" for s in subnets or []]}
    return res(f"aws_ecs_service.{name}", after, refs)


def deployment_group(after: dict[str, Any], name: str = "app", service_name: str = SERVICE) -> Resource:
    return res(f"aws_codedeploy_deployment_group.{name}", after, {"ecs_service.0.service_name": [service_name]})


def r8(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.services_highly_available, *resources, profile=profile)


def zones_row(status: str, zones: list[str]) -> Row:
    message = OK if status == "pass" else "tasks confined to too few AZs"
    return (SERVICE, "network_configuration.0.subnets", status, zones, ">= 3 AZs", message)


def breaker(status: str, value: Any) -> Row:
    return (SERVICE, "deployment_circuit_breaker.0.enable", status, value, True, OK if status == "pass" else NOT_STOPPED)


def test_two_fargate_tasks_across_three_azs_with_a_circuit_breaker_pass_r8() -> None:
    after = {"desired_count": 2, "launch_type": "FARGATE", "deployment_circuit_breaker": [{"enable": True}]}
    assert r8(*(subnet(z, z) for z in "abc"), service(after, list("abc"))) == [
        (SERVICE, "desired_count", "pass", 2, ">= 2", OK),
        (SERVICE, "launch_type", "pass", "FARGATE", "FARGATE", OK),
        zones_row("pass", ["a", "b", "c"]),
        breaker("pass", True),
    ]


def test_a_single_ec2_task_in_too_few_azs_without_a_circuit_breaker_fails_r8() -> None:
    after = {"desired_count": 1, "launch_type": "EC2", "deployment_controller": [{"type": "ECS"}]}
    assert r8(*(subnet(z, z) for z in "ab"), service(after, list("ab"))) == [
        (SERVICE, "desired_count", "fail", 1, ">= 2", "a single task is a single point of failure"),
        (SERVICE, "launch_type", "fail", "EC2", "FARGATE", "not on Fargate"),
        zones_row("fail", ["a", "b"]),
        breaker("fail", None),
    ]
    assert r8(service({"desired_count": "2"}))[0] == (
        SERVICE,
        "desired_count",
        "fail",
        "2",
        ">= 2",
        "a single task is a single point of failure",
    )


def test_a_fargate_capacity_provider_strategy_counts_as_fargate_in_r8() -> None:
    def launch(strategy: list[dict[str, Any]]) -> Row:
        return r8(service({"desired_count": 2, "capacity_provider_strategy": strategy}))[1]

    assert launch([{"capacity_provider": "ec2"}, {"capacity_provider": "FARGATE_SPOT"}]) == (
        SERVICE,
        "launch_type",
        "pass",
        None,
        "FARGATE",
        OK,
    )
    assert launch([{"capacity_provider": "ec2"}, {"weight": 1}]) == (SERVICE, "launch_type", "fail", None, "FARGATE", "not on Fargate")


def test_a_code_deploy_service_passes_r8_only_with_a_deployment_group_that_rolls_back() -> None:
    after = {"desired_count": 2, "launch_type": "FARGATE", "deployment_controller": [{"type": "CODE_DEPLOY"}]}
    row = (SERVICE, "deployment_controller", "pass", "CODE_DEPLOY", "a deployment group with automatic rollback", OK)
    rollback = {"auto_rollback_configuration": [{"enabled": True}]}
    assert r8(service(after), deployment_group({}, "other"), deployment_group(rollback))[3] == row
    assert r8(service(after), deployment_group({"auto_rollback_configuration": [{"enabled": False}]}))[3] == (
        *row[:2],
        "fail",
        *row[3:5],
        NOT_STOPPED,
    )
    assert r8(service(after), deployment_group(rollback, service_name="aws_ecs_service.other"))[3] == (
        *row[:2],
        "fail",
        *row[3:5],
        NOT_STOPPED,
    )


def test_only_subnets_count_as_the_azs_of_a_services_tasks_in_r8() -> None:
    """A subnets expression that also mentions a zoned volume (in c) does not add c to the tasks' AZs."""
    after = {"desired_count": 2, "launch_type": "FARGATE", "deployment_circuit_breaker": [{"enable": True}]}
    got = r8(subnet("a", "a"), subnet("b", "b"), res("aws_ebs_volume.c", {"availability_zone": "c"}), service(after, ["a", "b"]))
    assert got[2] == zones_row("fail", ["a", "b"])
    volume_ref = res(SERVICE, after, {"network_configuration.0.subnets": ["aws_subnet.a", "aws_subnet.b", "aws_ebs_volume.c"]})
    assert r8(subnet("a", "a"), subnet("b", "b"), res("aws_ebs_volume.c", {"availability_zone": "c"}), volume_ref)[2] == zones_row(
        "fail", ["a", "b"]
    )


def test_no_ecs_service_fails_r8() -> None:
    assert r8() == [missing("aws_ecs_service", "no ECS services in this stack")]


# ------------------------------------------------------------------------------------------------ B1
B1_EXPECTED = "CODE_DEPLOY with a BLUE_GREEN, WITH_TRAFFIC_CONTROL deployment group"
PAIR_EXPECTED = "blue and green target groups, a production and a test listener"
NO_SWITCH = "no second target group or listener to switch to"
WORKER_EXPECTED = ">= 100 with circuit-breaker rollback (old tasks run until the new ones are healthy)"
BLUE_GREEN = {"deployment_type": "BLUE_GREEN", "deployment_option": "WITH_TRAFFIC_CONTROL"}
FRONTED = {"load_balancer": [{"target_group_arn": "arn"}], "deployment_controller": [{"type": "CODE_DEPLOY"}]}


def pair(groups: int = 2, prod: bool = True, test: bool = True) -> dict[str, Any]:
    info: dict[str, Any] = {"target_group": [{"name": f"tg{i}"} for i in range(groups)]}
    if prod:
        info["prod_traffic_route"] = [{"listener_arns": ["l1"]}]
    if test:
        info["test_traffic_route"] = [{"listener_arns": ["l2"]}]
    return {"load_balancer_info": [{"target_group_pair_info": [info]}]}


def b1(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.blue_green_everywhere, *resources, profile=profile)


def test_a_fronted_service_with_a_blue_green_group_switching_two_target_groups_passes_b1() -> None:
    got = b1(service(FRONTED), deployment_group({"deployment_style": [BLUE_GREEN], **pair()}))
    assert got == [
        (
            SERVICE,
            "deployment_controller",
            "pass",
            {"controller": "CODE_DEPLOY", "groups": [("BLUE_GREEN", "WITH_TRAFFIC_CONTROL")]},
            B1_EXPECTED,
            OK,
        ),
        (ROLLBACK_GROUP, "load_balancer_info", "pass", 2, PAIR_EXPECTED, OK),
    ]


def test_a_fronted_service_without_code_deploy_or_blue_green_style_fails_b1() -> None:
    failed = "service is not deployed blue/green"
    ecs = {"load_balancer": [{"target_group_arn": "arn"}]}
    assert b1(service(ecs), deployment_group({"deployment_style": [BLUE_GREEN], **pair()}))[0] == (
        SERVICE,
        "deployment_controller",
        "fail",
        {"controller": "ECS", "groups": [("BLUE_GREEN", "WITH_TRAFFIC_CONTROL")]},
        B1_EXPECTED,
        failed,
    )
    in_place = {"deployment_type": "IN_PLACE", "deployment_option": "WITH_TRAFFIC_CONTROL"}
    assert b1(service(FRONTED), deployment_group({"deployment_style": [in_place], **pair()}))[0] == (
        SERVICE,
        "deployment_controller",
        "fail",
        {"controller": "CODE_DEPLOY", "groups": [("IN_PLACE", "WITH_TRAFFIC_CONTROL")]},
        B1_EXPECTED,
        failed,
    )


def test_a_blue_green_group_without_two_target_groups_and_both_listeners_fails_b1() -> None:
    for info in (pair(groups=1), pair(groups=3), pair(prod=False), pair(test=False), {}):
        got = b1(service(FRONTED), deployment_group({"deployment_style": [BLUE_GREEN], **info}))[1]
        count = len(info["load_balancer_info"][0]["target_group_pair_info"][0]["target_group"]) if info else 0
        assert got == (ROLLBACK_GROUP, "load_balancer_info", "fail", count, PAIR_EXPECTED, NO_SWITCH)


def test_a_worker_keeping_its_old_tasks_until_the_new_ones_are_healthy_passes_b1() -> None:
    def worker(after: dict[str, Any]) -> Row:
        return b1(service(after))[0]

    keeps = {"deployment_minimum_healthy_percent": 100, "deployment_circuit_breaker": [{"rollback": True}]}
    row = (SERVICE, "deployment_minimum_healthy_percent", "pass", {"min_healthy": 100, "rollback": True}, WORKER_EXPECTED, OK)
    assert worker(keeps) == row
    drops = "a worker deployment can drop capacity"
    assert worker({**keeps, "deployment_minimum_healthy_percent": 99}) == (
        *row[:2],
        "fail",
        {"min_healthy": 99, "rollback": True},
        WORKER_EXPECTED,
        drops,
    )
    assert worker({**keeps, "deployment_minimum_healthy_percent": "100"}) == (
        *row[:2],
        "fail",
        {"min_healthy": "100", "rollback": True},
        WORKER_EXPECTED,
        drops,
    )
    assert worker({**keeps, "deployment_circuit_breaker": [{"rollback": False}]}) == (
        *row[:2],
        "fail",
        {"min_healthy": 100, "rollback": False},
        WORKER_EXPECTED,
        drops,
    )
    assert worker({**keeps, "deployment_controller": [{"type": "EXTERNAL"}]})[2:] == (
        "fail",
        {"min_healthy": 100, "rollback": True},
        WORKER_EXPECTED,
        drops,
    )


def test_b1_is_not_asked_without_blue_green_and_fails_without_services() -> None:
    assert b1(service(FRONTED), profile=WITHOUT_BLUE_GREEN) == [NOT_ASKED]
    assert b1() == [missing("aws_ecs_service", "no ECS services to deploy blue/green")]


# ------------------------------------------------------------------------------------------------ B2
B2_ROLLBACK = ("auto_rollback_configuration", "enabled on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM")
B2_ALARMS = ("alarm_configuration", "alarms on unhealthy hosts, 5XX and latency")
WAIT_PATH = "termination_wait_time_in_minutes"
WAIT_EXPECTED = ">= 5 (old task set kept until proven)"
EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]


def guarded(
    events: list[str] | None = EVENTS, enabled: bool = True, alarms: list[str] | None = None, alarms_on: bool = True, wait: Any = 5
) -> Resource:
    after = {
        "auto_rollback_configuration": [{"enabled": enabled, "events": events}],
        "alarm_configuration": [{"enabled": alarms_on, "alarms": ["api-unhealthy-hosts", "api-5XX"] if alarms is None else alarms}],
        "blue_green_deployment_config": [{"terminate_blue_instances_on_deployment_success": [{WAIT_PATH: wait}]}],
    }
    return deployment_group(after)


def b2(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.blue_green_rolls_back, *resources, profile=profile)


def test_a_deployment_group_rolling_back_on_failure_and_alarms_and_keeping_blue_five_minutes_passes_b2() -> None:
    assert b2(guarded(events=[*reversed(EVENTS), "X"], alarms=["api-unhealthy", "api-latency"])) == [
        (ROLLBACK_GROUP, *B2_ROLLBACK[:1], "pass", ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "X"], B2_ROLLBACK[1], OK),
        (ROLLBACK_GROUP, B2_ALARMS[0], "pass", ["api-unhealthy", "api-latency"], B2_ALARMS[1], OK),
        (ROLLBACK_GROUP, WAIT_PATH, "pass", 5, WAIT_EXPECTED, OK),
    ]
    # exactly the two events is enough
    assert b2(guarded())[:2] == [
        (ROLLBACK_GROUP, B2_ROLLBACK[0], "pass", EVENTS, B2_ROLLBACK[1], OK),
        (ROLLBACK_GROUP, B2_ALARMS[0], "pass", ["api-unhealthy-hosts", "api-5XX"], B2_ALARMS[1], OK),
    ]


def test_a_deployment_group_without_rollback_on_both_events_fails_b2() -> None:
    failed = "a failed or alarming deployment keeps serving"
    for events, enabled in ((EVENTS, False), (EVENTS[:1], True), (EVENTS[1:], True), (None, True)):
        assert b2(guarded(events=events, enabled=enabled))[0] == (
            ROLLBACK_GROUP,
            B2_ROLLBACK[0],
            "fail",
            sorted(events or []),
            B2_ROLLBACK[1],
            failed,
        )


def test_a_deployment_group_without_alarms_on_unhealthy_hosts_and_on_5xx_or_latency_fails_b2() -> None:
    failed = "deployment is not stopped by alarms"
    for alarms, on in ((["api-unhealthy", "api-5xx"], False), (["api-5xx", "api-latency"], True), (["api-unhealthy", "api-errors"], True)):
        assert b2(guarded(alarms=alarms, alarms_on=on))[1] == (ROLLBACK_GROUP, B2_ALARMS[0], "fail", alarms, B2_ALARMS[1], failed)
    assert b2(deployment_group({}))[1:] == [
        (ROLLBACK_GROUP, B2_ALARMS[0], "fail", [], B2_ALARMS[1], failed),
        (ROLLBACK_GROUP, WAIT_PATH, "fail", None, WAIT_EXPECTED, "the old task set is gone before the new one is proven"),
    ]


def test_a_deployment_group_terminating_blue_within_four_minutes_fails_b2() -> None:
    for wait in (4, "5"):
        assert b2(guarded(wait=wait))[2] == (
            ROLLBACK_GROUP,
            WAIT_PATH,
            "fail",
            wait,
            WAIT_EXPECTED,
            "the old task set is gone before the new one is proven",
        )


def test_b2_is_not_asked_without_blue_green_and_fails_without_a_deployment_group() -> None:
    assert b2(guarded(), profile=WITHOUT_BLUE_GREEN) == [NOT_ASKED]
    assert b2() == [missing("aws_codedeploy_deployment_group", "no CodeDeploy deployment group")]


# ------------------------------------------------------------------------------------------------ B3
TG = "aws_lb_target_group.green"
B3_ATTRIBUTE = "deregistration_delay+health_check"


def target_group(delay: Any, interval: Any, healthy: Any, unhealthy: Any) -> Resource:
    check = {"interval": interval, "healthy_threshold": healthy, "unhealthy_threshold": unhealthy}
    return res(TG, {"deregistration_delay": delay, "health_check": [check]})


def b3(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.switch_fits_30_seconds, *resources, profile=profile)


def timing(status: str, drain: int, healthy: int, unhealthy: int, budget: int = 30) -> Row:
    actual = {"drain_s": drain, "healthy_after_s": healthy, "unhealthy_after_s": unhealthy, "switch_s": drain + healthy}
    message = OK if status == "pass" else f"a switch or rollback can take longer than {budget} s"
    return (TG, B3_ATTRIBUTE, status, actual, f"drain + healthy threshold x interval <= {budget} s", message)


def test_a_switch_and_a_rollback_within_30_seconds_pass_b3() -> None:
    assert b3(target_group("10", 5, 4, 6)) == [timing("pass", 10, 20, 30)]


def test_a_switch_or_a_detection_over_30_seconds_fails_b3_and_a_larger_budget_lets_it_pass() -> None:
    assert b3(target_group(11, 5, 4, 2)) == [timing("fail", 11, 20, 10)]
    assert b3(target_group(0, 5, 2, 7)) == [timing("fail", 0, 10, 35)]
    assert b3(target_group(11, 5, 4, 7), profile=dataclasses.replace(STACK, max_switch_seconds=35)) == [timing("pass", 11, 20, 35, 35)]


def test_target_group_timings_unknown_or_unset_fail_b3() -> None:
    for delay, interval, healthy, unhealthy in ((None, 5, 2, 2), (10, "5s", 2, 2), (10, 5, None, 2), (10, 5, 2, None)):
        assert b3(target_group(delay, interval, healthy, unhealthy)) == [
            (TG, "health_check", "fail", {"delay": delay, "interval": interval}, "known timings", "timings unknown or unset")
        ]


def test_every_target_group_is_judged_in_b3_after_one_with_unknown_timings() -> None:
    other = res("aws_lb_target_group.blue", {"deregistration_delay": None})
    assert b3(other, target_group(1, 5, 2, 2)) == [
        (
            "aws_lb_target_group.blue",
            "health_check",
            "fail",
            {"delay": None, "interval": None},
            "known timings",
            "timings unknown or unset",
        ),
        timing("pass", 1, 10, 10),
    ]


def test_b3_is_not_asked_without_blue_green_and_fails_without_target_groups() -> None:
    assert b3(target_group(1, 5, 2, 2), profile=WITHOUT_BLUE_GREEN) == [NOT_ASKED]
    assert b3() == [missing("aws_lb_target_group", "no target groups")]


# ------------------------------------------------------------------------------------------------ R9
STREAM = "aws_kinesis_stream.ingest"
RETENTION_KINESIS = ("retention_period", "24-8760 hours, set", "retention not set")


def r9(after: dict[str, Any], profile: Profile = STACK) -> list[Row]:
    return judge(av.kinesis_capacity, res(STREAM, after), profile=profile)


def test_a_kinesis_stream_with_headroom_over_the_peak_passes_r9_and_one_at_the_needed_shards_fails() -> None:
    expected = "ON_DEMAND or > 2 shards for 100,000 records/min with headroom"
    assert r9({"retention_period": 24, "shard_count": 3}) == [
        (STREAM, "retention_period", "pass", 24, "24-8760 hours, set", OK),
        (STREAM, "shard_count", "pass", 3, expected, OK),
    ]
    assert r9({"retention_period": 8760, "shard_count": 2}) == [
        (STREAM, "retention_period", "pass", 8760, "24-8760 hours, set", OK),
        (STREAM, "shard_count", "fail", 2, expected, "stream throttles at peak"),
    ]


def test_the_shards_r9_needs_round_up_from_the_profiles_peak() -> None:
    # 60,001 records/min is just over 1,000 a second: two shards are needed, so two are not enough
    busy = dataclasses.replace(STACK, peak_requests_per_minute=60_001)
    expected = "ON_DEMAND or > 2 shards for 60,001 records/min with headroom"
    assert r9({"retention_period": 24, "shard_count": 2}, busy)[1] == (
        STREAM,
        "shard_count",
        "fail",
        2,
        expected,
        "stream throttles at peak",
    )
    quiet = dataclasses.replace(STACK, peak_requests_per_minute=60_000)
    assert r9({"retention_period": 24, "shard_count": 2}, quiet)[1] == (
        STREAM,
        "shard_count",
        "pass",
        2,
        "ON_DEMAND or > 1 shards for 60,000 records/min with headroom",
        OK,
    )


def test_an_on_demand_stream_passes_r9_and_retention_out_of_range_fails_it() -> None:
    on_demand = {"stream_mode_details": [{"stream_mode": "ON_DEMAND"}], "shard_count": 0}
    for hours in (23, 8761, "24", None):
        assert r9({**on_demand, "retention_period": hours}) == [
            (STREAM, "retention_period", "fail", hours, "24-8760 hours, set", "retention not set"),
            (STREAM, "shard_count", "pass", "ON_DEMAND", "ON_DEMAND or > 2 shards for 100,000 records/min with headroom", OK),
        ]
    provisioned = {"stream_mode_details": [{"stream_mode": "PROVISIONED"}], "shard_count": "3"}
    assert r9(provisioned)[1] == (
        STREAM,
        "shard_count",
        "fail",
        "3",
        "ON_DEMAND or > 2 shards for 100,000 records/min with headroom",
        "stream throttles at peak",
    )


def test_no_kinesis_stream_fails_r9() -> None:
    assert judge(av.kinesis_capacity) == [missing("aws_kinesis_stream", "no Kinesis stream in this stack")]


# ------------------------------------------------------------------------------------------------ R10
METHOD = "aws_api_gateway_method_settings.all"
USAGE = "aws_api_gateway_usage_plan.partners"
SETTINGS_EXPECTED = "rate >= 2000/s (peak 1667/s + 20 %), burst >= rate"
TOO_LOW = "throttling off (-1) or below the expected peak"


def method(rate: Any, burst: Any) -> Resource:
    return res(METHOD, {"settings": [{"throttling_rate_limit": rate, "throttling_burst_limit": burst}]})


def usage(rate: Any) -> Resource:
    return res(USAGE, {"throttle_settings": [{"rate_limit": rate}]})


def r10(*resources: Resource, profile: Profile = STACK) -> list[Row]:
    return judge(av.api_throttling, *resources, profile=profile)


def test_throttling_sized_20_percent_over_the_peak_with_a_burst_at_least_the_rate_passes_r10() -> None:
    assert r10(method(2000, 2000), usage(2000.0)) == [
        (METHOD, "settings.0.throttling_rate_limit", "pass", {"rate": 2000, "burst": 2000}, SETTINGS_EXPECTED, OK),
        (USAGE, "throttle_settings.0.rate_limit", "pass", 2000.0, ">= 2000/s", OK),
    ]


def test_throttling_just_under_20_percent_over_the_peak_or_a_burst_under_the_rate_fails_r10() -> None:
    for rate, burst in ((1999, 5000), (2000, 1999), (-1, -1), ("2000", 2000), (2000, "2000"), (None, None)):
        assert r10(method(rate, burst)) == [
            (METHOD, "settings.0.throttling_rate_limit", "fail", {"rate": rate, "burst": burst}, SETTINGS_EXPECTED, TOO_LOW)
        ]
    for rate in (1999.9, "3000", None):
        assert r10(usage(rate)) == [
            (USAGE, "throttle_settings.0.rate_limit", "fail", rate, ">= 2000/s", "usage plan throttles below the peak")
        ]


def test_r10_sizes_throttling_from_the_profiles_peak() -> None:
    small = dataclasses.replace(STACK, peak_requests_per_minute=6000)
    assert r10(method(120, 120), usage(119), profile=small) == [
        (
            METHOD,
            "settings.0.throttling_rate_limit",
            "pass",
            {"rate": 120, "burst": 120},
            "rate >= 120/s (peak 100/s + 20 %), burst >= rate",
            OK,
        ),
        (USAGE, "throttle_settings.0.rate_limit", "fail", 119, ">= 120/s", "usage plan throttles below the peak"),
    ]


def test_no_throttling_anywhere_fails_r10() -> None:
    assert r10() == [missing("aws_api_gateway_method_settings", "no throttling configured")]


# ------------------------------------------------------------------------------------------------ R11
def test_a_stack_pinned_to_its_region_passes_r11_and_one_elsewhere_or_unpinned_fails() -> None:
    assert judge(av.region_pinned, region=ENV) == [("provider.aws", "region", "pass", ENV, ENV, OK)]
    assert judge(av.region_pinned, region="us-east-1") == [
        ("provider.aws", "region", "fail", "us-east-1", ENV, f"stack must deploy to {ENV}")
    ]
    assert judge(av.region_pinned) == [("provider.aws", "region", "fail", None, ENV, f"stack must deploy to {ENV}")]


def test_a_plan_judged_without_a_stack_region_passes_r11_only_with_a_constant_region() -> None:
    anywhere = dataclasses.replace(STACK, region=None)
    assert judge(av.region_pinned, region="ap-south-1", profile=anywhere) == [
        ("provider.aws", "region", "pass", "ap-south-1", "a constant region", OK)
    ]
    assert judge(av.region_pinned, profile=anywhere) == [
        ("provider.aws", "region", "fail", None, "a constant region", "region not pinned in the provider block")
    ]
