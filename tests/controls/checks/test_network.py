"""Network controls (N): segmentation, no public exposure, security groups."""

from __future__ import annotations

from tests.conftest import remove, set_after
from tests.controls.violations import Violations, violation_tests

VIOLATIONS: Violations = {
    "N1": (
        "eu-west-1",
        lambda d: set_after(d, 'module.network.aws_subnet.private["eu-west-1a"]', "map_public_ip_on_launch", True),
        'aws_subnet.private["eu-west-1a"]',
    ),
    "N2": (
        "eu-west-1",
        lambda d: set_after(d, "module.aurora.aws_rds_cluster_instance.this[1]", "publicly_accessible", True),
        "aws_rds_cluster_instance.this[1]",
    ),
    "N3": (
        "eu-west-1",
        lambda d: set_after(d, 'module.aurora.aws_vpc_security_group_ingress_rule.postgres["app"]', "cidr_ipv4", "0.0.0.0/0"),
        'postgres["app"]',
    ),
    "N4": (
        "eu-west-1",
        lambda d: set_after(
            d,
            "module.aurora.aws_security_group.this",
            "egress",
            [{"protocol": "-1", "cidr_blocks": ["0.0.0.0/0"], "from_port": 0, "to_port": 0}],
        ),
        "module.aurora.aws_security_group.this",
    ),
    "N5": (
        "eu-west-1",
        lambda d: set_after(d, "module.network.aws_default_security_group.this", "ingress", [{"protocol": "-1", "self": True}]),
        "aws_default_security_group.this",
    ),
    "N6": (
        "eu-west-1",
        lambda d: remove(d, lambda rc: rc["type"] == "aws_wafv2_web_acl_association"),
        "module.api.aws_api_gateway_stage.this",
    ),
}

test_control_passes_on_the_real_plan, test_control_fails_on_a_violating_plan = violation_tests(VIOLATIONS)
