"""Network checks (N1-N6) on small synthetic plans: every branch reached, every finding pinned field by field."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tapguard.controls.checks import network
from tapguard.controls.engine import Context, Finding, profile_for
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY
from tests.controls.checks.golden import configured as res

Resource = tuple[dict[str, Any], dict[str, Any]]  # (resource change, configuration entry)
Row = tuple[Any, ...]
ENV = "eu-west-1"
NO_EGRESS = network.NO_INTERNET_EGRESS


def judge(check: Callable[[Context], Iterable[Finding]], control: str, *resources: Resource) -> list[Row]:
    """(address, attribute, status, actual, expected, message) of every finding of one check on a plan of `resources`."""
    data = {
        **EMPTY,
        "resource_changes": [change for change, _ in resources],
        "configuration": {"root_module": {"resources": [entry for _, entry in resources]}},
    }
    plan = model.from_dict(data, "synthetic")
    ctx = Context(env=ENV, plan=plan, profile=profile_for(ENV, plan), control_id=control)
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in check(ctx)]


def n1(*resources: Resource) -> list[Row]:
    return judge(network.private_data_subnets, "N1", *resources)


def n2(*resources: Resource) -> list[Row]:
    return judge(network.not_publicly_reachable, "N2", *resources)


def n3(*resources: Resource) -> list[Row]:
    return judge(network.inbound_restricted, "N3", *resources)


def n4(*resources: Resource) -> list[Row]:
    return judge(network.outbound_restricted, "N4", *resources)


def n5(*resources: Resource) -> list[Row]:
    return judge(network.default_security_group_closed, "N5", *resources)


def n6(*resources: Resource) -> list[Row]:
    return judge(network.waf_in_front_of_apis, "N6", *resources)


def subnet(name: str) -> Resource:
    return res(f"aws_subnet.{name}", {"map_public_ip_on_launch": False})


def private_subnet_pass(name: str) -> Row:
    return (f"aws_subnet.{name}", "map_public_ip_on_launch", "pass", False, False, "as required")


NO_ASSOCIATION = "data-tier subnet has no route table association"
ROUTE_EXPECTED = "0.0.0.0/0 through a NAT gateway only"


def unassociated(name: str) -> Row:
    return (f"aws_subnet.{name}", "route_table", "fail", None, "a private route table via NAT", NO_ASSOCIATION)


def routed(table: str, actual: str, subnet_address: str) -> Row:
    """The verdict on a data-tier subnet's route table: pass through NAT only, else fail naming the subnet."""
    good = actual == "NAT"
    message = "as required" if good else f"data-tier subnet {subnet_address} routes to the internet directly"
    return (f"aws_route_table.{table}", "route", "pass" if good else "fail", actual, ROUTE_EXPECTED, message)


# ------------------------------------------------------------------------------------------------ N1
def test_subnets_without_any_data_tier_user_fail_n1_for_want_of_a_data_tier() -> None:
    assert n1(subnet("a"), res("aws_db_subnet_group.loose", {"subnet_ids": ["subnet-1"]})) == [
        private_subnet_pass("a"),
        ("(data tier)", "subnet_ids", "fail", None, "data stores in private subnets", "no data-tier subnet group found to verify"),
    ]


def test_every_kind_of_data_tier_user_puts_its_subnets_in_the_data_tier() -> None:
    """Aurora's and ElastiCache's subnet groups, EFS mount targets and ECS services: each subnet is judged, none associated."""
    got = n1(
        *(subnet(n) for n in ("a", "b", "c", "d")),
        res("aws_db_subnet_group.db", {}, {"subnet_ids": ["aws_subnet.a"]}),
        res("aws_elasticache_subnet_group.cache", {}, {"subnet_ids": ["aws_subnet.b"]}),
        res("aws_efs_mount_target.files", {}, {"subnet_id": ["aws_subnet.c"]}),
        res("aws_ecs_service.app", {}, {"network_configuration.0.subnets": ["aws_subnet.d"]}),
    )
    assert got == [*(private_subnet_pass(n) for n in "abcd"), *(unassociated(n) for n in "abcd")]


