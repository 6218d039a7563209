"""Network controls (N) at their edges: the last compliant value passes, the first one past it fails."""

from __future__ import annotations

from typing import Any

from tests.conftest import change, drop_reference, set_after
from tests.controls.violations import Boundary, boundary_tests

PRIVATE_ROUTES = 'module.network.aws_route_table.private["eu-west-1a"]'
POSTGRES_FROM_APP = 'module.aurora.aws_vpc_security_group_ingress_rule.postgres["app"]'
NLB_INGRESS = "module.ecs.aws_vpc_security_group_ingress_rule.nlb"
AURORA_SG = "module.aurora.aws_security_group.this"
DEFAULT_SG = "module.network.aws_default_security_group.this"
REPLICA = "module.aurora.aws_rds_cluster_instance.this[1]"
WEB_ACL = "module.api.aws_wafv2_web_acl.this"


def igw_route(data: dict[str, Any], cidr: str) -> None:
    """An internet-gateway route for `cidr` added to a data-tier subnet's route table."""
    routes = change(data, PRIVATE_ROUTES)["after"]["route"]
    set_after(data, PRIVATE_ROUTES, "route", [*routes, {"cidr_block": cidr, "gateway_id": "igw-0123456789abcdef0"}])


def cidr_source(data: dict[str, Any], address: str, cidr: str) -> None:
    set_after(data, address, "cidr_ipv4", cidr)
    set_after(data, address, "referenced_security_group_id", None)
    data_rule = next(rc for rc in data["resource_changes"] if rc["address"] == address)
    data_rule["change"]["after_unknown"].pop("referenced_security_group_id", None)


BOUNDARIES: dict[str, Boundary] = {
    # a route to the internet gateway for a private range is not a default route; 0.0.0.0/0 through it is
    "N1": Boundary("eu-west-1", lambda d: igw_route(d, "10.99.0.0/16"), lambda d: igw_route(d, "0.0.0.0/0"), PRIVATE_ROUTES),
    # publicly_accessible must be false explicitly: unset is the provider's default, which may be public
    "N2": Boundary(
        "eu-west-1",
        lambda d: set_after(d, REPLICA, "publicly_accessible", False),
        lambda d: set_after(d, REPLICA, "publicly_accessible", None),
        "aws_rds_cluster_instance.this[1]",
    ),
    # a CIDR on a non-data port is fine; the data-tier port open to a CIDR (not a security group) is not
    "N3": Boundary(
        "eu-west-1",
        lambda d: set_after(d, NLB_INGRESS, "cidr_ipv4", "10.0.0.0/8"),
        lambda d: cidr_source(d, POSTGRES_FROM_APP, "10.30.0.0/16"),
        'postgres["app"]',
    ),
    # egress inside the VPC's range passes; to ::/0 (IPv6 everywhere) fails like 0.0.0.0/0
    "N4": Boundary(
        "eu-west-1",
        lambda d: set_after(
            d, AURORA_SG, "egress", [{"protocol": "tcp", "cidr_blocks": ["10.30.0.0/16"], "from_port": 443, "to_port": 443}]
        ),
        lambda d: set_after(d, AURORA_SG, "egress", [{"protocol": "tcp", "ipv6_cidr_blocks": ["::/0"], "from_port": 443, "to_port": 443}]),
        AURORA_SG,
    ),
    # the default group with no rules passes; a single egress rule, even inside the VPC, fails
    "N5": Boundary(
        "eu-west-1",
        lambda d: (set_after(d, DEFAULT_SG, "ingress", []), set_after(d, DEFAULT_SG, "egress", [])),
        lambda d: set_after(
            d, DEFAULT_SG, "egress", [{"protocol": "tcp", "cidr_blocks": ["10.30.0.0/16"], "from_port": 443, "to_port": 443}]
        ),
        "aws_default_security_group.this",
    ),
    # a web ACL with a single rule still protects the stage; an association whose ACL is not one of the plan's does not
    "N6": Boundary(
        "eu-west-1",
        lambda d: set_after(d, WEB_ACL, "rule", change(d, WEB_ACL)["after"]["rule"][:1]),
        lambda d: drop_reference(d, "module.api.aws_wafv2_web_acl_association.this", "web_acl_arn"),
        "module.api.aws_api_gateway_stage.this",
    ),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)
