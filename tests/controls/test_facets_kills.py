"""Class-level controls (controls/facets.py) on small synthetic plans: every field of every finding pinned.

`judged` runs a control as a user does (the stack check first, the class extension after it); `facet` runs one facet of
classes.yaml on its own, so the passes and unknowns of types a stack check also judges are seen too.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Context, classes, facets
from tapguard.foundation.profile import Profile
from tests.controls.checks.golden import judged, resource
from tests.controls.checks.golden import synthetic_plan as plan

Row = tuple[Any, ...]
NOT_ENCRYPTED_BY_DEFAULT = "true, or aws_ebs_encryption_by_default enabled in the plan"
BY_DEFAULT = "encrypted by the region's EBS default encryption"
NO_WILDCARDS = "no Allow of * on *, no Allow to Principal * without a Condition"
NO_ROLE_POLICY = ("(no aws_iam_role_policy)", "", FAIL, None, "at least one aws_iam_role_policy", "no IAM policies to verify")
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
SCOPED = "a named principal or * scoped by ('source_arn', 'source_account', 'principal_org_id')"


def facet(name: str, control: str, *changes: dict[str, Any], config: dict[str, dict[str, Any]] | None = None) -> list[Row]:
    """Every finding the class engine gives for facet `name` of control `control`, no stack check before it."""
    ctx = Context(env="eu-west-1", plan=plan(*changes, config=config), profile=Profile(name="eu-west-1"), control_id=control)
    return [
        (f.address, f.attribute, f.status, f.actual, f.expected, f.message)
        for f in facets.facet_findings(ctx, classes.load(), name, control)
    ]


def json_policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# ---------------------------------------------------------------- volumes and the region's EBS default encryption
def test_a_volume_left_unset_is_encrypted_when_the_plan_turns_the_default_on() -> None:
    got = judged(
        "E8",
        resource("aws_ebs_volume.a", {"encrypted": None, "kms_key_id": None}),
        resource("aws_ebs_encryption_by_default.d", {"enabled": True}),
    )
    assert got == [
        ("aws_ebs_volume.a", "encrypted", PASS, "(default: aws_ebs_encryption_by_default.d)", True, BY_DEFAULT),
        ("aws_ebs_encryption_by_default.d", "enabled", PASS, True, "enabled = True", "as required"),
    ]


def test_an_instance_root_volume_left_unset_is_encrypted_by_a_default_whose_flag_is_null() -> None:
    got = judged(
        "E8",
        resource("aws_instance.i", {"root_block_device": [{"encrypted": None, "kms_key_id": None}], "associate_public_ip_address": False}),
        resource("aws_ebs_encryption_by_default.d", {"enabled": None}),
    )
    assert got == [
        ("aws_ebs_encryption_by_default.d", "enabled", PASS, None, "enabled = True", "as required"),
        ("aws_instance.i", "root_block_device.0.encrypted", PASS, "(default: aws_ebs_encryption_by_default.d)", True, BY_DEFAULT),
    ]


def test_a_default_turned_off_or_unknown_leaves_an_unset_volume_failing() -> None:
    got = judged(
        "E8",
        resource("aws_ebs_volume.a", {"encrypted": None, "kms_key_id": None}),
        resource("aws_ebs_encryption_by_default.d", {"enabled": False}),
        resource("aws_ebs_encryption_by_default.e", {"enabled": None}, {"enabled": True}),
    )
    assert got == [
        ("aws_ebs_volume.a", "encrypted", FAIL, None, NOT_ENCRYPTED_BY_DEFAULT, "aws_ebs_volume: encryption left to the account default"),
        (
            "aws_ebs_encryption_by_default.d",
            "enabled",
            FAIL,
            False,
            "enabled = True",
            "aws_ebs_encryption_by_default is not encrypted at rest",
        ),
        ("aws_ebs_encryption_by_default.e", "enabled", UNKNOWN, "(known after apply)", "enabled = True", "unknown at plan time"),
    ]


def test_a_volume_whose_flag_is_computed_at_apply_fails_without_a_default() -> None:
    got = judged("E8", resource("aws_ebs_volume.a", {"encrypted": None, "kms_key_id": None}, {"encrypted": True}))
    assert got == [
        (
            "aws_ebs_volume.a",
            "encrypted",
            FAIL,
            "(known after apply)",
            NOT_ENCRYPTED_BY_DEFAULT,
            "aws_ebs_volume: encryption left to the account default",
        )
    ]


def test_a_volume_written_unencrypted_fails_even_when_the_default_is_on() -> None:
    got = judged(
        "E8",
        resource("aws_ebs_volume.a", {"encrypted": False, "kms_key_id": None}),
        resource("aws_ebs_encryption_by_default.d", {"enabled": True}),
    )
    assert got == [
        ("aws_ebs_volume.a", "encrypted", FAIL, False, "encrypted = True", "aws_ebs_volume is not encrypted at rest"),
        ("aws_ebs_encryption_by_default.d", "enabled", PASS, True, "enabled = True", "as required"),
    ]


# ---------------------------------------------------------------- a deny with its exception
def test_an_https_listener_with_an_old_tls_policy_points_at_the_policy_without_the_exception_in_the_message() -> None:
    approved = list(classes.load().lists["elb_policies"])
    got = judged(
        "T5", resource("aws_lb_listener.l", {"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-2016-08", "default_action": []})
    )
    needed = f"ssl_policy one of {approved}"
    assert got[1] == (
        "aws_lb_listener.l",
        "ssl_policy",
        FAIL,
        "ELBSecurityPolicy-2016-08",
        needed,
        f"the endpoint must refuse plain text and TLS < 1.2: with protocol one of ['HTTPS', 'TLS'], {needed} is required",
    )


# ---------------------------------------------------------------- policies: principals, managed policies, documents
def test_a_lambda_permission_to_star_fails_unless_a_source_scopes_it() -> None:
    unscoped = {"principal": "*", "source_arn": None, "source_account": None, "principal_org_id": None}
    assert judged("I1", resource("aws_lambda_permission.p", unscoped)) == [
        NO_ROLE_POLICY,
        ("aws_lambda_permission.p", "principal", FAIL, "*", SCOPED, "grants to *"),
    ]
    scoped = {**unscoped, "source_arn": "arn:aws:s3:::bucket"}
    assert judged("I1", resource("aws_lambda_permission.p", scoped)) == [
        NO_ROLE_POLICY,
        ("aws_lambda_permission.p", "principal", PASS, "*", SCOPED, "as required"),
    ]


def test_a_lambda_permission_to_a_service_passes_and_one_computed_at_apply_is_unknown() -> None:
    assert judged("I1", resource("aws_lambda_permission.p", {"principal": "s3.amazonaws.com"})) == [
        NO_ROLE_POLICY,
        ("aws_lambda_permission.p", "principal", PASS, "s3.amazonaws.com", SCOPED, "as required"),
    ]
    assert judged("I1", resource("aws_lambda_permission.p", {"principal": None}, {"principal": True})) == [
        NO_ROLE_POLICY,
        ("aws_lambda_permission.p", "principal", UNKNOWN, "(known after apply)", "a named principal", "unknown at plan time"),
    ]


def test_a_group_attachment_of_administrator_access_fails_the_class_control_too() -> None:
    assert judged("I1", resource("aws_iam_group_policy_attachment.a", {"policy_arn": ADMIN})) == [
        NO_ROLE_POLICY,
        (
            "aws_iam_group_policy_attachment.a",
            "policy_arn",
            FAIL,
            ADMIN,
            "no administrator-level managed policy",
            "administrator access attached",
        ),
        (
            "aws_iam_group_policy_attachment.a",
            "policy_arn",
            FAIL,
            [ADMIN],
            "no admin-level managed policy",
            "attaches an admin-level managed policy",
        ),
    ]


def test_each_inline_policy_of_a_role_is_read_as_its_own_document() -> None:
    star = json_policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    fine = json_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    role = {
        "assume_role_policy": "",
        "inline_policy": [{"name": "a", "policy": fine}, {"name": "b", "policy": star}],
        "managed_policy_arns": [],
    }
    assert facet("policy", "I1", resource("aws_iam_role.r", role)) == [
        ("aws_iam_role.r", "assume_role_policy", PASS, None, NO_WILDCARDS, "no policy document"),
        ("aws_iam_role.r", "inline_policy.0.policy", PASS, "no wildcard grants", NO_WILDCARDS, "as required"),
        ("aws_iam_role.r", "inline_policy.1.policy", FAIL, {"Action": "*", "Resource": "*"}, NO_WILDCARDS, "grants * on *"),
        ("aws_iam_role.r", "managed_policy_arns", PASS, [], "no admin-level managed policy", "as required"),
    ]


def managed(*changes: dict[str, Any], config: dict[str, dict[str, Any]] | None = None) -> list[Row]:
    """The managed-policy findings of the role facet."""
    return [row for row in facet("policy", "I1", *changes, config=config) if row[1] == "managed_policy_arns"]


def test_a_role_attaching_administrator_access_among_others_fails_naming_only_the_admin_policy() -> None:
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    role = {"assume_role_policy": "", "inline_policy": [], "managed_policy_arns": [read_only, ADMIN]}
    assert managed(resource("aws_iam_role.r", role)) == [
        ("aws_iam_role.r", "managed_policy_arns", FAIL, [ADMIN], "no admin-level managed policy", "attaches an admin-level managed policy")
    ]
    role["managed_policy_arns"] = [read_only]
    assert managed(resource("aws_iam_role.r", role)) == [
        ("aws_iam_role.r", "managed_policy_arns", PASS, [read_only], "no admin-level managed policy", "as required")
    ]
    role["managed_policy_arns"] = None
    assert managed(resource("aws_iam_role.r", role)) == [
        ("aws_iam_role.r", "managed_policy_arns", PASS, [], "no admin-level managed policy", "as required")
    ]


def test_a_role_whose_managed_policies_are_computed_is_unknown_only_when_its_configuration_names_them() -> None:
    role = resource("aws_iam_role.r", {"assume_role_policy": "", "inline_policy": []}, {"managed_policy_arns": True})
    assert managed(role) == [
        ("aws_iam_role.r", "managed_policy_arns", PASS, "(not set)", "no admin-level managed policy", "none attached here")
    ]
    configured = {"aws_iam_role.r": {"managed_policy_arns": {"references": ["var.arns"]}}}
    assert managed(role, config=configured) == [
        ("aws_iam_role.r", "managed_policy_arns", UNKNOWN, "(known after apply)", "no admin-level managed policy", "unknown at plan time")
    ]


def test_every_managed_policy_path_of_a_facet_is_judged_after_an_unset_or_unknown_one() -> None:
    ctx = Context(env="dev", plan=plan(), profile=Profile(name="dev"), control_id="I1")
    many = classes.Facet(name="policy", control="I1", managed_arns=("first", "second", "third"))
    r = plan(
        resource("aws_iam_role.r", {"third": ADMIN}, {"first": True, "second": True}),
        config={"aws_iam_role.r": {"second": {"references": ["var.arns"]}}},
    ).resources[0]
    got = [(f.attribute, f.status, f.actual) for f in facets.judge(ctx, classes.load(), r, many)]
    assert got == [("first", PASS, "(not set)"), ("second", UNKNOWN, "(known after apply)"), ("third", FAIL, [ADMIN])]


def test_a_policy_attached_directly_to_a_user_fails_where_it_is_attached() -> None:
    policy = json_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    assert facet("policy", "I1", resource("aws_iam_user_policy.u", {"user": "alice", "policy": policy})) == [
        ("aws_iam_user_policy.u", "policy", PASS, "no wildcard grants", NO_WILDCARDS, "as required"),
        (
            "aws_iam_user_policy.u",
            "user",
            FAIL,
            "alice",
            "policies granted through groups or roles",
            "policy attached directly to a user (7.2.2)",
        ),
    ]


def test_a_shared_attachment_fails_only_when_it_names_users() -> None:
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    with_users = resource("aws_iam_policy_attachment.a", {"policy_arn": read_only, "users": ["alice"], "name": "x"})
    assert facet("policy", "I1", with_users) == [
        ("aws_iam_policy_attachment.a", "policy_arn", PASS, [read_only], "no admin-level managed policy", "as required"),
        (
            "aws_iam_policy_attachment.a",
            "users",
            FAIL,
            ["alice"],
            "policies granted through groups or roles",
            "policy attached directly to users (7.2.2)",
        ),
    ]
    without = resource("aws_iam_policy_attachment.a", {"policy_arn": read_only, "users": [], "name": "x"})
    assert facet("policy", "I1", without) == [
        ("aws_iam_policy_attachment.a", "policy_arn", PASS, [read_only], "no admin-level managed policy", "as required")
    ]


def test_a_user_is_a_principal_whose_grants_are_judged_at_its_attachments() -> None:
    assert facet("policy", "I1", resource("aws_iam_user.u", {"name": "alice"})) == [
        (
            "aws_iam_user.u",
            "",
            NOT_APPLICABLE,
            "aws_iam_user",
            "grants judged at attachments",
            "a principal: its grants are judged where they are attached",
        )
    ]


PUBLIC_THEN_STAR = json_policy(
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}
)
# the first problem of PUBLIC_THEN_STAR, as the policy facet reports it
PUBLIC_FIRST = (
    "aws_iam_policy.p",
    "policy",
    FAIL,
    {"Principal": "*", "Action": "s3:GetObject"},
    NO_WILDCARDS,
    "grants to Principal * without a Condition",
)
READ_ONE_BUCKET = json_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
FROM_DOCUMENT = {"references": ["data.aws_iam_policy_document.d.json", "data.aws_iam_policy_document.d"]}


def policy_document(text: str) -> dict[str, Any]:
    return resource("data.aws_iam_policy_document.d", {"json": text}, mode="data")


def computed_policy() -> dict[str, Any]:
    return resource("aws_iam_policy.p", {"name": "p"}, {"policy": True})


def test_a_policy_computed_at_apply_and_never_configured_is_the_service_default() -> None:
    assert facet("policy", "I1", computed_policy()) == [
        ("aws_iam_policy.p", "policy", PASS, "(not set)", NO_WILDCARDS, "no policy set: the service's default, owner-only policy")
    ]


def test_a_configured_policy_computed_at_apply_is_unknown_unless_its_document_can_be_rebuilt() -> None:
    from_variable = {"aws_iam_policy.p": {"policy": {"references": ["var.policy"]}}}
    assert facet("policy", "I1", computed_policy(), config=from_variable) == [
        ("aws_iam_policy.p", "policy", UNKNOWN, "(known after apply)", NO_WILDCARDS, "policy unknown at plan time")
    ]
    from_document = {"aws_iam_policy.p": {"policy": FROM_DOCUMENT}}
    assert facet("policy", "I1", computed_policy(), policy_document(READ_ONE_BUCKET), config=from_document) == [
        ("aws_iam_policy.p", "policy", PASS, "no wildcard grants (rebuilt from configuration)", NO_WILDCARDS, "as required")
    ]


def test_a_rebuilt_document_reports_its_first_problem() -> None:
    from_document = {"aws_iam_policy.p": {"policy": FROM_DOCUMENT}}
    assert facet("policy", "I1", computed_policy(), policy_document(PUBLIC_THEN_STAR), config=from_document) == [PUBLIC_FIRST]


def test_a_written_document_reports_its_first_problem() -> None:
    assert facet("policy", "I1", resource("aws_iam_policy.p", {"name": "p", "policy": PUBLIC_THEN_STAR})) == [PUBLIC_FIRST]


def test_an_empty_policy_is_no_document_and_a_parsed_one_is_read_as_it_is() -> None:
    assert facet("policy", "I1", resource("aws_iam_policy.p", {"name": "p", "policy": ""})) == [
        ("aws_iam_policy.p", "policy", PASS, None, NO_WILDCARDS, "no policy document")
    ]
    parsed = json.loads(READ_ONE_BUCKET)
    assert facet("policy", "I1", resource("aws_iam_policy.p", {"name": "p", "policy": parsed})) == [
        ("aws_iam_policy.p", "policy", PASS, "no wildcard grants", NO_WILDCARDS, "as required")
    ]


def test_a_policy_that_is_not_json_fails_showing_its_first_80_characters() -> None:
    text = "not json " * 12
    assert facet("policy", "I1", resource("aws_iam_policy.p", {"name": "p", "policy": text})) == [
        ("aws_iam_policy.p", "policy", FAIL, text[:80], NO_WILDCARDS, "policy is not JSON")
    ]


def test_an_inline_role_policy_computed_at_apply_stays_unknown_only_top_level_documents_are_rebuilt() -> None:
    role = resource(
        "aws_iam_role.r",
        {"assume_role_policy": "", "managed_policy_arns": [], "inline_policy": [{"name": "a"}]},
        {"inline_policy": [{"policy": True}]},
    )
    config = {"aws_iam_role.r": {"inline_policy": [{"policy": FROM_DOCUMENT}]}}
    got = facet("policy", "I1", role, policy_document(PUBLIC_THEN_STAR), config=config)
    assert got[1] == (
        "aws_iam_role.r",
        "inline_policy.0.policy",
        UNKNOWN,
        "(known after apply)",
        NO_WILDCARDS,
        "policy unknown at plan time",
    )


STAR_ON_STAR = {"Action": "*", "Resource": "*"}


@pytest.mark.parametrize(
    ("document", "actual", "message"),
    [
        ({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, STAR_ON_STAR, "grants * on *"),
        ({"Statement": ["not a statement", {"Effect": "Allow", "Action": "*", "Resource": "*"}]}, STAR_ON_STAR, "grants * on *"),
        (
            {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            STAR_ON_STAR,
            "grants * on *",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "*"]}]},
            {"Action": ["s3:GetObject", "*"], "Resource": None},
            "grants * on *",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["123", "*"]}, "Action": "s3:GetObject"}]},
            {"Principal": {"AWS": ["123", "*"]}, "Action": "s3:GetObject"},
            "grants to Principal * without a Condition",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*"}]},
            {"Principal": {"AWS": "*"}, "Action": "s3:*"},
            "grants to Principal * without a Condition",
        ),
    ],
)
def test_a_document_granting_star_on_star_or_to_anyone_fails(document: dict[str, Any], actual: Any, message: str) -> None:
    assert facet("policy", "I1", resource("aws_iam_policy.p", {"name": "p", "policy": json.dumps(document)})) == [
        ("aws_iam_policy.p", "policy", FAIL, actual, NO_WILDCARDS, message)
    ]


@pytest.mark.parametrize(
    "document",
    [
        [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        {"Version": "2012-10-17"},
        {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}]},
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}
            ]
        },
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123:root"}, "Action": "s3:GetObject"}]},
    ],
)
def test_a_document_without_wildcard_grants_passes(document: Any) -> None:
    assert facet("policy", "I1", resource("aws_iam_policy.p", {"name": "p", "policy": json.dumps(document)})) == [
        ("aws_iam_policy.p", "policy", PASS, "no wildcard grants", NO_WILDCARDS, "as required")
    ]


# ---------------------------------------------------------------- security-group and NACL rules
NO_OPEN_INGRESS = "no ingress from 0.0.0.0/0 or ::/0 to all ports or to admin/data-store ports"
NO_OPEN_EGRESS = "no all-protocol egress to 0.0.0.0/0 or ::/0"


def sg_rule(cidrs: list[str], protocol: str, low: int | None, high: int | None) -> dict[str, Any]:
    return {"cidr_blocks": cidrs, "ipv6_cidr_blocks": [], "protocol": protocol, "from_port": low, "to_port": high}


def nacl_entry(action: str, cidr: str, protocol: str, low: int, high: int) -> dict[str, Any]:
    return {
        "action": action,
        "cidr_block": cidr,
        "ipv6_cidr_block": "",
        "protocol": protocol,
        "from_port": low,
        "to_port": high,
        "rule_no": 1,
    }


def test_each_inline_ingress_rule_of_a_group_is_judged_and_its_egress_left_to_n4() -> None:
    group = {
        "name": "g",
        "ingress": [sg_rule(["0.0.0.0/0"], "tcp", 22, 22), sg_rule(["10.0.0.0/8"], "tcp", 443, 443)],
        "egress": [sg_rule(["0.0.0.0/0"], "-1", 0, 0)],
    }
    assert facet("public", "N3", resource("aws_security_group.g", group)) == [
        (
            "aws_security_group.g",
            "ingress.0.cidr_blocks",
            FAIL,
            {"cidr": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 22, "to_port": 22},
            NO_OPEN_INGRESS,
            "ingress from the internet to port 22",
        ),
        ("aws_security_group.g", "ingress.1.cidr_blocks", PASS, ["10.0.0.0/8"], NO_OPEN_INGRESS, "as required"),
    ]


def test_a_group_without_inline_rules_passes_and_one_whose_configured_rules_are_computed_is_unknown() -> None:
    computed = resource("aws_security_group.g", {"name": "g"}, {"ingress": True, "egress": True})
    assert facet("public", "N3", computed) == [
        ("aws_security_group.g", "ingress", PASS, "(no inline rules)", NO_OPEN_INGRESS, "no inline ingress rules")
    ]
    configured = {"aws_security_group.g": {"ingress": [{"cidr_blocks": {"references": ["var.cidrs"]}}]}}
    assert facet("public", "N3", computed, config=configured) == [
        ("aws_security_group.g", "ingress", UNKNOWN, "(known after apply)", NO_OPEN_INGRESS, "rules unknown at plan time")
    ]
    empty = resource("aws_security_group.g", {"name": "g", "ingress": [], "egress": []})
    assert facet("public", "N3", empty) == [("aws_security_group.g", "ingress", PASS, [], NO_OPEN_INGRESS, "no ingress rules")]


def test_inline_rules_judged_under_n4_are_the_egress_ones() -> None:
    ctx = Context(env="dev", plan=plan(), profile=Profile(name="dev"), control_id="N4")
    spec = dict(classes.load().of("aws_security_group").facets["public"].rules)  # type: ignore[union-attr]
    egress = classes.Facet(name="public", control="N4", rules=spec)
    group = {"name": "g", "ingress": [sg_rule(["0.0.0.0/0"], "tcp", 22, 22)], "egress": [sg_rule(["0.0.0.0/0"], "-1", 0, 0)]}
    r = plan(resource("aws_security_group.g", group)).resources[0]
    got = [(f.attribute, f.status, f.expected, f.message) for f in facets.judge(ctx, classes.load(), r, egress)]
    assert got == [("egress.0.cidr_blocks", FAIL, NO_OPEN_EGRESS, "all-protocol egress to the internet")]
    r = plan(resource("aws_security_group.g", {"name": "g", "ingress": [sg_rule(["0.0.0.0/0"], "tcp", 22, 22)], "egress": []})).resources[0]
    assert [(f.attribute, f.status, f.expected, f.message) for f in facets.judge(ctx, classes.load(), r, egress)] == [
        ("egress", PASS, NO_OPEN_EGRESS, "no egress rules")
    ]


def test_a_nacl_deny_entry_passes_and_an_allow_to_rdp_from_anywhere_fails() -> None:
    acl = {"ingress": [nacl_entry("deny", "0.0.0.0/0", "-1", 0, 0), nacl_entry("allow", "0.0.0.0/0", "6", 3389, 3389)]}
    assert facet("public", "N3", resource("aws_network_acl.n", acl)) == [
        ("aws_network_acl.n", "ingress.0.cidr_block", PASS, "0.0.0.0/0", NO_OPEN_INGRESS, "a deny rule"),
        (
            "aws_network_acl.n",
            "ingress.1.cidr_block",
            FAIL,
            {"cidr": ["0.0.0.0/0"], "protocol": "6", "from_port": 3389, "to_port": 3389},
            NO_OPEN_INGRESS,
            "ingress from the internet to port 3389",
        ),
    ]


def test_separate_egress_rules_are_left_to_n4_and_separate_ingress_rules_are_judged() -> None:
    assert facet(
        "public",
        "N3",
        resource("aws_security_group_rule.e", {"type": "egress", **sg_rule(["0.0.0.0/0"], "-1", 0, 0)}),
        resource("aws_security_group_rule.i", {"type": "ingress", **sg_rule(["0.0.0.0/0"], "tcp", 22, 22)}),
        resource(
            "aws_network_acl_rule.e",
            {"egress": True, "rule_action": "allow", "cidr_block": "0.0.0.0/0", "protocol": "-1", "from_port": 0, "to_port": 0},
        ),
        resource(
            "aws_network_acl_rule.i",
            {"egress": False, "rule_action": "allow", "cidr_block": "0.0.0.0/0", "protocol": "-1", "from_port": 0, "to_port": 0},
        ),
    ) == [
        ("aws_security_group_rule.e", "type", PASS, "egress", "ingress rules judged", "an egress rule (N4 judges egress)"),
        (
            "aws_security_group_rule.i",
            "cidr_blocks",
            FAIL,
            {"cidr": ["0.0.0.0/0"], "protocol": "tcp", "from_port": 22, "to_port": 22},
            NO_OPEN_INGRESS,
            "ingress from the internet to port 22",
        ),
        ("aws_network_acl_rule.e", "egress", PASS, True, "ingress rules judged", "an egress NACL rule"),
        (
            "aws_network_acl_rule.i",
            "cidr_block",
            FAIL,
            {"cidr": ["0.0.0.0/0"], "protocol": "-1", "from_port": 0, "to_port": 0},
            NO_OPEN_INGRESS,
            "ingress from the internet to all ports",
        ),
    ]


def test_an_all_protocol_egress_rule_to_anywhere_fails_n4_and_an_ipv6_range_over_postgres_fails_n3() -> None:
    egress = {"cidr_ipv4": "0.0.0.0/0", "ip_protocol": "-1", "from_port": None, "to_port": None}
    assert facet("public", "N4", resource("aws_vpc_security_group_egress_rule.e", egress)) == [
        (
            "aws_vpc_security_group_egress_rule.e",
            "cidr_ipv4",
            FAIL,
            {"cidr": ["0.0.0.0/0"], "protocol": "-1", "from_port": None, "to_port": None},
            NO_OPEN_EGRESS,
            "all-protocol egress to the internet",
        ),
    ]
    ingress = {"cidr_ipv4": None, "cidr_ipv6": "::/0", "ip_protocol": "tcp", "from_port": 5000, "to_port": 6000}
    assert facet("public", "N3", resource("aws_vpc_security_group_ingress_rule.i", ingress)) == [
        (
            "aws_vpc_security_group_ingress_rule.i",
            "cidr_ipv4",
            FAIL,
            {"cidr": ["::/0"], "protocol": "tcp", "from_port": 5000, "to_port": 6000},
            NO_OPEN_INGRESS,
            "ingress from the internet to port 5432",
        ),
    ]


# ---------------------------------------------------------------- facets shaped by other classes.yaml data
def custom(
    facet_: classes.Facet, change: dict[str, Any], data: classes.Classes | None = None, config: dict[str, Any] | None = None
) -> list[Row]:
    """One facet built here (as another classes.yaml could give it) judged on one resource."""
    p = plan(change, config={change["address"]: config} if config else None)
    ctx = Context(env="dev", plan=p, profile=Profile(name="dev"), control_id=facet_.control)
    return [(f.attribute, f.status, f.actual, f.message) for f in facets.judge(ctx, data or classes.load(), p.resources[0], facet_)]


def test_without_an_admin_policy_list_no_managed_policy_counts_as_admin() -> None:
    bare = dataclasses.replace(classes.load(), lists={})
    grants = classes.Facet(name="policy", control="I1", managed_arns=("policy_arn",))
    assert custom(grants, resource("aws_iam_group_policy_attachment.a", {"policy_arn": ADMIN}), data=bare) == [
        ("policy_arn", PASS, [ADMIN], "as required")
    ]


def test_a_document_path_into_an_empty_list_is_still_reported() -> None:
    documents = classes.Facet(name="policy", control="I1", documents=("statements.0.policy",))
    assert custom(documents, resource("aws_iam_policy.p", {"statements": []})) == [
        ("statements.0.policy", PASS, None, "no policy document")
    ]


def test_a_nested_managed_policy_path_is_unknown_when_its_block_is_configured() -> None:
    nested = classes.Facet(name="policy", control="I1", managed_arns=("grants.0.arns",))
    change = resource("aws_iam_role.r", {"grants": [{"arns": None}]}, {"grants": [{"arns": True}]})
    assert custom(nested, change, config={"grants": [{"arns": {"references": ["var.arns"]}}]}) == [
        ("grants.0.arns", UNKNOWN, "(known after apply)", "unknown at plan time")
    ]
    assert custom(nested, change) == [("grants.0.arns", PASS, "(not set)", "none attached here")]


def ingress_rule(cidr4: str | None, protocol: str | None, low: int | None, high: int | None, cidr6: str | None = None) -> dict[str, Any]:
    after = {"cidr_ipv4": cidr4, "cidr_ipv6": cidr6, "ip_protocol": protocol, "from_port": low, "to_port": high}
    return resource("aws_vpc_security_group_ingress_rule.i", after)


def opened(cidr: str, protocol: str | None, low: int | None, high: int | None) -> dict[str, Any]:
    return {"cidr": [cidr], "protocol": protocol, "from_port": low, "to_port": high}


@pytest.mark.parametrize(
    ("rule", "status", "actual", "message"),
    [
        (ingress_rule("0.0.0.0/0", "tcp", 0, 65535), FAIL, opened("0.0.0.0/0", "tcp", 0, 65535), "ingress from the internet to all ports"),
        (ingress_rule("0.0.0.0/0", "tcp", 0, 443), FAIL, opened("0.0.0.0/0", "tcp", 0, 443), "ingress from the internet to port 20"),
        (ingress_rule("0.0.0.0/0", "tcp", 0, 0), FAIL, opened("0.0.0.0/0", "tcp", 0, 0), "ingress from the internet to all ports"),
        (ingress_rule("0.0.0.0/0", "tcp", 0, -1), FAIL, opened("0.0.0.0/0", "tcp", 0, -1), "ingress from the internet to all ports"),
        (
            ingress_rule("0.0.0.0/0", None, None, None),
            FAIL,
            opened("0.0.0.0/0", None, None, None),
            "ingress from the internet to all ports",
        ),
        (ingress_rule("0.0.0.0/0", "-1", 443, 443), FAIL, opened("0.0.0.0/0", "-1", 443, 443), "ingress from the internet to all ports"),
        (ingress_rule("0.0.0.0/0", "ALL", 443, 443), FAIL, opened("0.0.0.0/0", "ALL", 443, 443), "ingress from the internet to all ports"),
        (
            ingress_rule("10.0.0.0/0", "tcp", 6379, 6379),
            FAIL,
            opened("10.0.0.0/0", "tcp", 6379, 6379),
            "ingress from the internet to port 6379",
        ),
        (ingress_rule("0.0.0.0/0", "tcp", 443, 443), PASS, opened("0.0.0.0/0", "tcp", 443, 443), "as required"),
        (ingress_rule("0.0.0.0/1", "tcp", 22, 22), PASS, ["0.0.0.0/1"], "as required"),
        (ingress_rule("not-a-cidr", "tcp", 22, 22), PASS, ["not-a-cidr"], "as required"),
        (ingress_rule(None, "tcp", 22, 22), PASS, "security-group source", "as required"),
    ],
)
def test_an_ingress_rule_fails_only_when_the_internet_reaches_all_ports_or_an_admin_or_store_port(
    rule: dict[str, Any], status: str, actual: Any, message: str
) -> None:
    assert facet("public", "N3", rule) == [("aws_vpc_security_group_ingress_rule.i", "cidr_ipv4", status, actual, NO_OPEN_INGRESS, message)]


def test_an_ingress_rule_whose_source_is_computed_is_unknown() -> None:
    rule = resource(
        "aws_vpc_security_group_ingress_rule.i",
        {"cidr_ipv4": None, "ip_protocol": "tcp", "from_port": 22, "to_port": 22},
        {"cidr_ipv4": True},
    )
    assert facet("public", "N3", rule) == [
        (
            "aws_vpc_security_group_ingress_rule.i",
            "cidr_ipv4",
            UNKNOWN,
            "(known after apply)",
            NO_OPEN_INGRESS,
            "source unknown at plan time",
        )
    ]


def test_an_egress_rule_to_anywhere_on_one_port_passes_n4() -> None:
    egress = {"cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": None, "ip_protocol": "tcp", "from_port": 22, "to_port": 22}
    assert facet("public", "N4", resource("aws_vpc_security_group_egress_rule.e", egress)) == [
        ("aws_vpc_security_group_egress_rule.e", "cidr_ipv4", PASS, opened("0.0.0.0/0", "tcp", 22, 22), NO_OPEN_EGRESS, "as required")
    ]


# ---------------------------------------------------------------- customer-managed keys
CMK = "a customer-managed aws_kms_key"
AWS_EBS_KEY = "arn:aws:kms:eu-west-1:111122223333:alias/aws/ebs"
ENCRYPTED = ("aws_ebs_volume.a", "encrypted", PASS, True, "encrypted = True", "as required")


def test_an_encrypted_volume_whose_configuration_names_no_key_fails_on_the_aws_managed_key() -> None:
    volume = resource("aws_ebs_volume.a", {"encrypted": True, "kms_key_id": None}, {"kms_key_id": True})
    assert facet("at_rest", "E8", volume, config={"aws_ebs_volume.a": {"encrypted": {"constant_value": True}}}) == [
        ENCRYPTED,
        ("aws_ebs_volume.a", "kms_key_id", FAIL, None, CMK, "no key configured: the AWS-managed key encrypts it"),
    ]


def test_an_encrypted_volume_whose_key_is_a_key_of_the_plan_passes() -> None:
    volume = resource("aws_ebs_volume.a", {"encrypted": True, "kms_key_id": None}, {"kms_key_id": True})
    key = resource("aws_kms_key.k", {"enable_key_rotation": True}, {"arn": True})
    config = {"aws_ebs_volume.a": {"kms_key_id": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}}}
    assert facet("at_rest", "E8", volume, key, config=config) == [
        ENCRYPTED,
        ("aws_ebs_volume.a", "kms_key_id", PASS, "aws_kms_key.k", CMK, "as required"),
    ]


def test_an_unencrypted_volume_is_not_asked_for_a_key() -> None:
    volume = resource("aws_ebs_volume.a", {"encrypted": False, "kms_key_id": AWS_EBS_KEY})
    assert facet("at_rest", "E8", volume) == [
        ("aws_ebs_volume.a", "encrypted", FAIL, False, "encrypted = True", "aws_ebs_volume is not encrypted at rest")
    ]


def test_each_block_device_of_a_launch_template_names_its_own_key() -> None:
    devices = [{"ebs": [{"encrypted": "true", "kms_key_id": AWS_EBS_KEY}]}, {"ebs": [{"encrypted": "true", "kms_key_id": None}]}]
    flag = "block_device_mappings.*.ebs.0.encrypted"
    assert facet("at_rest", "E8", resource("aws_launch_template.t", {"block_device_mappings": devices})) == [
        ("aws_launch_template.t", flag, PASS, ["true", "true"], f"{flag} = 'true'", "as required"),
        ("aws_launch_template.t", "block_device_mappings.0.ebs.0.kms_key_id", FAIL, AWS_EBS_KEY, CMK, "uses an AWS-managed key"),
        (
            "aws_launch_template.t",
            "block_device_mappings.1.ebs.0.kms_key_id",
            FAIL,
            None,
            CMK,
            "no customer-managed key (AWS-managed or none)",
        ),
    ]


def test_a_key_path_over_an_empty_list_fails_as_no_key_configured() -> None:
    keys = classes.Facet(name="at_rest", control="E8", cmk=("keys.*.arn",))
    p = plan(resource("aws_glacier_vault.v", {"keys": []}))
    ctx = Context(env="dev", plan=p, profile=Profile(name="dev"), control_id="E8")
    got = [
        (f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in facets.judge(ctx, classes.load(), p.resources[0], keys)
    ]
    assert got == [("aws_glacier_vault.v", "keys.*.arn", FAIL, None, CMK, "no customer-managed key (none configured)")]


def test_a_root_volume_key_computed_inside_a_configured_block_is_unknown_not_the_aws_managed_key() -> None:
    device = {"encrypted": True, "kms_key_id": None}
    instance = resource(
        "aws_instance.i",
        {"root_block_device": [device], "associate_public_ip_address": False},
        {"root_block_device": [{"kms_key_id": True}]},
    )
    config = {"aws_instance.i": {"root_block_device": [{"encrypted": {"constant_value": True}}]}}
    assert facet("at_rest", "E8", instance, config=config) == [
        ("aws_instance.i", "root_block_device.0.encrypted", PASS, True, "root_block_device.0.encrypted = True", "as required"),
        (
            "aws_instance.i",
            "root_block_device.0.kms_key_id",
            UNKNOWN,
            "(known after apply)",
            CMK,
            "unknown and not traceable to a key in the plan",
        ),
    ]


def test_a_vault_the_service_always_encrypts_passes_without_a_key() -> None:
    assert facet("at_rest", "E8", resource("aws_glacier_vault.v", {"name": "v"})) == [
        (
            "aws_glacier_vault.v",
            "",
            PASS,
            "service-managed encryption",
            "encrypted at rest",
            "always encrypted by the service; no customer key exists",
        )
    ]


# ---------------------------------------------------------------- requirements and empty facets
def test_an_internet_facing_load_balancer_without_access_logs_fails_with_the_requirement_in_the_message() -> None:
    required = "access_logs.0.enabled = True (unless internal = True)"
    assert facet("logging", "L11", resource("aws_lb.l", {"internal": False, "access_logs": [{"enabled": False}]})) == [
        ("aws_lb.l", "access_logs.0.enabled", FAIL, False, required, f"it must log: {required} is required")
    ]


def test_a_facet_that_gives_no_rule_fails_closed() -> None:
    for empty in (classes.Facet(name="logging", control="L11"), classes.Facet(name="logging", control="L11", cmk=())):
        assert custom(empty, resource("aws_lb.l", {"internal": False})) == [
            ("", FAIL, None, "classes.yaml gives aws_lb an empty logging facet")
        ]


# ---------------------------------------------------------------- what cannot be read is never a pass
def test_inline_rules_that_are_not_a_list_of_objects_are_unknown() -> None:
    """A hostile plan: ingress as one object, or a rule that is a string, must not read as 'no rules' or as a
    security-group source."""
    as_object = resource("aws_security_group.g", {"name": "g", "ingress": sg_rule(["0.0.0.0/0"], "tcp", 22, 22)})
    assert facet("public", "N3", as_object) == [
        ("aws_security_group.g", "ingress", UNKNOWN, sg_rule(["0.0.0.0/0"], "tcp", 22, 22), NO_OPEN_INGRESS, "ingress rules are not a list")
    ]
    mixed = resource("aws_security_group.g", {"name": "g", "ingress": ["0.0.0.0/0", sg_rule(["10.0.0.0/8"], "tcp", 443, 443)]})
    assert facet("public", "N3", mixed) == [
        ("aws_security_group.g", "ingress.0", UNKNOWN, "0.0.0.0/0", NO_OPEN_INGRESS, "an ingress rule that is not an object"),
        ("aws_security_group.g", "ingress.1.cidr_blocks", PASS, ["10.0.0.0/8"], NO_OPEN_INGRESS, "as required"),
    ]


@pytest.mark.parametrize(("low", "high", "port"), [(None, 22, 20), (3306, None, 3306), (None, 21, 20)])
def test_a_port_range_with_a_missing_bound_is_open_that_way(low: Any, high: Any, port: int) -> None:
    group = resource("aws_security_group.g", {"name": "g", "ingress": [sg_rule(["0.0.0.0/0"], "tcp", low, high)]})
    found = facet("public", "N3", group)
    assert [(f[2], f[5]) for f in found] == [(FAIL, f"ingress from the internet to port {port}")]