def test_a_data_tier_user_referencing_something_other_than_a_subnet_puts_only_its_subnets_in_the_data_tier() -> None:
    got = n1(subnet("a"), res("aws_vpc.main", {}), res("aws_db_subnet_group.db", {}, {"subnet_ids": ["aws_subnet.a", "aws_vpc.main"]}))
    assert got == [private_subnet_pass("a"), unassociated("a")]


def test_every_unassociated_data_tier_subnet_fails_n1_not_only_the_first() -> None:
    got = n1(subnet("a"), subnet("b"), res("aws_db_subnet_group.db", {}, {"subnet_ids": ["aws_subnet.b", "aws_subnet.a"]}))
    assert got == [private_subnet_pass("a"), private_subnet_pass("b"), unassociated("a"), unassociated("b")]


def data_tier_with(table: Resource, association_refs: dict[str, list[str]] | None = None) -> list[Row]:
    """N1 on one private data-tier subnet `a` associated with the route table `table`."""
    table_address = table[0]["address"]
    refs = association_refs or {"subnet_id": ["aws_subnet.a"], "route_table_id": [table_address]}
    return n1(
        subnet("a"),
        res("aws_db_subnet_group.db", {}, {"subnet_ids": ["aws_subnet.a"]}),
        res("aws_internet_gateway.igw", {}),
        res("aws_nat_gateway.nat", {}),
        res("aws_ec2_transit_gateway.tgw", {}),
        table,
        res("aws_route_table_association.a", {}, refs),
    )


def test_an_association_to_something_other_than_a_route_table_leaves_the_subnet_unassociated() -> None:
    got = data_tier_with(
        res("aws_default_route_table.main", {"route": []}),
        {"subnet_id": ["aws_subnet.a"], "route_table_id": ["aws_default_route_table.main"]},
    )
    assert got == [private_subnet_pass("a"), unassociated("a")]


def test_a_route_table_referencing_an_internet_gateway_fails_n1_even_beside_a_nat_route() -> None:
    table = res("aws_route_table.private", {}, {"route": ["aws_internet_gateway.igw", "aws_nat_gateway.nat"]}, {"route": True})
    assert data_tier_with(table) == [private_subnet_pass("a"), routed("private", "internet gateway", "aws_subnet.a")]


def test_a_route_table_referencing_a_nat_gateway_only_passes_n1() -> None:
    table = res("aws_route_table.private", {}, {"route": ["aws_nat_gateway.nat"]}, {"route": True})
    assert data_tier_with(table) == [private_subnet_pass("a"), routed("private", "NAT", "aws_subnet.a")]


def test_a_route_through_a_transit_gateway_is_no_nat_route_and_fails_n1() -> None:
    table = res("aws_route_table.private", {}, {"route": ["aws_ec2_transit_gateway.tgw"]}, {"route": True})
    assert data_tier_with(table) == [private_subnet_pass("a"), routed("private", "no default route", "aws_subnet.a")]


