"""ci-identity's pipeline roles, read from the real plan: no action IAM can scope is granted on "*" (checkov
CKV_AWS_355), and the reads the roles need still reach this account's resources and nothing beyond them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

Policy = dict[str, Any]

OTHER_ACCOUNT = "999999999999"


def _pattern(glob: str) -> re.Pattern[str]:
    """IAM's wildcard matching: * any run of characters, ? one character, case-insensitive for actions."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob), re.IGNORECASE)


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def allows(policy: Policy, action: str, resource: str) -> bool:
    """Whether an unconditional Allow statement grants `action` on `resource` (this policy has no Deny)."""
    return any(
        statement["Effect"] == "Allow"
        and "Condition" not in statement
        and any(_pattern(a).fullmatch(action) for a in _listed(statement["Action"]))
        and any(_pattern(r).fullmatch(resource) for r in _listed(statement["Resource"]))
        for statement in policy["Statement"]
    )


@pytest.fixture(scope="module")
def roles(plan_data: dict[str, Any]) -> tuple[dict[str, Policy], str, str]:
    data = plan_data["ci-identity"]
    policies = {
        r["address"]: json.loads(r["values"]["policy"])
        for r in data["planned_values"]["root_module"]["resources"]
        if r["type"] == "aws_iam_role_policy"
    }
    read = {r["type"]: r["values"] for r in data["prior_state"]["values"]["root_module"]["resources"] if r["mode"] == "data"}
    return policies, read["aws_caller_identity"]["account_id"], read["aws_partition"]["partition"]


def test_no_scopable_action_is_granted_on_star(roles: tuple[dict[str, Policy], str, str]) -> None:
    # cloudsplaining (checkov's own policy analysis) comes with the scan extra; the base install never collects it
    document = pytest.importorskip("cloudsplaining.scan.policy_document", reason="needs cloudsplaining: pip install 'tapguard[scan]'")
    policies, _, _ = roles
    assert sorted(policies) == [
        "aws_iam_role_policy.drill",
        'aws_iam_role_policy.plan["eu-west-1"]',
        'aws_iam_role_policy.plan["us-west-2"]',
    ]
    for address, policy in policies.items():
        assert document.PolicyDocument(policy).all_allowed_unrestricted_actions == [], address


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])
def test_a_plan_role_reads_its_stack_and_no_other_account(roles: tuple[dict[str, Policy], str, str], region: str) -> None:
    policies, account, partition = roles
    policy = policies[f'aws_iam_role_policy.plan["{region}"]']
    unscopable = [
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeRouteTables",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeAddresses",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "application-autoscaling:DescribeScalableTargets",
        "ecs:DescribeTaskDefinition",
        "logs:DescribeLogGroups",
        "cloudtrail:DescribeTrails",
        "kms:ListAliases",
        "ssm:DescribeParameters",
    ]
    for action in unscopable:
        assert allows(policy, action, "*"), action
    scoped = {
        "ec2:DescribeVpcAttribute": "ec2:{region}:{account}:vpc/vpc-0a1b",
        "rds:DescribeDBClusters": "rds:{region}:{account}:cluster:aurora-payments",
        "rds:ListTagsForResource": "rds:{region}:{account}:db:aurora-payments-1",
        "elasticache:DescribeReplicationGroups": "elasticache:{region}:{account}:replicationgroup:redis-payments",
        "ecs:DescribeServices": "ecs:{region}:{account}:service/ecs-payments/api",
        "elasticfilesystem:DescribeFileSystems": "elasticfilesystem:{region}:{account}:file-system/fs-0a1b",
        "kinesis:DescribeStreamSummary": "kinesis:{region}:{account}:stream/kinesis-audit",
        "logs:DescribeMetricFilters": "logs:{region}:{account}:log-group:/aws/ecs/payments",
        "secretsmanager:DescribeSecret": "secretsmanager:{region}:{account}:secret:payments/aurora-master-AbCdEf",
        "wafv2:ListResourcesForWebACL": "wafv2:{region}:{account}:regional/webacl/waf-api/0a1b",
    }
    for action, arn in scoped.items():
        assert allows(policy, action, f"arn:{partition}:" + arn.format(region=region, account=account)), action
        assert not allows(policy, action, f"arn:{partition}:" + arn.format(region=region, account=OTHER_ACCOUNT)), action
        assert not allows(policy, action, "*"), action
    # unscopable reads no stack resource needs are no longer granted at all
    for action in ["ec2:DescribeInstances", "ec2:DescribeImages", "rds:DescribeEvents", "ecs:ListTaskDefinitions"]:
        assert not allows(policy, action, "*"), action


def test_the_drill_role_observes_the_targets_in_this_account_only(roles: tuple[dict[str, Policy], str, str]) -> None:
    policies, account, partition = roles
    policy = policies["aws_iam_role_policy.drill"]
    for action in ["rds:DescribeEvents", "elasticache:DescribeEvents"]:
        assert allows(policy, action, "*"), action
    targets = {
        "rds:DescribeDBClusters": "rds:us-west-2:{account}:cluster:aurora-payments",
        "rds:DescribeDBInstances": "rds:eu-west-1:{account}:db:aurora-payments-1",
        "rds:ListTagsForResource": "rds:us-west-2:{account}:cluster:aurora-payments",
        "elasticache:DescribeReplicationGroups": "elasticache:eu-west-1:{account}:replicationgroup:redis-payments",
        "elasticache:ListTagsForResource": "elasticache:us-west-2:{account}:cluster:redis-payments-001",
    }
    for action, arn in targets.items():
        assert allows(policy, action, f"arn:{partition}:" + arn.format(account=account)), action
        assert not allows(policy, action, f"arn:{partition}:" + arn.format(account=OTHER_ACCOUNT)), action
        assert not allows(policy, action, "*"), action
