"""Network gaps the mutation work found: an IPv6 default route to the internet gateway, a data-tier rule that admits a
security group and address ranges, and address ranges unknown at plan time (an unknown is never a pass)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.controls.checks.test_network_kills import NO_EGRESS, data_port, data_tier_with, n3, n4, private_subnet_pass, res, routed

UNKNOWN_IN = ("unknown", "(known after apply)", "no ingress from 0.0.0.0/0 or ::/0", "ingress source unknown at plan time")
UNKNOWN_OUT = ("unknown", "(known after apply)", NO_EGRESS, "egress range unknown at plan time")
DB = {"security_group_id": ["aws_security_group.db"]}
AURORA = res("aws_rds_cluster.main", {}, {"vpc_security_group_ids": ["aws_security_group.db"]})


def test_an_ipv6_default_route_to_the_internet_gateway_fails_n1_beside_a_nat_route() -> None:
    routes = [
        {"cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-0123456789abcdef0"},
        {"ipv6_cidr_block": "::/0", "gateway_id": "igw-0123456789abcdef0"},
    ]
    got = data_tier_with(res("aws_route_table.private", {"route": routes}))
    assert got == [private_subnet_pass("a"), routed("private", "internet gateway", "aws_subnet.a")]


def test_an_ipv6_route_to_the_internet_gateway_for_a_narrower_range_is_no_default_route() -> None:
    routes = [
        {"cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-0123456789abcdef0"},
        {"ipv6_cidr_block": "2001:db8::/32", "gateway_id": "igw-0123456789abcdef0"},
    ]
    assert data_tier_with(res("aws_route_table.private", {"route": routes}))[-1] == routed("private", "NAT", "aws_subnet.a")


def test_a_data_tier_rule_naming_a_security_group_and_an_address_range_fails_n3() -> None:
    """The rule admits the group and the range: the range is not the application tier."""
    both = {
        "protocol": "tcp",
        "from_port": 5432,
        "to_port": 5432,
        "security_groups": ["sg-0123456789abcdef0"],
        "cidr_blocks": ["10.0.0.0/8"],
    }
    got = n3(res("aws_security_group.db", {"ingress": [both]}), AURORA)
    expected = data_port(5432, "aws_rds_cluster", "5432-5432 from security group and ['10.0.0.0/8']", False)
    assert got == [("aws_security_group.db", "from_port", *expected)]


@pytest.mark.parametrize(
    ("rule", "after", "unknown", "attribute"),
    [
        (
            "aws_vpc_security_group_ingress_rule.ssh",
            {"ip_protocol": "tcp", "from_port": 22, "to_port": 22},
            {"cidr_ipv4": True},
            "cidr_ipv4",
        ),
        (
            "aws_vpc_security_group_ingress_rule.v6",
            {"ip_protocol": "tcp", "from_port": 22, "to_port": 22},
            {"cidr_ipv6": True},
            "cidr_ipv4",
        ),
        (
            "aws_security_group_rule.ssh",
            {"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": [None]},
            {"cidr_blocks": [True]},
            "cidr_blocks",
        ),
        (
            "aws_security_group_rule.db",
            {"type": "ingress", "protocol": "tcp", "from_port": 5432, "to_port": 5432},
            {"ipv6_cidr_blocks": True},
            "cidr_blocks",
        ),
    ],
)
def test_an_ingress_range_unknown_at_plan_time_is_unknown_not_a_pass(
    rule: str, after: dict[str, Any], unknown: dict[str, Any], attribute: str
) -> None:
    got = n3(res("aws_security_group.db", {}), AURORA, res(rule, after, DB, unknown))
    assert got == [(rule, attribute, *UNKNOWN_IN)]


def test_an_inline_ingress_range_unknown_at_plan_time_is_unknown() -> None:
    rules = [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [None]}]
    got = n3(res("aws_security_group.web", {"ingress": rules}, unknown={"ingress": [{"cidr_blocks": [True]}]}))
    assert got == [("aws_security_group.web", "ingress.0", *UNKNOWN_IN)]


def test_an_ingress_range_taken_from_a_vpc_of_the_plan_is_no_internet_and_passes() -> None:
    """AWS allows VPC blocks of /16 to /28: a range read from the plan's VPC is never 0.0.0.0/0."""
    rule = "aws_vpc_security_group_ingress_rule.vpc"
    refs = {**DB, "cidr_ipv4": ["aws_vpc.main"]}
    after = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443}
    web = {**refs, "security_group_id": ["aws_security_group.web"]}
    got = n3(res("aws_vpc.main", {}), res("aws_security_group.web", {}), res(rule, after, web, {"cidr_ipv4": True}))
    assert got == [(rule, "cidr_ipv4", "pass", "security group", "no ingress from the internet", "as required")]


def test_an_ingress_range_taken_from_anything_else_stays_unknown() -> None:
    rule = "aws_vpc_security_group_ingress_rule.peer"
    web = {"security_group_id": ["aws_security_group.web"], "cidr_ipv4": ["aws_vpc.main", "aws_eip.public"]}
    after = {"ip_protocol": "tcp", "from_port": 443, "to_port": 443}
    got = n3(
        res("aws_vpc.main", {}), res("aws_eip.public", {}), res("aws_security_group.web", {}), res(rule, after, web, {"cidr_ipv4": True})
    )
    assert got == [(rule, "cidr_ipv4", *UNKNOWN_IN)]


