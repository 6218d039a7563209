"""Class controls (E8, T5, L11, R12, I5, C1, C2) at their edges: the last compliant value passes, the first one past it fails."""

from __future__ import annotations

from typing import Any

from tests.controls.test_classes import ADDED, _db, _region
from tests.controls.violations import Boundary, add, boundary_tests

POLICY = "aws_iam_account_password_policy.this"
PCI_PASSWORDS = {
    "minimum_password_length": 12,
    "password_reuse_prevention": 4,
    "max_password_age": 90,
    "require_numbers": True,
    "require_lowercase_characters": True,
    "require_uppercase_characters": True,
}


def database(data: dict[str, Any], key_reference: list[str] | None) -> None:
    """An encrypted, logging database instance, its key a CMK of the plan (through the kms module's output) or none."""
    add(data, ADDED, "aws_db_instance", _db(encrypted=True, logs=["postgresql"]))
    expressions = {"kms_key_id": {"references": key_reference}} if key_reference else {}
    data["configuration"]["root_module"].setdefault("resources", []).append(
        {"address": ADDED, "mode": "managed", "type": "aws_db_instance", "name": "added", "expressions": expressions}
    )


def listener(data: dict[str, Any], ssl_policy: str) -> None:
    add(
        data,
        "aws_lb_listener.tls",
        "aws_lb_listener",
        {"protocol": "TLS", "port": 443, "ssl_policy": ssl_policy, "default_action": [{"type": "forward"}]},
    )


def no_region(data: dict[str, Any]) -> None:
    data["configuration"]["provider_config"]["aws"]["expressions"].pop("region")


BOUNDARIES: dict[str, Boundary] = {
    # encrypted under a CMK of the plan passes; encrypted with no key named (the AWS-managed default) fails
    "E8": Boundary(
        "us-west-2",
        lambda d: database(d, ['module.kms.key_arns["aurora"]', "module.kms.key_arns", "module.kms"]),
        lambda d: database(d, None),
        ADDED,
    ),
    # a TLS listener on a TLS 1.2+ policy passes; the 2016 policy (TLS 1.0) fails
    "T5": Boundary(
        "eu-west-1",
        lambda d: listener(d, "ELBSecurityPolicy-TLS13-1-2-2021-06"),
        lambda d: listener(d, "ELBSecurityPolicy-2016-08"),
        "aws_lb_listener.tls",
    ),
    # exporting the engine log passes; an empty export list fails
    "L11": Boundary(
        "us-west-2",
        lambda d: add(d, ADDED, "aws_db_instance", _db(encrypted=True, logs=["postgresql"])),
        lambda d: add(d, ADDED, "aws_db_instance", _db(encrypted=True, logs=[])),
        ADDED,
    ),
    # point-in-time recovery on passes; the block left out fails
    "R12": Boundary(
        "eu-west-1",
        lambda d: add(
            d, "aws_dynamodb_table.cards", "aws_dynamodb_table", {"name": "cards", "point_in_time_recovery": [{"enabled": True}]}
        ),
        lambda d: add(d, "aws_dynamodb_table.cards", "aws_dynamodb_table", {"name": "cards", "point_in_time_recovery": []}),
        "aws_dynamodb_table.cards",
    ),
    # PCI DSS 8.3.9: passwords changed at least every 90 days; 91 fails
    "I5": Boundary(
        "us-west-2",
        lambda d: add(d, POLICY, "aws_iam_account_password_policy", PCI_PASSWORDS),
        lambda d: add(d, POLICY, "aws_iam_account_password_policy", {**PCI_PASSWORDS, "max_password_age": 91}),
        POLICY,
    ),
    # a new resource of a classed type passes; one of an unclassed type fails (closed world)
    "C1": Boundary(
        "eu-west-1",
        lambda d: add(d, "aws_sns_topic.cards", "aws_sns_topic", {"name": "sns-cards-dev"}),
        lambda d: add(d, "aws_gamelift_alias.cards", "aws_gamelift_alias", {"name": "cards"}),
        "aws_gamelift_alias.cards",
    ),
    # the environment's region pinned passes; no region in the provider block fails
    "C2": Boundary("us-west-2", lambda d: _region(d, "us-west-2"), no_region, "(plan)"),
}

test_control_passes_at_its_compliant_edge, test_control_fails_just_past_its_edge = boundary_tests(BOUNDARIES)
