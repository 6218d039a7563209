"""Identity checks (I1-I4, S1-S2) on small synthetic plans: every branch reached, every finding pinned field by field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from tapguard.controls.checks import identity
from tapguard.controls.engine import Context, Finding, profile_for
from tapguard.foundation.profile import Profile
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY, resource

Resource = tuple[dict[str, Any], dict[str, Any]]  # (resource change, configuration entry)
Row = tuple[Any, ...]
ENV = "eu-west-1"  # a stack profile: every needed type required, 30-day rotation, the stack's own secrets
READ_ONLY = "us-west-2"  # a stack profile that reads existing secrets only
GENERIC = "generic-elsewhere"  # a plan made elsewhere: nothing required, no stack rules
UNKNOWN = "(known after apply)"


def res(
    address: str,
    after: dict[str, Any],
    refs: dict[str, list[str]] | None = None,
    unknown: dict[str, Any] | None = None,
    mode: str = "managed",
    config: dict[str, Any] | None = None,
) -> Resource:
    """A created resource whose attributes in `refs` are expressions referencing the given resource addresses."""
    kind, name = address.removeprefix("data.").split(".")[:2]
    expressions: dict[str, Any] = dict(config or {})
    for attribute, targets in (refs or {}).items():
        expressions[attribute] = {"references": [r for t in targets for r in (f"{t}.arn", t)]}
    entry = {"address": address, "mode": mode, "type": kind, "name": name, "expressions": expressions}
    return resource(address, after, unknown, mode), entry


def judge(check: Callable[[Context], Iterable[Finding]], control: str, *resources: Resource, env: str = ENV, **profile: Any) -> list[Row]:
    """(address, attribute, status, actual, expected, message) of every finding of one check on a plan of `resources`."""
    data = {
        **EMPTY,
        "resource_changes": [change for change, _ in resources],
        "configuration": {"root_module": {"resources": [entry for _, entry in resources]}},
    }
    plan = model.from_dict(data, "synthetic")
    chosen = Profile(name=env, **profile) if profile else profile_for(env, plan)
    ctx = Context(env=env, plan=plan, profile=chosen, control_id=control)
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in check(ctx)]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# ------------------------------------------------------------------------------------------------ identity policies
def test_an_allow_of_every_action_on_every_resource_names_each_wildcard_and_the_scopable_actions() -> None:
    statement = {"Sid": "Wide", "Effect": "Allow", "Action": ["*", "s3:*", "s3:Get*", "kms:Decrypt"], "Resource": "*"}
    assert identity.identity_problems({"Statement": [statement]}) == [
        "Wide: wildcard action ['*', 's3:*']",
        "Wide: Resource * for scopable actions ['*', 's3:*', 's3:Get*', 'kms:Decrypt']",
    ]


def test_a_notaction_allow_is_a_problem_and_deny_or_effectless_statements_are_not_judged() -> None:
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    effectless = {"Action": "*", "Resource": "*"}
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b/*"}
    assert identity.identity_problems({"Statement": [deny, effectless, not_action]}) == ["?: Allow with NotAction"]


def test_resource_star_is_accepted_for_unscopable_and_metadata_reading_actions_only() -> None:
    accepted = [*identity.UNSCOPABLE, "ec2:DescribeInstances", "rds:ListTagsForResource", "ecs:Describe*", "logs:List*"]
    assert identity.identity_problems({"Statement": {"Sid": "Ok", "Effect": "Allow", "Action": accepted, "Resource": ["*"]}}) == []
    refused = ["ec2:describeInstances", "EC2:DescribeInstances", "ec2:DescribeInstances2", "ec2:GetConsoleOutput", "s3:Describe*x"]
    assert identity.identity_problems({"Statement": {"Sid": "No", "Effect": "Allow", "Action": refused, "Resource": ["arn:x", "*"]}}) == [
        f"No: Resource * for scopable actions {refused}"
    ]


def test_scoped_resources_and_an_empty_statement_list_have_no_identity_problems() -> None:
    scoped = {"Effect": "Allow", "Action": ["kms:Decrypt", "s3:GetObject"], "Resource": ["arn:aws:s3:::b/*", "arn:*"]}
    assert identity.identity_problems({"Statement": [scoped]}) == []
    assert identity.identity_problems({}) == []


def test_every_allow_statement_is_judged_not_only_the_first_after_a_deny() -> None:
    statements = [
        {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Sid": "B", "Effect": "Deny", "Action": "*", "Resource": "*"},
        {"Sid": "C", "Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:::x"},
    ]
    assert identity.identity_problems({"Statement": statements}) == [
        "A: Resource * for scopable actions ['s3:GetObject']",
        "C: wildcard action ['ec2:*']",
    ]


# ------------------------------------------------------------------------------------------------ resource policies
def test_a_public_allow_without_condition_of_every_action_is_named_three_ways() -> None:
    public = {"Sid": "Open", "Effect": "Allow", "Principal": "*", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}, "Action": "*"}
    assert identity.resource_problems({"Statement": [public]}) == [
        "Open: Allow to Principal * without a Condition",
        "Open: Allow with NotPrincipal",
        "Open: Allow of every action",
    ]


def test_a_public_allow_is_accepted_only_with_a_non_empty_condition() -> None:
    conditioned = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "s3:GetObject",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    empty = {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject", "Condition": {}}
    assert identity.resource_problems({"Statement": [conditioned, empty]}) == ["?: Allow to Principal * without a Condition"]


def test_notaction_is_every_action_and_a_service_wildcard_or_deny_is_not_judged() -> None:
    statements = [
        {"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": "*"},
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*"},
        {"Sid": "Rest", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "NotAction": "kms:Delete*"},
        {"Effect": "allow", "Principal": "*", "Action": "*"},
    ]
    assert identity.resource_problems({"Statement": statements}) == ["Rest: Allow of every action"]


# ------------------------------------------------------------------------------------------------ I1
I1_EXPECTED = "no wildcard actions, no NotAction, Resource * only where AWS requires it"
RESOURCE_EXPECTED = "no Allow to Principal * without a Condition, no Allow of every action"
ADMIN_EXPECTED = "no administrator-level managed policy"
ROLE_EXPECTED = "unused (deprecated in 5.100; use role policy resources)"
READABLE = "a policy readable at plan time"
SCOPED = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
WIDE = doc({"Sid": "W", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"})
PUBLIC = doc({"Sid": "P", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"})


def i1(*resources: Resource, env: str = ENV) -> list[Row]:
    return judge(identity.least_privilege, "I1", *resources, env=env)


def test_no_iam_policy_fails_i1_under_a_stack_profile_and_is_not_applicable_elsewhere() -> None:
    missing = ("(no aws_iam_role_policy)", "", "fail", None, "at least one aws_iam_role_policy", "no IAM policies to verify")
    assert i1() == [missing]
    assert i1(env=GENERIC) == [(*missing[:2], "not_applicable", *missing[3:])]


def test_every_kind_of_identity_policy_is_judged_and_an_unreadable_one_does_not_stop_the_rest() -> None:
    got = i1(
        res("aws_iam_policy.unknown", {}, unknown={"policy": True}),
        res("aws_iam_role_policy.wide", {"policy": WIDE}),
        res("aws_iam_user_policy.scoped", {"policy": SCOPED}),
        res("aws_iam_group_policy.wide", {"policy": WIDE}),
    )
    assert got == [
        ("aws_iam_policy.unknown", "policy", "unknown", UNKNOWN, READABLE, "policy document unknown at plan time"),
        ("aws_iam_role_policy.wide", "policy", "fail", ["W: wildcard action ['s3:*']"], I1_EXPECTED, "W: wildcard action ['s3:*']"),
        ("aws_iam_user_policy.scoped", "policy", "pass", [], I1_EXPECTED, "as required"),
        ("aws_iam_group_policy.wide", "policy", "fail", ["W: wildcard action ['s3:*']"], I1_EXPECTED, "W: wildcard action ['s3:*']"),
    ]


def test_several_identity_problems_are_joined_in_one_message() -> None:
    policy = doc({"Sid": "X", "Effect": "Allow", "Action": "*", "NotAction": "iam:*", "Resource": "arn:x"})
    problems = ["X: Allow with NotAction", "X: wildcard action ['*']"]
    assert i1(res("aws_iam_role_policy.x", {"policy": policy})) == [
        ("aws_iam_role_policy.x", "policy", "fail", problems, I1_EXPECTED, "; ".join(problems))
    ]


def test_a_resource_policy_is_judged_for_public_access_and_the_glacier_vault_at_its_access_policy() -> None:
    got = i1(
        res("aws_iam_role_policy.ok", {"policy": SCOPED}),
        res("aws_s3_bucket_policy.public", {"policy": PUBLIC}),
        res("aws_kms_key.owner", {"policy": doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*"})}),
        res("aws_glacier_vault.vault", {"access_policy": PUBLIC, "policy": "not read"}),
    )
    public = ["P: Allow to Principal * without a Condition"]
    assert got == [
        ("aws_iam_role_policy.ok", "policy", "pass", [], I1_EXPECTED, "as required"),
        ("aws_s3_bucket_policy.public", "policy", "fail", public, RESOURCE_EXPECTED, public[0]),
        ("aws_kms_key.owner", "policy", "pass", [], RESOURCE_EXPECTED, "as required"),
        ("aws_glacier_vault.vault", "access_policy", "fail", public, RESOURCE_EXPECTED, public[0]),
    ]


def test_a_resource_policy_not_written_is_the_owner_only_default_and_one_written_but_unknown_is_unknown() -> None:
    got = i1(
        res("aws_iam_role_policy.ok", {"policy": SCOPED}),
        res("aws_sqs_queue.absent", {}),
        res("aws_sns_topic.empty", {"policy": ""}),
        res("aws_sqs_queue.computed", {}, unknown={"policy": True}),
        res("aws_sqs_queue.computed_over_a_value", {"policy": PUBLIC}, unknown={"policy": True}),
        res("aws_glacier_vault.only_policy", {"policy": PUBLIC}),
        res("aws_sns_topic_policy.written", {}, unknown={"policy": True}, config={"policy": {"references": ["local.doc"]}}),
        res("aws_ecr_repository_policy.invalid", {"policy": "{not json"}),
    )
    unknown = (UNKNOWN, READABLE, "policy unknown at plan time")
    assert got == [
        ("aws_iam_role_policy.ok", "policy", "pass", [], I1_EXPECTED, "as required"),
        ("aws_sns_topic_policy.written", "policy", "unknown", *unknown),
        ("aws_ecr_repository_policy.invalid", "policy", "unknown", *unknown),
    ]


def test_a_resource_policy_is_judged_whether_or_not_its_configuration_is_in_the_plan() -> None:
    got = i1(
        res("aws_iam_role_policy.ok", {"policy": SCOPED}),
        res("aws_sqs_queue_policy.configured", {"policy": PUBLIC}, config={"policy": {"constant_value": PUBLIC}}),
        res("aws_secretsmanager_secret_policy.plain", {"policy": PUBLIC}),
        res("aws_sns_topic.every_action", {"policy": doc({"Sid": "E", "Effect": "Allow", "Principal": "*", "Action": "*"})}),
    )
    public = ["P: Allow to Principal * without a Condition"]
    everything = ["E: Allow to Principal * without a Condition", "E: Allow of every action"]
    assert got[1:] == [
        ("aws_sqs_queue_policy.configured", "policy", "fail", public, RESOURCE_EXPECTED, public[0]),
        ("aws_secretsmanager_secret_policy.plain", "policy", "fail", public, RESOURCE_EXPECTED, public[0]),
        ("aws_sns_topic.every_action", "policy", "fail", everything, RESOURCE_EXPECTED, "; ".join(everything)),
    ]


@pytest.mark.parametrize(
    "kind",
    ["aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment"],
)
def test_an_administrator_managed_policy_attached_fails_i1_and_a_narrow_one_passes(kind: str) -> None:
    got = i1(
        res("aws_iam_role_policy.ok", {"policy": SCOPED}),
        *(res(f"{kind}.admin{n}", {"policy_arn": arn}) for n, arn in enumerate(identity.ADMIN_POLICIES)),
        res(f"{kind}.narrow", {"policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    )
    assert got[1:] == [
        *(
            (f"{kind}.admin{n}", "policy_arn", "fail", arn, ADMIN_EXPECTED, "administrator access attached")
            for n, arn in enumerate(identity.ADMIN_POLICIES)
        ),
        (f"{kind}.narrow", "policy_arn", "pass", "arn:aws:iam::aws:policy/ReadOnlyAccess", ADMIN_EXPECTED, "as required"),
    ]


def test_policies_embedded_in_a_role_fail_i1_and_an_empty_inline_block_does_not() -> None:
    inline = [{"name": "x", "policy": SCOPED}, {"name": "empty", "policy": ""}]
    got = i1(
        res("aws_iam_role_policy.ok", {"policy": SCOPED}),
        res("aws_iam_role.inline", {"inline_policy": inline, "managed_policy_arns": ["arn:m"]}),
        res("aws_iam_role.managed", {"inline_policy": [{"name": "", "policy": ""}], "managed_policy_arns": ["arn:m"]}),
        res("aws_iam_role.single", {"inline_policy": {"policy": SCOPED}}),
        res("aws_iam_role.clean", {"inline_policy": [{"policy": ""}], "managed_policy_arns": []}),
        res("aws_iam_role.bare", {}),
    )
    embedded = "policies embedded in the role escape review"
    attribute = "inline_policy/managed_policy_arns"
    assert got[1:] == [
        ("aws_iam_role.inline", attribute, "fail", [{"name": "x", "policy": SCOPED}], ROLE_EXPECTED, embedded),
        ("aws_iam_role.managed", attribute, "fail", ["arn:m"], ROLE_EXPECTED, embedded),
        ("aws_iam_role.single", attribute, "fail", [{"policy": SCOPED}], ROLE_EXPECTED, embedded),
        ("aws_iam_role.clean", attribute, "pass", [], ROLE_EXPECTED, "as required"),
        ("aws_iam_role.bare", attribute, "pass", [], ROLE_EXPECTED, "as required"),
    ]


# ------------------------------------------------------------------------------------------------ I2
SEPARATE = "a task role distinct from the execution role"
SHARED = "the application holds the execution role's permissions"


def i2(*resources: Resource, env: str = ENV) -> list[Row]:
    return judge(identity.tasks_unprivileged, "I2", *resources, env=env)


def task(name: str, containers: Any = "[]", refs: dict[str, list[str]] | None = None, **after: Any) -> Resource:
    body = containers if isinstance(containers, str) or containers is None else json.dumps(containers)
    return res(f"aws_ecs_task_definition.{name}", {"container_definitions": body, **after}, refs)


def roles(task_role: tuple[str, ...], execution: tuple[str, ...], good: bool, name: str = "app") -> Row:
    return (
        f"aws_ecs_task_definition.{name}",
        "task_role_arn",
        "pass" if good else "fail",
        {"task": task_role, "execution": execution},
        SEPARATE,
        "as required" if good else SHARED,
    )


def test_no_task_definition_fails_i2_under_a_stack_profile_and_is_not_applicable_elsewhere() -> None:
    missing = (
        "(no aws_ecs_task_definition)",
        "",
        "fail",
        None,
        "at least one aws_ecs_task_definition",
        "no ECS task definitions in this stack",
    )
    assert i2() == [missing]
    assert i2(env=GENERIC) == [(*missing[:2], "not_applicable", *missing[3:])]


def test_a_task_role_must_be_a_different_role_from_the_execution_role() -> None:
    role_a, role_b = res("aws_iam_role.a", {}), res("aws_iam_role.b", {})
    a, b = ("aws_iam_role.a",), ("aws_iam_role.b",)
    got = i2(
        role_a,
        role_b,
        task("distinct", refs={"task_role_arn": ["aws_iam_role.a"], "execution_role_arn": ["aws_iam_role.b"]}),
        task("same", refs={"task_role_arn": ["aws_iam_role.a"], "execution_role_arn": ["aws_iam_role.a"]}),
        task("overlap", refs={"task_role_arn": ["aws_iam_role.a", "aws_iam_role.b"], "execution_role_arn": ["aws_iam_role.b"]}),
        task("task_only", refs={"task_role_arn": ["aws_iam_role.a"]}, execution_role_arn="arn:exec"),
        task("exec_only", refs={"execution_role_arn": ["aws_iam_role.b"]}, task_role_arn="arn:task"),
    )
    assert got == [
        roles(a, b, True, "distinct"),
        roles(a, a, False, "same"),
        roles(("aws_iam_role.a", "aws_iam_role.b"), b, False, "overlap"),
        roles(a, (), False, "task_only"),
        roles((), b, False, "exec_only"),
    ]


def test_role_arns_outside_the_plan_are_compared_by_value() -> None:
    got = i2(
        task("distinct", task_role_arn="arn:task", execution_role_arn="arn:exec"),
        task("same", task_role_arn="arn:role", execution_role_arn="arn:role"),
        task("no_task_role", execution_role_arn="arn:exec"),
        task("task_role_only", task_role_arn="arn:task"),
    )
    assert got == [
        roles((), (), True, "distinct"),
        roles((), (), False, "same"),
        roles((), (), False, "no_task_role"),
        roles((), (), True, "task_role_only"),
    ]


def test_unreadable_container_definitions_are_unknown_and_the_next_task_is_still_judged() -> None:
    unreadable = (
        "container_definitions",
        "unknown",
        UNKNOWN,
        "known container definitions",
        "cannot read the container definitions at plan time",
    )
    got = i2(
        task("unknown", None, task_role_arn="arn:t", execution_role_arn="arn:e"),
        task("broken", "{not json", task_role_arn="arn:t", execution_role_arn="arn:e"),
        task(
            "hardened", [{"name": "web", "readonlyRootFilesystem": True, "privileged": False, "user": "1000:1000"}], task_role_arn="arn:t"
        ),
    )
    assert got == [
        roles((), (), True, "unknown"),
        ("aws_ecs_task_definition.unknown", *unreadable),
        roles((), (), True, "broken"),
        ("aws_ecs_task_definition.broken", *unreadable),
        roles((), (), True, "hardened"),
        ("aws_ecs_task_definition.hardened", "container[web].readonlyRootFilesystem", "pass", True, True, "as required"),
        ("aws_ecs_task_definition.hardened", "container[web].privileged", "pass", False, "false", "as required"),
        ("aws_ecs_task_definition.hardened", "container[web].user", "pass", "1000:1000", "a non-root user", "as required"),
    ]


def container_rows(name: str, readonly: Any, privileged: Any, user: Any) -> list[Row]:
    """The root-filesystem and privilege findings of container `name` of task `app`."""
    address = "aws_ecs_task_definition.app"
    return [
        (
            address,
            f"container[{name}].readonlyRootFilesystem",
            "pass" if readonly is True else "fail",
            readonly,
            True,
            "as required" if readonly is True else "writable root filesystem",
        ),
        (
            address,
            f"container[{name}].privileged",
            "fail" if privileged is True else "pass",
            privileged,
            "false",
            "privileged container" if privileged is True else "as required",
        ),
    ]


@pytest.mark.parametrize(
    ("user", "good"),
    [
        (None, False),
        ("", False),
        (0, False),
        ("0", False),
        ("0:0", False),
        ("root", False),
        ("root:wheel", False),
        ("1000", True),
        ("app", True),
        (1000, True),
    ],
)
def test_a_container_must_run_as_a_named_non_root_user(user: Any, good: bool) -> None:
    got = i2(task("app", [{"name": "web", "readonlyRootFilesystem": True, "user": user}], task_role_arn="arn:t"))
    shown = str(user) if user else None
    assert got[3] == (
        "aws_ecs_task_definition.app",
        "container[web].user",
        "pass" if good else "fail",
        shown,
        "a non-root user",
        "as required" if good else "container runs as root",
    )


def test_a_writable_or_privileged_container_fails_i2_for_each_container() -> None:
    definitions = [
        {"name": "writable", "readonlyRootFilesystem": "true", "privileged": True, "user": "app"},
        {"name": "unset", "user": "app"},
        {"name": "strict", "readonlyRootFilesystem": True, "privileged": "true", "user": "app"},
    ]
    got = i2(task("app", definitions, task_role_arn="arn:t"))
    user_pass = ("a non-root user", "as required")
    assert got[1:] == [
        *container_rows("writable", "true", True, "app"),
        ("aws_ecs_task_definition.app", "container[writable].user", "pass", "app", *user_pass),
        *container_rows("unset", None, None, "app"),
        ("aws_ecs_task_definition.app", "container[unset].user", "pass", "app", *user_pass),
        *container_rows("strict", True, "true", "app"),
        ("aws_ecs_task_definition.app", "container[strict].user", "pass", "app", *user_pass),
    ]


# ------------------------------------------------------------------------------------------------ I4
API_EXPECTED = "AWS_IAM, COGNITO_USER_POOLS, CUSTOM or an API key"


def test_a_preflight_method_is_skipped_and_the_methods_after_it_still_judged() -> None:
    got = judge(
        identity.api_methods_authorized,
        "I4",
        res("aws_api_gateway_method.options", {"http_method": "OPTIONS", "authorization": "NONE"}),
        res("aws_api_gateway_method.keyed", {"http_method": "POST", "authorization": "NONE", "api_key_required": True}),
        res("aws_api_gateway_method.truthy_key", {"http_method": "POST", "authorization": "NONE", "api_key_required": "true"}),
        res("aws_api_gateway_method.open", {"http_method": "GET", "authorization": "NONE", "api_key_required": False}),
    )
    assert got == [
        ("aws_api_gateway_method.keyed", "authorization", "pass", "NONE", API_EXPECTED, "as required"),
        ("aws_api_gateway_method.truthy_key", "authorization", "fail", "NONE", API_EXPECTED, "anonymous access to a transaction endpoint"),
        ("aws_api_gateway_method.open", "authorization", "fail", "NONE", API_EXPECTED, "anonymous access to a transaction endpoint"),
    ]


# ------------------------------------------------------------------------------------------------ S1
PASSWORD_EXPECTED = "manage_master_user_password, or master_password_wo from an existing secret"
ENV_EXPECTED = "credentials only through secrets[].valueFrom"


def s1(*resources: Resource, env: str = ENV) -> list[Row]:
    return judge(identity.no_hardcoded_credentials, "S1", *resources, env=env)


def test_neither_database_nor_task_fails_s1_under_a_stack_profile_and_is_not_applicable_elsewhere() -> None:
    missing = ("(no aws_rds_cluster)", "", "fail", None, "at least one aws_rds_cluster", "no database or task definitions to verify")
    assert s1() == [missing]
    assert s1(env=GENERIC) == [(*missing[:2], "not_applicable", *missing[3:])]


def test_a_master_password_passes_s1_only_when_managed_and_absent_from_the_plan() -> None:
    got = s1(
        res("aws_rds_cluster.managed", {"manage_master_user_password": True}),
        res("aws_rds_cluster.write_only", {"master_password_wo_version": 1}),
        res("aws_rds_cluster.write_only_unknown", {}, unknown={"master_password_wo_version": True}),
        res("aws_rds_cluster.plain", {"master_password": "(sensitive)", "manage_master_user_password": True}),
        res("aws_rds_cluster.computed", {"master_password_wo_version": 1}, unknown={"master_password": True}),
        res("aws_rds_cluster.truthy", {"manage_master_user_password": "true"}),
        res("aws_rds_cluster.nothing", {}),
    )
    plain = "(set in configuration)"
    leaked = "master password in plan and state"
    assert got == [
        ("aws_rds_cluster.managed", "master_password", "pass", None, PASSWORD_EXPECTED, "as required"),
        ("aws_rds_cluster.write_only", "master_password", "pass", None, PASSWORD_EXPECTED, "as required"),
        ("aws_rds_cluster.write_only_unknown", "master_password", "pass", None, PASSWORD_EXPECTED, "as required"),
        ("aws_rds_cluster.plain", "master_password", "fail", plain, PASSWORD_EXPECTED, leaked),
        ("aws_rds_cluster.computed", "master_password", "fail", plain, PASSWORD_EXPECTED, leaked),
        ("aws_rds_cluster.truthy", "master_password", "fail", None, PASSWORD_EXPECTED, leaked),
        ("aws_rds_cluster.nothing", "master_password", "fail", None, PASSWORD_EXPECTED, leaked),
    ]


def test_credential_named_environment_variables_fail_s1_for_each_container() -> None:
    names = [
        "DB_PASSWORD",
        "pass",
        "Secret_Key",
        "API_KEY",
        "apikey",
        "api-key",
        "PRIVATE_KEY",
        "privatekey",
        "GITHUB_TOKEN",
        "aws_credentials",
    ]
    definitions = [
        {"name": "leaky", "environment": [{"name": n, "value": "x"} for n in [*names, "PORT", "LOG_LEVEL"]]},
        {"name": "single", "environment": {"name": "SESSION_TOKEN", "value": "x"}},
        {"name": "clean", "environment": [{"name": "PORT", "value": "80"}, {"value": "no name"}, {"name": None}]},
        {"name": "none"},
    ]
    got = s1(task("app", definitions), res("aws_ecs_task_definition.later", {"container_definitions": "[]"}))
    plain = "credentials in plain environment variables"
    address = "aws_ecs_task_definition.app"
    assert got == [
        (address, "container[leaky].environment", "fail", names, ENV_EXPECTED, plain),
        (address, "container[single].environment", "fail", ["SESSION_TOKEN"], ENV_EXPECTED, plain),
        (address, "container[clean].environment", "pass", [], ENV_EXPECTED, "as required"),
        (address, "container[none].environment", "pass", [], ENV_EXPECTED, "as required"),
    ]


def test_unreadable_containers_are_unknown_for_s1_and_the_next_task_is_still_judged() -> None:
    got = s1(task("unknown", None), task("app", [{"name": "web", "environment": [{"name": "TOKEN"}]}]))
    assert got == [
        (
            "aws_ecs_task_definition.unknown",
            "container_definitions",
            "unknown",
            UNKNOWN,
            "known container definitions",
            "cannot read the container definitions at plan time",
        ),
        (
            "aws_ecs_task_definition.app",
            "container[web].environment",
            "fail",
            ["TOKEN"],
            ENV_EXPECTED,
            "credentials in plain environment variables",
        ),
    ]


def test_a_database_alone_or_a_task_alone_is_something_to_verify() -> None:
    assert s1(res("aws_rds_cluster.db", {"manage_master_user_password": True}))[-1][0] == "aws_rds_cluster.db"
    assert s1(task("app")) == []


# ------------------------------------------------------------------------------------------------ S2
NEVER_ROTATES = "secret never rotates"


def s2(*resources: Resource, env: str = ENV, **profile: Any) -> list[Row]:
    return judge(identity.credentials_rotate, "S2", *resources, env=env, **profile)


def rotation(name: str, rules: dict[str, Any], secret: str | None = None, arn: bool = True, secret_id: Any = None) -> Resource:
    after: dict[str, Any] = {"rotation_rules": [rules]}
    if arn:
        after["rotation_lambda_arn"] = "arn:aws:lambda:eu-west-1:1:function:rotate"
    if secret_id is not None:
        after["secret_id"] = secret_id
    return res(f"aws_secretsmanager_secret_rotation.{name}", after, {"secret_id": [secret]} if secret else None)


def interval(name: str, days: Any, good: bool, limit: int = 30) -> Row:
    return (
        f"aws_secretsmanager_secret_rotation.{name}",
        "rotation_rules",
        "pass" if good else "fail",
        days,
        f"every <= {limit} days",
        "as required" if good else "rotation interval too long or not set",
    )


def function_set(name: str) -> Row:
    return (f"aws_secretsmanager_secret_rotation.{name}", "rotation_lambda_arn", "pass", "(set)", "a rotation function", "as required")


@pytest.mark.parametrize(
    ("rules", "days"),
    [
        ({"automatically_after_days": 30}, 30),
        ({"automatically_after_days": 1}, 1),
        ({"automatically_after_days": 0, "schedule_expression": "rate(12 days)"}, 12),
        ({"automatically_after_days": -5, "schedule_expression": "rate(1 day)"}, 1),
        ({"automatically_after_days": "7", "schedule_expression": "rate(7 days)"}, 7),
        ({"schedule_expression": "rate(30 days)"}, 30),
        ({"automatically_after_days": 31}, 31),
        ({"schedule_expression": "rate(31 days)"}, 31),
        ({"schedule_expression": "rate(4 hours)"}, None),
        ({"schedule_expression": "cron(0 0 1 * ? *)"}, None),
        ({"schedule_expression": "rate(7 days) "}, None),
        ({"schedule_expression": "Rate(7 days)"}, None),
        ({"automatically_after_days": 0}, None),
        ({"automatically_after_days": None, "schedule_expression": None}, None),
    ],
)
def test_the_rotation_interval_comes_from_days_or_a_rate_expression_and_must_be_within_the_profile_limit(
    rules: dict[str, Any], days: int | None
) -> None:
    got = s2(rotation("r", rules), env=GENERIC)
    assert got[0] == interval("r", days, days is not None and days <= 30)


def test_the_rotation_limit_is_the_profile_s() -> None:
    got = s2(
        rotation("week", {"automatically_after_days": 7}),
        rotation("eight", {"automatically_after_days": 8}),
        generic=True,
        max_rotation_days=7,
    )
    assert [got[0], got[2]] == [interval("week", 7, True, 7), interval("eight", 8, False, 7)]


def test_a_rotation_without_a_function_fails_s2() -> None:
    got = s2(rotation("r", {"automatically_after_days": 30}, arn=False), env=GENERIC)
    assert got == [
        interval("r", 30, True),
        (
            "aws_secretsmanager_secret_rotation.r",
            "rotation_lambda_arn",
            "fail",
            None,
            "a rotation function",
            "nothing performs the rotation",
        ),
    ]


def test_an_unknown_rotation_function_counts_as_set() -> None:
    change, entry = rotation("r", {"automatically_after_days": 30}, arn=False)
    change["change"]["after_unknown"] = {"rotation_lambda_arn": True}
    assert s2((change, entry), env=GENERIC)[1] == function_set("r")


def test_every_secret_must_be_rotated_by_reference_or_by_arn() -> None:
    got = s2(
        res("aws_secretsmanager_secret.db", {"name": "db"}),
        res("aws_secretsmanager_secret.api", {"name": "api", "arn": "arn:secret:api"}),
        res("aws_secretsmanager_secret.lost", {"name": "lost", "arn": "arn:secret:lost"}),
        res("data.aws_secretsmanager_secret.shared", {"name": "shared", "arn": "arn:secret:shared"}, mode="data"),
        res("data.aws_secretsmanager_secret.other", {"name": "other", "arn": None}, mode="data"),
        res("data.aws_secretsmanager_secret.odd", {"name": "odd", "arn": ["arn:secret:api"]}, mode="data"),
        rotation("db", {"automatically_after_days": 30}, secret="aws_secretsmanager_secret.db"),
        rotation("db_again", {"automatically_after_days": 30}, secret="aws_secretsmanager_secret.db", secret_id="arn:secret:api"),
        rotation("api", {"automatically_after_days": 30}, secret_id="arn:secret:api"),
        rotation("shared", {"automatically_after_days": 30}, secret_id="arn:secret:shared"),
        env=GENERIC,
    )
    expected = "an aws_secretsmanager_secret_rotation every <= 30 days"
    assert got[8:] == [
        ("aws_secretsmanager_secret.db", "rotation", "pass", "aws_secretsmanager_secret_rotation.db", expected, "as required"),
        ("aws_secretsmanager_secret.api", "rotation", "pass", "aws_secretsmanager_secret_rotation.db_again", expected, "as required"),
        ("aws_secretsmanager_secret.lost", "rotation", "fail", None, expected, NEVER_ROTATES),
        ("data.aws_secretsmanager_secret.shared", "rotation", "pass", "aws_secretsmanager_secret_rotation.shared", expected, "as required"),
        ("data.aws_secretsmanager_secret.other", "rotation", "fail", None, expected, NEVER_ROTATES),
        ("data.aws_secretsmanager_secret.odd", "rotation", "fail", None, expected, NEVER_ROTATES),
    ]


def test_a_stack_that_reads_existing_secrets_only_fails_s2_for_each_secret_it_creates_and_for_reading_none() -> None:
    got = s2(
        res("aws_secretsmanager_secret.made", {"name": "made"}),
        res("aws_secretsmanager_secret.unnamed", {}),
        res("aws_rds_cluster.self_managed", {"manage_master_user_password": False}),
        env=READ_ONLY,
    )
    created = ("EXISTING secrets only (read with a data source)", "this stack creates a secret it must only read")
    expected = "an aws_secretsmanager_secret_rotation every <= 30 days"
    assert got == [
        ("aws_secretsmanager_secret.made", "name", "fail", "made", *created),
        ("aws_secretsmanager_secret.unnamed", "name", "fail", None, *created),
        (
            "(no data.aws_secretsmanager_secret)",
            "",
            "fail",
            None,
            "the existing secrets read by name",
            "the stack does not read the existing secrets",
        ),
        ("aws_secretsmanager_secret.made", "rotation", "fail", None, expected, NEVER_ROTATES),
        ("aws_secretsmanager_secret.unnamed", "rotation", "fail", None, expected, NEVER_ROTATES),
    ]


def test_a_stack_that_reads_existing_secrets_passes_s2_for_reading_them() -> None:
    got = s2(res("data.aws_secretsmanager_secret.db", {"name": "db", "arn": "arn:db"}, mode="data"), env=READ_ONLY)
    assert got == [
        (
            "data.aws_secretsmanager_secret.db",
            "rotation",
            "fail",
            None,
            "an aws_secretsmanager_secret_rotation every <= 30 days",
            NEVER_ROTATES,
        )
    ]


def test_an_rds_managed_master_password_counts_as_rotated_and_as_something_to_verify() -> None:
    got = s2(
        res("aws_rds_cluster.managed", {"manage_master_user_password": True}),
        res("aws_rds_cluster.plain", {"manage_master_user_password": "true"}),
    )
    assert got == [
        (
            "aws_rds_cluster.managed",
            "manage_master_user_password",
            "pass",
            True,
            "RDS-managed secret (rotated by RDS every 7 days)",
            "as required",
        )
    ]
    assert s2(res("aws_rds_cluster.plain", {}), env=GENERIC) == []


def test_no_credentials_at_all_fails_s2_under_a_stack_profile_and_is_not_applicable_elsewhere() -> None:
    missing = (
        "(no aws_secretsmanager_secret_rotation)",
        "",
        "fail",
        None,
        "at least one aws_secretsmanager_secret_rotation",
        "no credentials to verify",
    )
    assert s2() == [missing]
    assert s2(env=GENERIC) == [(*missing[:2], "not_applicable", *missing[3:])]
    assert (
        s2(res("data.aws_secretsmanager_secret.db", {"arn": "arn:db"}, mode="data"), env=GENERIC)[0][0]
        == "data.aws_secretsmanager_secret.db"
    )


def test_a_secret_alone_or_a_rotation_alone_is_something_to_verify() -> None:
    assert len(s2(res("aws_secretsmanager_secret.db", {}), env=GENERIC)) == 1
    assert len(s2(rotation("r", {"automatically_after_days": 1}), env=GENERIC)) == 2


# ------------------------------------------------------------------------------------------------ S2: the rotation function
NOT_IN_STACK = "the rotation code is not in the stack: nothing here shows what it runs"
INVOKE_EXPECTED = "InvokeFunction for secretsmanager.amazonaws.com"


def rotated_by(function: str | None, arn: bool = True) -> Resource:
    """A 30-day rotation whose rotation_lambda_arn references `function` (or a literal ARN, or nothing)."""
    change, entry = rotation("r", {"automatically_after_days": 30}, arn=arn)
    if function:
        entry["expressions"]["rotation_lambda_arn"] = {"references": [f"{function}.arn", function]}
    return change, entry


def fn_rows(name: str, hashed: Any, subnets: Any, allowed: bool) -> list[Row]:
    address = f"aws_lambda_function.{name}"
    return [
        (
            address,
            "source_code_hash",
            "pass" if hashed else "fail",
            hashed,
            "a package hash",
            "as required" if hashed else "the deployed code is not pinned",
        ),
        (
            address,
            "vpc_config",
            "pass" if subnets else "fail",
            subnets,
            "private subnets of the VPC",
            "as required" if subnets else "the rotation function runs outside the VPC",
        ),
        (
            address,
            "aws_lambda_permission",
            "pass" if allowed else "fail",
            allowed,
            INVOKE_EXPECTED,
            "as required" if allowed else "Secrets Manager cannot invoke it",
        ),
    ]


def lambda_fn(name: str, **after: Any) -> Resource:
    return res(f"aws_lambda_function.{name}", {"function_name": name, **after})


def permission(name: str, function_name: str | None = None, refs: list[str] | None = None, **after: Any) -> Resource:
    body = {"principal": "secretsmanager.amazonaws.com", "action": "lambda:InvokeFunction", "function_name": function_name, **after}
    return res(f"aws_lambda_permission.{name}", body, {"function_name": refs} if refs else None)


def test_a_rotation_function_outside_the_stack_fails_s2_under_a_stack_profile_only() -> None:
    head = [interval("r", 30, True), function_set("r")]
    assert s2(rotated_by(None)) == [
        *head,
        (
            "aws_secretsmanager_secret_rotation.r",
            "rotation_lambda_arn",
            "fail",
            "(not a function of this stack)",
            "an aws_lambda_function deployed by the stack",
            NOT_IN_STACK,
        ),
    ]
    assert s2(rotated_by(None, arn=False))[2] == (
        "aws_secretsmanager_secret_rotation.r",
        "rotation_lambda_arn",
        "fail",
        None,
        "an aws_lambda_function deployed by the stack",
        NOT_IN_STACK,
    )
    assert s2(rotated_by("aws_iam_role.not_a_function"), res("aws_iam_role.not_a_function", {}))[2][3] == "(not a function of this stack)"
    assert s2(rotated_by(None), env=GENERIC) == head


def test_a_deployed_rotation_function_must_be_pinned_in_the_vpc_and_invocable_by_secrets_manager() -> None:
    got = s2(
        rotated_by("aws_lambda_function.rotate"),
        lambda_fn("rotate", source_code_hash="abc=", vpc_config=[{"subnet_ids": ["subnet-1"]}]),
        permission("by_name", "rotate"),
    )
    assert got[2:] == fn_rows("rotate", "abc=", "(set)", True)


def test_an_unpinned_function_outside_the_vpc_that_nobody_may_invoke_fails_three_ways() -> None:
    got = s2(
        rotated_by("aws_lambda_function.rotate"),
        lambda_fn("rotate", source_code_hash="", vpc_config=[{"subnet_ids": []}]),
        permission("wrong_principal", "rotate", principal="events.amazonaws.com"),
        permission("wrong_action", "rotate", action="lambda:GetFunction"),
        permission("other_function", "other"),
    )
    assert got[2:] == fn_rows("rotate", "", None, False)


def test_a_function_whose_hash_and_subnets_are_known_after_apply_is_judged_by_what_the_plan_shows() -> None:
    change, entry = lambda_fn("rotate")
    change["change"]["after_unknown"] = {"source_code_hash": True, "vpc_config": [{"subnet_ids": True}]}
    got = s2(rotated_by("aws_lambda_function.rotate"), (change, entry), permission("by_reference", refs=["aws_lambda_function.rotate"]))
    assert got[2:] == [
        ("aws_lambda_function.rotate", "source_code_hash", "unknown", UNKNOWN, "a package hash", "unknown at plan time"),
        *fn_rows("rotate", "x", "(set)", True)[1:],
    ]


def test_a_function_permitted_by_its_address_as_function_name_is_invocable() -> None:
    got = s2(
        rotated_by("aws_lambda_function.rotate"),
        lambda_fn("rotate", function_name="name-of-rotate"),
        permission("by_address", "aws_lambda_function.rotate"),
    )
    assert got[-1] == fn_rows("rotate", None, None, True)[2]


def _invocable(*permissions: Resource, function_name: str | None = "rotate") -> Row:
    change, entry = lambda_fn("rotate", function_name=function_name, source_code_hash="h", vpc_config=[{"subnet_ids": ["s"]}])
    if function_name is None:
        change["change"]["after_unknown"] = {"function_name": True}
    return s2(rotated_by("aws_lambda_function.rotate"), (change, entry), *permissions)[-1]


def test_a_permission_for_another_service_does_not_let_secrets_manager_invoke_the_function() -> None:
    other_service = permission("s3", refs=["aws_lambda_function.rotate"], principal="s3.amazonaws.com")
    assert _invocable(other_service) == fn_rows("rotate", "h", "(set)", False)[2]


def test_a_permission_whose_function_name_is_unknown_does_not_match_a_function_whose_name_is_unknown() -> None:
    change, entry = permission("elsewhere")
    change["change"]["after_unknown"] = {"function_name": True}
    assert _invocable((change, entry), function_name=None) == fn_rows("rotate", "h", "(set)", False)[2]


def test_a_permission_whose_function_name_is_not_text_is_skipped_not_a_crash() -> None:
    """A hostile plan: function_name as a list names no function; the grant by reference still counts."""
    odd = permission("odd", function_name=["rotate"])  # type: ignore[arg-type]
    assert _invocable(odd) == fn_rows("rotate", "h", "(set)", False)[2]
    by_reference = permission("ok", refs=["aws_lambda_function.rotate"])
    assert _invocable(odd, by_reference) == fn_rows("rotate", "h", "(set)", True)[2]