def test_a_known_nat_gateway_id_in_the_routes_passes_n1() -> None:
    table = res("aws_route_table.private", {"route": [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-0123456789abcdef0"}]})
    assert data_tier_with(table) == [private_subnet_pass("a"), routed("private", "NAT", "aws_subnet.a")]


def test_a_known_internet_gateway_id_for_the_default_route_fails_n1_even_beside_a_nat_route() -> None:
    routes = [{"cidr_block": "10.0.0.0/8", "nat_gateway_id": "nat-1"}, {"cidr_block": "0.0.0.0/0", "gateway_id": "igw-0123456789abcdef0"}]
    table = res("aws_route_table.private", {"route": routes})
    assert data_tier_with(table) == [private_subnet_pass("a"), routed("private", "internet gateway", "aws_subnet.a")]


def test_a_route_table_without_routes_fails_n1_with_no_default_route() -> None:
    table = res("aws_route_table.private", {"route": []})
    assert data_tier_with(table) == [private_subnet_pass("a"), routed("private", "no default route", "aws_subnet.a")]


# ------------------------------------------------------------------------------------------------ N2
def test_tasks_with_public_ips_and_an_internet_facing_load_balancer_fail_n2() -> None:
    got = n2(
        res("aws_rds_cluster_instance.db", {"publicly_accessible": False}),
        res("aws_ecs_service.public", {"network_configuration": [{"assign_public_ip": True}]}),
        res("aws_ecs_service.private", {"network_configuration": [{"assign_public_ip": False}]}),
        res("aws_lb.public", {"internal": False}),
        res("aws_lb.internal", {"internal": True}),
    )
    ip = "network_configuration.0.assign_public_ip"
    assert got == [
        ("aws_rds_cluster_instance.db", "publicly_accessible", "pass", False, False, "as required"),
        ("aws_ecs_service.public", ip, "fail", True, False, "tasks get public IPs"),
        ("aws_ecs_service.private", ip, "pass", False, False, "as required"),
        ("aws_lb.public", "internal", "fail", False, True, "load balancer in front of the CDE is internet-facing"),
        ("aws_lb.internal", "internal", "pass", True, True, "as required"),
    ]


# ------------------------------------------------------------------------------------------------ N3
OPEN_IN = ("no ingress from 0.0.0.0/0 or ::/0", "ingress open to the internet")
EVERY_PROTOCOL = ("a single protocol and port", "ingress allows every protocol and port")
NO_INTERNET_IN = ("no ingress from the internet", "as required")


def data_port(port: int, store: str, actual: str, good: bool) -> tuple[str, str, str, str]:
    """(status, actual, expected, message) of N3's verdict on ingress to a data-tier group."""
    message = "as required" if good else f"data-tier ingress wider than {store} needs"
    return ("pass" if good else "fail", actual, f"{port} from an application security group only", message)


def test_inline_ingress_rules_are_judged_by_cidr_protocol_and_source() -> None:
    rules = [
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": ["fd00::/8"]},
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": ["::/0"]},
        {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["10.1.0.0/16"]},
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "security_groups": ["sg-0123456789abcdef0"]},
        {"protocol": "tcp", "from_port": 80, "to_port": 80, "ipv6_cidr_blocks": ["::/0"]},
    ]
    sg = "aws_security_group.web"
    assert n3(res(sg, {"ingress": rules})) == [
        (sg, "ingress.0", "pass", ["10.0.0.0/8", "fd00::/8"], *NO_INTERNET_IN),
        (sg, "ingress.1", "fail", ["0.0.0.0/0", "::/0"], *OPEN_IN),
        (sg, "ingress.2", "fail", "-1", *EVERY_PROTOCOL),
        (sg, "ingress.3", "pass", "security group", *NO_INTERNET_IN),
        (sg, "ingress.4", "fail", ["::/0"], *OPEN_IN),
    ]


def test_inline_ingress_to_a_data_tier_group_must_be_its_port_from_a_security_group() -> None:
    rules = [
        {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "security_groups": ["sg-0123456789abcdef0"]},
        {"protocol": "tcp", "from_port": 5432, "to_port": 5433, "cidr_blocks": ["10.0.0.0/16"], "security_groups": []},
        {"protocol": "tcp", "from_port": 5431, "to_port": 5432, "security_groups": ["sg-0123456789abcdef0"]},
    ]
    aurora = res("aws_rds_cluster.main", {}, {"vpc_security_group_ids": ["aws_security_group.db"]})
    got = n3(res("aws_security_group.db", {"ingress": rules}), aurora)
    store = "aws_rds_cluster"
    assert got == [
        ("aws_security_group.db", "from_port", *data_port(5432, store, "5432-5432 from security group", True)),
        ("aws_security_group.db", "from_port", *data_port(5432, store, "5432-5433 from ['10.0.0.0/16']", False)),
        ("aws_security_group.db", "from_port", *data_port(5432, store, "5431-5432 from security group", False)),
    ]


def test_each_data_store_guards_its_own_port() -> None:
    """ElastiCache's groups admit 6379 and EFS mount targets' 2049; Aurora's 5432 on a cache group is too wide."""
    app = ["sg-0123456789abcdef0"]
    cache, files = "aws_elasticache_replication_group", "aws_efs_mount_target"
    got = n3(
        res("aws_security_group.cache", {"ingress": [{"protocol": "tcp", "from_port": 6379, "to_port": 6379, "security_groups": app}]}),
        res("aws_security_group.files", {"ingress": [{"protocol": "tcp", "from_port": 2049, "to_port": 2049, "security_groups": app}]}),
        res("aws_security_group.other", {"ingress": [{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "security_groups": app}]}),
        res(f"{cache}.cache", {}, {"security_group_ids": ["aws_security_group.cache", "aws_security_group.other"]}),
        res(f"{files}.files", {}, {"security_groups": ["aws_security_group.files"]}),
    )
    assert got == [
        ("aws_security_group.cache", "from_port", *data_port(6379, cache, "6379-6379 from security group", True)),
        ("aws_security_group.files", "from_port", *data_port(2049, files, "2049-2049 from security group", True)),
        ("aws_security_group.other", "from_port", *data_port(6379, cache, "5432-5432 from security group", False)),
    ]


def test_standalone_security_group_rules_are_judged_when_they_are_ingress() -> None:
    db = {"security_group_id": ["aws_security_group.db"]}
    web = {"security_group_id": ["aws_security_group.web"]}
    tcp = {"type": "ingress", "protocol": "tcp", "from_port": 443, "to_port": 443}
    got = n3(
        res("aws_security_group.web", {}),
        res("aws_security_group.db", {}),
        res("aws_rds_cluster.main", {}, {"vpc_security_group_ids": ["aws_security_group.db"]}),
        res("aws_security_group_rule.out", {**tcp, "type": "egress", "cidr_blocks": ["0.0.0.0/0"]}, web),
        res("aws_security_group_rule.v4", {**tcp, "cidr_blocks": ["0.0.0.0/0"]}, web),
        res("aws_security_group_rule.v6", {**tcp, "ipv6_cidr_blocks": ["::/0"]}, web),
        res("aws_security_group_rule.all", {**tcp, "protocol": "all", "cidr_blocks": ["10.0.0.0/8"]}, web),
        res("aws_security_group_rule.inside", {**tcp, "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": ["fd00::/8"]}, web),
        res("aws_security_group_rule.app", {**tcp, "from_port": 5432, "to_port": 5432, "source_security_group_id": "sg-1"}, db),
        res("aws_security_group_rule.app_later", {**tcp, "from_port": 5432, "to_port": 5432}, db, {"source_security_group_id": True}),
        res("aws_security_group_rule.wide", {**tcp, "from_port": 0, "to_port": 65535, "cidr_blocks": ["10.0.0.0/16"]}, db),
    )
    store = "aws_rds_cluster"
    assert got == [
        ("aws_security_group_rule.v4", "cidr_blocks", "fail", ["0.0.0.0/0"], *OPEN_IN),
        ("aws_security_group_rule.v6", "cidr_blocks", "fail", ["::/0"], *OPEN_IN),
        ("aws_security_group_rule.all", "cidr_blocks", "fail", "all", *EVERY_PROTOCOL),
        ("aws_security_group_rule.inside", "cidr_blocks", "pass", ["10.0.0.0/8", "fd00::/8"], *NO_INTERNET_IN),
        ("aws_security_group_rule.app", "from_port", *data_port(5432, store, "5432-5432 from security group", True)),
        ("aws_security_group_rule.app_later", "from_port", *data_port(5432, store, "5432-5432 from security group", True)),
        ("aws_security_group_rule.wide", "from_port", *data_port(5432, store, "0-65535 from ['10.0.0.0/16']", False)),
    ]


def test_vpc_ingress_rules_are_judged_by_both_address_families_and_their_source() -> None:
    db = {"security_group_id": ["aws_security_group.db"]}
    web = {"security_group_id": ["aws_security_group.web"]}
    guarded = {"security_group_id": ["aws_default_security_group.default"]}
    tcp = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443}
    rule = "aws_vpc_security_group_ingress_rule"
    got = n3(
        res("aws_security_group.web", {}),
        res("aws_security_group.db", {}),
        res("aws_default_security_group.default", {}),
        res("aws_rds_cluster.main", {}, {"vpc_security_group_ids": ["aws_security_group.db", "aws_default_security_group.default"]}),
        res(f"{rule}.v4", {**tcp, "cidr_ipv4": "0.0.0.0/0"}, web),
        res(f"{rule}.v6", {**tcp, "cidr_ipv6": "::/0"}, web),
        res(f"{rule}.any", {**tcp, "ip_protocol": "-1", "cidr_ipv4": "10.0.0.0/8"}, web),
        res(f"{rule}.inside", {**tcp, "cidr_ipv4": "10.0.0.0/8", "cidr_ipv6": "fd00::/8"}, web),
        res(f"{rule}.peer", {**tcp, "referenced_security_group_id": "sg-1"}, web),
        res(f"{rule}.default", {**tcp, "cidr_ipv4": "10.0.0.0/8"}, guarded),
        res(f"{rule}.app", {**tcp, "from_port": 5432, "to_port": 5432}, db, {"referenced_security_group_id": True}),
        res(f"{rule}.cidr", {**tcp, "from_port": 5432, "to_port": 5432, "cidr_ipv4": "10.0.0.0/16"}, db),
    )
    store = "aws_rds_cluster"
    assert got == [
        (f"{rule}.v4", "cidr_ipv4", "fail", ["0.0.0.0/0"], *OPEN_IN),
        (f"{rule}.v6", "cidr_ipv4", "fail", ["::/0"], *OPEN_IN),
        (f"{rule}.any", "cidr_ipv4", "fail", "-1", *EVERY_PROTOCOL),
        (f"{rule}.inside", "cidr_ipv4", "pass", ["10.0.0.0/8", "fd00::/8"], *NO_INTERNET_IN),
        (f"{rule}.peer", "cidr_ipv4", "pass", "security group", *NO_INTERNET_IN),
        (f"{rule}.default", "cidr_ipv4", "pass", ["10.0.0.0/8"], *NO_INTERNET_IN),
        (f"{rule}.app", "from_port", *data_port(5432, store, "5432-5432 from security group", True)),
        (f"{rule}.cidr", "from_port", *data_port(5432, store, "5432-5432 from ['10.0.0.0/16']", False)),
    ]


def test_security_groups_without_ingress_rules_leave_n3_nothing_to_verify() -> None:
    missing = ("(no aws_security_group)", "", "fail", None, "at least one aws_security_group", "no ingress rules to verify")
    assert n3() == [missing]
    assert n3(res("aws_security_group.quiet", {"ingress": []}), res("aws_security_group_rule.out", {"type": "egress"})) == [missing]


# ------------------------------------------------------------------------------------------------ N4
CARDHOLDER_LEAK = "a cardholder-data tier may send data to the internet"


def test_no_cardholder_data_group_leaves_n4_nothing_to_verify() -> None:
    rule = res("aws_vpc_security_group_egress_rule.any", {"cidr_ipv4": "0.0.0.0/0"}, {"security_group_id": ["aws_security_group.web"]})
    assert n4(res("aws_security_group.web", {}), rule) == [
        ("(no aws_security_group)", "", "fail", None, "at least one aws_security_group", "no data-tier security groups to verify")
    ]


def test_egress_unknown_at_plan_time_is_unknown_for_every_cardholder_group() -> None:
    """Unknown rules written in the configuration are unknown; a group whose egress only the provider fills is judged."""
    open_egress = [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}]
    groups = ["aws_security_group.a", "aws_security_group.b", "aws_security_group.c", "aws_default_security_group.d"]
    got = n4(
        res("aws_security_group.a", {}, {"egress": []}, {"egress": True}),
        res("aws_security_group.b", {"egress": open_egress}),
        res("aws_security_group.c", {}, None, {"egress": True}),
        res("aws_db_instance.legacy", {}, {"vpc_security_group_ids": groups}),
        res("aws_default_security_group.d", {"egress": open_egress}),
    )
    assert got == [
        ("aws_security_group.a", "egress", "unknown", "(known after apply)", NO_EGRESS, "egress rules unknown at plan time"),
        ("aws_security_group.b", "egress", "fail", open_egress, NO_EGRESS, "aws_db_instance may send data to the internet"),
        ("aws_security_group.c", "egress", "pass", [], NO_EGRESS, "as required"),
    ]