def test_a_known_open_range_fails_even_beside_an_unknown_one() -> None:
    rule = "aws_security_group_rule.mixed"
    after = {"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0", None]}
    got = n3(res(rule, after, {"security_group_id": ["aws_security_group.web"]}, {"cidr_blocks": [False, True]}))
    assert got == [(rule, "cidr_blocks", "fail", ["0.0.0.0/0"], "no ingress from 0.0.0.0/0 or ::/0", "ingress open to the internet")]


@pytest.mark.parametrize(
    ("rule", "after", "unknown", "attribute"),
    [
        ("aws_vpc_security_group_egress_rule.any", {"ip_protocol": "-1"}, {"cidr_ipv4": True}, "cidr_ipv4"),
        (
            "aws_security_group_rule.out",
            {"type": "egress", "protocol": "tcp", "cidr_blocks": [None]},
            {"cidr_blocks": [True]},
            "cidr_blocks",
        ),
    ],
)
def test_an_egress_range_of_a_cardholder_group_unknown_at_plan_time_is_unknown(
    rule: str, after: dict[str, Any], unknown: dict[str, Any], attribute: str
) -> None:
    got = n4(res("aws_security_group.db", {"egress": []}), AURORA, res(rule, after, DB, unknown))
    assert got == [("aws_security_group.db", "egress", "pass", [], NO_EGRESS, "as required"), (rule, attribute, *UNKNOWN_OUT)]


def test_an_inline_egress_range_unknown_at_plan_time_is_unknown() -> None:
    egress = [
        {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["10.0.0.0/16"]},
        {"protocol": "-1", "ipv6_cidr_blocks": [None]},
    ]
    unknown = {"egress": [{}, {"ipv6_cidr_blocks": [True]}]}
    got = n4(res("aws_security_group.db", {"egress": egress}, unknown=unknown), AURORA)
    assert got == [("aws_security_group.db", "egress", *UNKNOWN_OUT)]


def test_a_nested_ingress_block_whose_range_is_read_from_the_plans_vpc_passes() -> None:
    """`ingress { cidr_blocks = [aws_vpc.main.cidr_block] }`: the plan's configuration holds an expression per block."""
    rules = [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [None]}]
    web = res(
        "aws_security_group.web", {"ingress": rules}, {"ingress.0.cidr_blocks": ["aws_vpc.main"]}, {"ingress": [{"cidr_blocks": [True]}]}
    )
    assert n3(res("aws_vpc.main", {}), web) == [
        ("aws_security_group.web", "ingress.0", "pass", [None], "no ingress from the internet", "as required")
    ]


def test_every_rule_after_an_unknown_one_is_still_judged() -> None:
    web = {"security_group_id": ["aws_security_group.web"]}
    ssh = {"ip_protocol": "tcp", "from_port": 22, "to_port": 22}
    later = res("aws_vpc_security_group_ingress_rule.later", ssh, web, {"cidr_ipv4": True})
    open_rule = res("aws_vpc_security_group_ingress_rule.open", {**ssh, "cidr_ipv4": "0.0.0.0/0"}, web)
    assert n3(res("aws_security_group.web", {}), later, open_rule) == [
        ("aws_vpc_security_group_ingress_rule.later", "cidr_ipv4", *UNKNOWN_IN),
        (
            "aws_vpc_security_group_ingress_rule.open",
            "cidr_ipv4",
            "fail",
            ["0.0.0.0/0"],
            "no ingress from 0.0.0.0/0 or ::/0",
            "ingress open to the internet",
        ),
    ]


def test_every_cardholder_group_and_egress_rule_after_an_unknown_one_is_still_judged() -> None:
    cache = res("aws_elasticache_replication_group.cache", {}, {"security_group_ids": ["aws_security_group.zcache"]})
    unknown_db = res(
        "aws_security_group.db", {"egress": [{"protocol": "-1", "cidr_blocks": [None]}]}, unknown={"egress": [{"cidr_blocks": [True]}]}
    )
    open_cache = res("aws_security_group.zcache", {"egress": [{"protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]})
    later = res("aws_vpc_security_group_egress_rule.a_later", {"ip_protocol": "-1"}, DB, {"cidr_ipv4": True})
    wide = res("aws_vpc_security_group_egress_rule.b_wide", {"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}, DB)
    got = n4(unknown_db, open_cache, AURORA, cache, later, wide)
    assert got == [
        ("aws_security_group.db", "egress", *UNKNOWN_OUT),
        (
            "aws_security_group.zcache",
            "egress",
            "fail",
            [{"protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}],
            NO_EGRESS,
            "aws_elasticache_replication_group may send data to the internet",
        ),
        ("aws_vpc_security_group_egress_rule.a_later", "cidr_ipv4", *UNKNOWN_OUT),
        (
            "aws_vpc_security_group_egress_rule.b_wide",
            "cidr_ipv4",
            "fail",
            ["0.0.0.0/0"],
            NO_EGRESS,
            "a cardholder-data tier may send data to the internet",
        ),
    ]
