"""Access control and credentials (PCI DSS 7.2, 8.2, 8.3, 8.6): I1-I4, S1-S2."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tapguard.controls import iam_policy
from tapguard.controls.engine import Context, Finding, as_list, check, containers
from tapguard.planning.model import Resource

# Actions that AWS cannot scope to a resource ARN: "*" is the only valid resource.
UNSCOPABLE = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "secretsmanager:GetRandomPassword",
    "logs:CreateLogDelivery",
    "logs:DescribeLogGroups",
    "logs:PutResourcePolicy",  # account-level: IAM has no resource type for it
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
)
# Reading metadata (Describe*/List*) is mostly not resource-level in IAM: "*" is what AWS accepts.
METADATA_READ = re.compile(r"^[a-z0-9-]+:(Describe|List)[A-Za-z]*\*?$")
ADMIN_POLICIES = (
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
)
SECRET_NAME = re.compile(r"(pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential)", re.IGNORECASE)
RATE = re.compile(r"^rate\((\d+) days?\)$")


# identity policies: judged for wildcard actions and Resource * on scopable actions
IDENTITY_POLICIES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")
# resource policies: Resource * means "this resource" and the owner's kms:* is the AWS default, so they are judged
# for what makes them public or unbounded: Allow to Principal * without a Condition, Allow of every action
RESOURCE_POLICIES = (
    "aws_s3_bucket_policy",
    "aws_kms_key",
    "aws_sqs_queue_policy",
    "aws_sns_topic_policy",
    "aws_sqs_queue",
    "aws_sns_topic",
    "aws_ecr_repository_policy",
    "aws_secretsmanager_secret_policy",
    "aws_glacier_vault",
)
_DOCUMENT_ATTRIBUTE = {"aws_glacier_vault": "access_policy"}


def identity_problems(doc: dict[str, object]) -> list[str]:
    problems = []
    for s in iam_policy.statements(doc):
        if s.get("Effect") != "Allow":
            continue
        sid = s.get("Sid", "?")
        acts = iam_policy.actions(s)
        if "NotAction" in s:
            problems.append(f"{sid}: Allow with NotAction")
        if any(a == "*" or a.endswith(":*") for a in acts):
            problems.append(f"{sid}: wildcard action {[a for a in acts if a == '*' or a.endswith(':*')]}")
        scopable = [a for a in acts if a not in UNSCOPABLE and not METADATA_READ.match(a)]
        if "*" in iam_policy.resources(s) and scopable:
            problems.append(f"{sid}: Resource * for scopable actions {scopable}")
    return problems


def resource_problems(doc: dict[str, object]) -> list[str]:
    problems = []
    for s in iam_policy.statements(doc):
        if s.get("Effect") != "Allow":
            continue
        sid = s.get("Sid", "?")
        if "*" in iam_policy.principals(s) and not s.get("Condition"):
            problems.append(f"{sid}: Allow to Principal * without a Condition")
        if "NotPrincipal" in s:
            problems.append(f"{sid}: Allow with NotPrincipal")
        if "*" in iam_policy.actions(s) or "NotAction" in s:
            problems.append(f"{sid}: Allow of every action")
    return problems


def least_privilege(ctx: Context) -> Iterator[Finding]:
    policies = ctx.resources(*IDENTITY_POLICIES)
    if not policies:
        yield ctx.missing("aws_iam_role_policy", "no IAM policies to verify")
    for r in policies:
        doc = iam_policy.document(r, "policy")
        if doc is None:
            yield ctx.finding(
                r, "policy", "unknown", "(known after apply)", "a policy readable at plan time", "policy document unknown at plan time"
            )
            continue
        problems = identity_problems(doc)
        yield ctx.verdict(
            not problems,
            r,
            "policy",
            problems,
            "no wildcard actions, no NotAction, Resource * only where AWS requires it",
            "; ".join(problems),
        )
    for r in ctx.resources(*RESOURCE_POLICIES):
        attribute = _DOCUMENT_ATTRIBUTE.get(r.type, "policy")
        if attribute not in r.config and (r.is_unknown(attribute) or not r.get(attribute)):
            continue  # no policy written (a computed one shows unknown): the service's owner-only default
        doc = iam_policy.document(r, attribute)
        if doc is None:
            yield ctx.finding(
                r, attribute, "unknown", "(known after apply)", "a policy readable at plan time", "policy unknown at plan time"
            )
            continue
        problems = resource_problems(doc)
        yield ctx.verdict(
            not problems,
            r,
            attribute,
            problems,
            "no Allow to Principal * without a Condition, no Allow of every action",
            "; ".join(problems),
        )
    for a in ctx.resources(
        "aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment"
    ):
        arn = a.get("policy_arn")
        yield ctx.verdict(
            arn not in ADMIN_POLICIES, a, "policy_arn", arn, "no administrator-level managed policy", "administrator access attached"
        )
    for role in ctx.resources("aws_iam_role"):
        inline = as_list(role.get("inline_policy"))
        managed = as_list(role.get("managed_policy_arns"))
        used = [p for p in inline if p.get("policy")] or managed
        yield ctx.verdict(
            not used,
            role,
            "inline_policy/managed_policy_arns",
            used,
            "unused (deprecated in 5.100; use role policy resources)",
            "policies embedded in the role escape review",
        )


def tasks_unprivileged(ctx: Context) -> Iterator[Finding]:
    tasks = yield from ctx.need("aws_ecs_task_definition", "no ECS task definitions in this stack")
    for td in tasks:
        task_role = td.references("task_role_arn").resources
        exec_role = td.references("execution_role_arn").resources
        separate = bool(task_role) and bool(exec_role) and set(task_role).isdisjoint(exec_role)
        if not task_role and not exec_role:
            separate = td.get("task_role_arn") is not None and td.get("task_role_arn") != td.get("execution_role_arn")
        yield ctx.verdict(
            separate,
            td,
            "task_role_arn",
            {"task": task_role, "execution": exec_role},
            "a task role distinct from the execution role",
            "the application holds the execution role's permissions",
        )
        defs = containers(td)
        if defs is None:
            yield ctx.unreadable_containers(td)
            continue
        for c in defs:
            name = c.get("name")
            yield ctx.verdict(
                c.get("readonlyRootFilesystem") is True,
                td,
                f"container[{name}].readonlyRootFilesystem",
                c.get("readonlyRootFilesystem"),
                True,
                "writable root filesystem",
            )
            yield ctx.verdict(
                c.get("privileged") is not True, td, f"container[{name}].privileged", c.get("privileged"), "false", "privileged container"
            )
            user = str(c.get("user") or "")
            yield ctx.verdict(
                bool(user) and not user.startswith(("0", "root")),
                td,
                f"container[{name}].user",
                user or None,
                "a non-root user",
                "container runs as root",
            )


def database_iam_auth(ctx: Context) -> Iterator[Finding]:
    clusters = yield from ctx.need("aws_rds_cluster", "no Aurora cluster to verify")
    for c in clusters:
        yield ctx.expect(c, "iam_database_authentication_enabled", lambda v: v is True, True, "database users can only use passwords")


def api_methods_authorized(ctx: Context) -> Iterator[Finding]:
    methods = yield from ctx.need("aws_api_gateway_method", "no API methods to verify")
    for m in methods:
        if m.get("http_method") == "OPTIONS":
            continue
        good = m.get("authorization") not in (None, "NONE") or m.get("api_key_required") is True
        yield ctx.verdict(
            good,
            m,
            "authorization",
            m.get("authorization"),
            "AWS_IAM, COGNITO_USER_POOLS, CUSTOM or an API key",
            "anonymous access to a transaction endpoint",
        )


def no_hardcoded_credentials(ctx: Context) -> Iterator[Finding]:
    clusters = ctx.resources("aws_rds_cluster")
    for cluster in clusters:
        # master_password is sensitive: its presence shows as a sensitive or unknown marker
        plain = cluster.has("master_password")
        managed = cluster.get("manage_master_user_password") is True or cluster.has("master_password_wo_version")
        yield ctx.verdict(
            managed and not plain,
            cluster,
            "master_password",
            "(set in configuration)" if plain else None,
            "manage_master_user_password, or master_password_wo from an existing secret",
            "master password in plan and state",
        )
    tasks = ctx.resources("aws_ecs_task_definition")
    for td in tasks:
        defs = containers(td)
        if defs is None:
            yield ctx.unreadable_containers(td)
            continue
        for c in defs:
            suspicious = [e.get("name") for e in as_list(c.get("environment")) if SECRET_NAME.search(str(e.get("name", "")))]
            yield ctx.verdict(
                not suspicious,
                td,
                f"container[{c.get('name')}].environment",
                suspicious,
                "credentials only through secrets[].valueFrom",
                "credentials in plain environment variables",
            )
    if not clusters and not tasks:
        yield ctx.missing("aws_rds_cluster", "no database or task definitions to verify")


def _rotation_days(r: object) -> int | None:
    from tapguard.planning.model import Resource

    assert isinstance(r, Resource)
    days = r.get("rotation_rules.0.automatically_after_days")
    if isinstance(days, int) and days > 0:
        return days
    expression = str(r.get("rotation_rules.0.schedule_expression") or "")
    match = RATE.match(expression)
    return int(match.group(1)) if match else None


def _rotation_function(ctx: Context, rot: Resource) -> Iterator[Finding]:
    """The function that rotates must be one the stack deploys, so what it runs is reviewed code:
    pinned by hash, inside the VPC, and invocable by Secrets Manager."""
    functions = rot.referenced("rotation_lambda_arn", "aws_lambda_function")
    if not functions:
        yield ctx.fail(
            rot,
            "rotation_lambda_arn",
            "(not a function of this stack)" if rot.has("rotation_lambda_arn") else None,
            "an aws_lambda_function deployed by the stack",
            "the rotation code is not in the stack: nothing here shows what it runs",
        )
        return
    # only a grant to Secrets Manager counts, matched by reference or by a name known at plan time on both sides
    grants = [
        p
        for p in ctx.resources("aws_lambda_permission")
        if p.get("principal") == "secretsmanager.amazonaws.com" and p.get("action") == "lambda:InvokeFunction"
    ]
    permitted = {name for p in grants if isinstance(name := p.get("function_name"), str) and name} | {
        a for p in grants for a in p.references("function_name").resources
    }
    for fn in functions:
        yield ctx.expect(fn, "source_code_hash", bool, "a package hash", "the deployed code is not pinned")
        subnets = fn.get("vpc_config.0.subnet_ids")
        yield ctx.verdict(
            bool(subnets) or fn.is_unknown("vpc_config.0.subnet_ids"),
            fn,
            "vpc_config",
            "(set)" if subnets or fn.is_unknown("vpc_config.0.subnet_ids") else None,
            "private subnets of the VPC",
            "the rotation function runs outside the VPC",
        )
        name = fn.get("function_name")
        allowed = fn.address in permitted or (isinstance(name, str) and name in permitted)
        yield ctx.verdict(
            allowed,
            fn,
            "aws_lambda_permission",
            allowed,
            "InvokeFunction for secretsmanager.amazonaws.com",
            "Secrets Manager cannot invoke it",
        )


def credentials_rotate(ctx: Context) -> Iterator[Finding]:
    limit = ctx.profile.max_rotation_days
    rotations = ctx.resources("aws_secretsmanager_secret_rotation")
    covered: dict[str, str] = {}
    for rot in rotations:
        days = _rotation_days(rot)
        yield ctx.verdict(
            days is not None and days <= limit,
            rot,
            "rotation_rules",
            days,
            f"every <= {limit} days",
            "rotation interval too long or not set",
        )
        yield ctx.verdict(
            rot.has("rotation_lambda_arn"),
            rot,
            "rotation_lambda_arn",
            "(set)" if rot.has("rotation_lambda_arn") else None,
            "a rotation function",
            "nothing performs the rotation",
        )
        if not ctx.profile.generic:  # a stack's rule; a plan made elsewhere may rotate with a function it does not deploy
            yield from _rotation_function(ctx, rot)
        secret_id = rot.get("secret_id")
        for target in rot.references("secret_id").resources:
            covered.setdefault(target, rot.address)
        if isinstance(secret_id, str):
            covered.setdefault(secret_id, rot.address)
    created = ctx.resources("aws_secretsmanager_secret")
    existing = ctx.resources("aws_secretsmanager_secret", mode="data")
    if ctx.profile.existing_secrets_only:
        for s in created:
            yield ctx.fail(
                s, "name", s.get("name"), "EXISTING secrets only (read with a data source)", "this stack creates a secret it must only read"
            )
        if not existing:
            yield ctx.fail(
                "(no data.aws_secretsmanager_secret)",
                "",
                None,
                "the existing secrets read by name",
                "the stack does not read the existing secrets",
            )
    for s in created + existing:
        arn = s.get("arn")
        hit = covered.get(s.address) or (covered.get(arn) if isinstance(arn, str) else None)
        yield ctx.verdict(
            hit is not None, s, "rotation", hit, f"an aws_secretsmanager_secret_rotation every <= {limit} days", "secret never rotates"
        )
    for c in ctx.resources("aws_rds_cluster"):
        if c.get("manage_master_user_password") is True:
            yield ctx.ok(c, "manage_master_user_password", True, "RDS-managed secret (rotated by RDS every 7 days)")
    if not rotations and not created and not existing and not ctx.resources("aws_rds_cluster"):
        yield ctx.missing("aws_secretsmanager_secret_rotation", "no credentials to verify")


# the registry: plain functions registered after their definitions rather than @check-decorated, because mutmut
# (nox -s mutants) does not mutate decorated functions and these bodies decide PASS/FAIL
check("I1")(least_privilege)
check("I2")(tasks_unprivileged)
check("I3")(database_iam_auth)
check("I4")(api_methods_authorized)
check("S1")(no_hardcoded_credentials)
check("S2")(credentials_rotate)