def test_standalone_egress_rules_of_a_cardholder_group_fail_n4_when_open_to_the_internet() -> None:
    db = {"security_group_id": ["aws_security_group.db"]}
    web = {"security_group_id": ["aws_security_group.web"]}
    rule, vpc_rule = "aws_security_group_rule", "aws_vpc_security_group_egress_rule"
    egress = {"type": "egress", "protocol": "tcp", "from_port": 443, "to_port": 443}
    got = n4(
        res("aws_security_group.db", {"egress": []}),
        res("aws_security_group.web", {}),
        res("aws_rds_cluster.main", {}, {"vpc_security_group_ids": ["aws_security_group.db"]}),
        res(f"{rule}.in", {**egress, "type": "ingress", "cidr_blocks": ["0.0.0.0/0"]}, db),
        res(f"{rule}.v4", {**egress, "cidr_blocks": ["0.0.0.0/0"]}, db),
        res(f"{rule}.v6", {**egress, "ipv6_cidr_blocks": ["::/0"]}, db),
        res(f"{rule}.inside", {**egress, "cidr_blocks": ["10.0.0.0/16"]}, db),
        res(f"{rule}.web", {**egress, "cidr_blocks": ["0.0.0.0/0"]}, web),
        res(f"{vpc_rule}.v4", {"ip_protocol": "tcp", "cidr_ipv4": "0.0.0.0/0"}, db),
        res(f"{vpc_rule}.v6", {"ip_protocol": "tcp", "cidr_ipv6": "::/0"}, db),
        res(f"{vpc_rule}.inside", {"ip_protocol": "tcp", "cidr_ipv4": "10.0.0.0/16"}, db),
        res(f"{vpc_rule}.web", {"ip_protocol": "tcp", "cidr_ipv4": "0.0.0.0/0"}, web),
    )
    assert got == [
        ("aws_security_group.db", "egress", "pass", [], NO_EGRESS, "as required"),
        (f"{rule}.v4", "cidr_blocks", "fail", ["0.0.0.0/0"], NO_EGRESS, CARDHOLDER_LEAK),
        (f"{rule}.v6", "cidr_blocks", "fail", ["::/0"], NO_EGRESS, CARDHOLDER_LEAK),
        (f"{rule}.inside", "cidr_blocks", "pass", ["10.0.0.0/16"], NO_EGRESS, "as required"),
        (f"{vpc_rule}.v4", "cidr_ipv4", "fail", ["0.0.0.0/0"], NO_EGRESS, CARDHOLDER_LEAK),
        (f"{vpc_rule}.v6", "cidr_ipv4", "fail", ["::/0"], NO_EGRESS, CARDHOLDER_LEAK),
        (f"{vpc_rule}.inside", "cidr_ipv4", "pass", "10.0.0.0/16", NO_EGRESS, "as required"),
    ]


# ------------------------------------------------------------------------------------------------ N5
def test_every_vpc_without_a_managed_default_group_fails_n5() -> None:
    got = n5(
        res("aws_vpc.a", {}),
        res("aws_vpc.b", {}),
        res("aws_vpc.c", {}),
        res("aws_default_security_group.b", {"ingress": [], "egress": []}, {"vpc_id": ["aws_vpc.b"]}),
    )
    keeps = ("default_security_group", "fail", None, "an aws_default_security_group with no rules")
    why = "the VPC's default security group keeps AWS's allow rules"
    assert got == [
        ("aws_vpc.a", *keeps, why),
        ("aws_default_security_group.b", "ingress/egress", "pass", [], "no rules", "as required"),
        ("aws_vpc.c", *keeps, why),
    ]


# ------------------------------------------------------------------------------------------------ N6
def test_a_global_web_acl_without_rules_and_a_stage_behind_a_classic_waf_fail_n6() -> None:
    acl = "aws_wafv2_web_acl.api"
    got = n6(
        res(acl, {"scope": "CLOUDFRONT", "rule": []}),
        res("aws_wafregional_web_acl.classic", {}),
        res("aws_api_gateway_stage.prod", {}),
        res(
            "aws_wafv2_web_acl_association.prod",
            {},
            {"resource_arn": ["aws_api_gateway_stage.prod"], "web_acl_arn": ["aws_wafregional_web_acl.classic"]},
        ),
    )
    assert got == [
        (acl, "scope", "fail", "CLOUDFRONT", "REGIONAL", "web ACL is not regional (API Gateway needs REGIONAL)"),
        (acl, "rule", "fail", [], "at least one (managed) rule", "web ACL has no rules"),
        ("aws_api_gateway_stage.prod", "web_acl", "fail", [], "an aws_wafv2_web_acl_association", "API stage is not protected by WAF"),
    ]
