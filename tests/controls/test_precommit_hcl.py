"""The hook with teeth: literal violations in modules, variables, tfvars and environments are caught at commit time by
the control a plan would report, and whatever needs a plan is reported as such, never as a pass or a fail."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tapguard.controls import engine, precommit
from tapguard.planning import hclplan

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutation:
    name: str
    env: str
    edits: tuple[tuple[str, str, str], ...]  # (file under the scratch project, old text, new text)
    control: str
    address: str  # the resource the finding must name (suffix)


def m(name: str, env: str, path: str, old: str, new: str, control: str, address: str) -> Mutation:
    return Mutation(name, env, ((path, old, new),), control, address)


USW, EUW, CI = "us-west-2", "eu-west-1", "ci-identity"
AURORA, REDIS = "modules/aurora/main.tf", "modules/redis/main.tf"
MUTATIONS = [
    # ---- literal values in modules
    m(
        "aurora storage unencrypted",
        USW,
        AURORA,
        "storage_encrypted                   = true",
        "storage_encrypted = false",
        "E1",
        "aws_rds_cluster.this",
    ),
    m(
        "aurora IAM auth off",
        USW,
        AURORA,
        "iam_database_authentication_enabled = true",
        "iam_database_authentication_enabled = false",
        "I3",
        "aws_rds_cluster.this",
    ),
    m(
        "rds.force_ssl 0",
        USW,
        AURORA,
        'name  = "rds.force_ssl"\n    value = "1"',
        'name  = "rds.force_ssl"\n    value = "0"',
        "T1",
        "aws_rds_cluster_parameter_group.this",
    ),
    m(
        "aurora instance public",
        USW,
        AURORA,
        "publicly_accessible             = false",
        "publicly_accessible = true",
        "N2",
        "aws_rds_cluster_instance.this",
    ),
    m(
        "aurora ingress 0.0.0.0/0",
        USW,
        AURORA,
        "referenced_security_group_id = each.value",
        'cidr_ipv4 = "0.0.0.0/0"',
        "N3",
        "aws_vpc_security_group_ingress_rule.postgres",
    ),
    m(
        "redis at rest off",
        USW,
        REDIS,
        "at_rest_encryption_enabled = true",
        "at_rest_encryption_enabled = false",
        "E3",
        "aws_elasticache_replication_group.this",
    ),
    m(
        "redis TLS off",
        USW,
        REDIS,
        "transit_encryption_enabled = true",
        "transit_encryption_enabled = false",
        "T2",
        "aws_elasticache_replication_group.this",
    ),
    m(
        "redis TLS preferred",
        EUW,
        REDIS,
        'transit_encryption_mode    = "required"',
        'transit_encryption_mode = "preferred"',
        "T2",
        "aws_elasticache_replication_group.this",
    ),
    m(
        "redis failover off",
        USW,
        REDIS,
        "automatic_failover_enabled  = true",
        "automatic_failover_enabled = false",
        "R3",
        "aws_elasticache_replication_group.this",
    ),
    m(
        "redis multi-AZ off",
        EUW,
        REDIS,
        "multi_az_enabled            = true",
        "multi_az_enabled = false",
        "R3",
        "aws_elasticache_replication_group.this",
    ),
    m(
        "redis ingress 0.0.0.0/0",
        EUW,
        REDIS,
        "referenced_security_group_id = each.value",
        'cidr_ipv4 = "0.0.0.0/0"',
        "N3",
        "aws_vpc_security_group_ingress_rule.redis",
    ),
    m("efs unencrypted", USW, "modules/efs/main.tf", "encrypted        = true", "encrypted = false", "E2", "aws_efs_file_system.this"),
    m(
        "efs ingress 0.0.0.0/0",
        USW,
        "modules/efs/main.tf",
        "referenced_security_group_id = each.value",
        'cidr_ipv4 = "0.0.0.0/0"',
        "N3",
        "aws_vpc_security_group_ingress_rule.nfs",
    ),
    m(
        "kms rotation off",
        USW,
        "modules/kms/main.tf",
        "enable_key_rotation     = true",
        "enable_key_rotation = false",
        "K1",
        "aws_kms_key.this",
    ),
    m(
        "kinesis unencrypted",
        EUW,
        "modules/kinesis/main.tf",
        'encryption_type           = "KMS"',
        'encryption_type = "NONE"',
        "E4",
        "aws_kinesis_stream.this",
    ),
    m(
        "subnet public IPs",
        USW,
        "modules/network/main.tf",
        "map_public_ip_on_launch = false",
        "map_public_ip_on_launch = true",
        "N1",
        "aws_subnet.",
    ),
    m(
        "flow log rejects only",
        USW,
        "modules/network/main.tf",
        'traffic_type         = "ALL"',
        'traffic_type = "REJECT"',
        "L3",
        "aws_flow_log.",
    ),
    m(
        "trail single region",
        USW,
        "modules/observability/main.tf",
        "is_multi_region_trail         = true",
        "is_multi_region_trail = false",
        "L1",
        "aws_cloudtrail.this",
    ),
    m(
        "trail no validation",
        USW,  # the account trail is us-west-2's: eu-west-1 declares none (account_trail = 0)
        "modules/observability/main.tf",
        "enable_log_file_validation    = true",
        "enable_log_file_validation = false",
        "L2",
        "aws_cloudtrail.this",
    ),
    m(
        "trail bucket PAB off",
        USW,
        "modules/observability/main.tf",
        "block_public_acls       = true",
        "block_public_acls = false",
        "N2",
        "aws_s3_bucket_public_access_block.trail",
    ),
    m(
        "tasks get public IPs",
        EUW,
        "modules/ecs/main.tf",
        "assign_public_ip = false",
        "assign_public_ip = true",
        "N2",
        "aws_ecs_service.this",
    ),
    m(
        "internet-facing NLB",
        USW,
        "modules/ecs/main.tf",
        "internal                                                     = true",
        "internal = false",
        "N2",
        "aws_lb.this",
    ),
    m(
        "anonymous API method",
        USW,
        "modules/api/main.tf",
        'authorization        = "AWS_IAM"',
        'authorization = "NONE"',
        "I4",
        "aws_api_gateway_method.",
    ),
    m(
        "FIS policy wildcard",
        USW,
        "modules/aurora/fis.tf",
        'actions   = ["rds:FailoverDBCluster"]',
        'actions   = ["rds:*"]',
        "I1",
        "aws_iam_role_policy.fis",
    ),
    # ---- variable defaults in modules
    m(
        "log retention default 30",
        USW,
        "modules/aurora/variables.tf",
        "default     = 365",
        "default     = 30",
        "L8",
        "aws_cloudwatch_log_group.",
    ),
    m("aurora backups default 0", USW, "modules/aurora/variables.tf", "default     = 7", "default     = 0", "R2", "aws_rds_cluster.this"),
    m(
        "redis snapshots default 0",
        EUW,
        "modules/redis/variables.tf",
        "default     = 7",
        "default     = 0",
        "R4",
        "aws_elasticache_replication_group.this",
    ),
    # ---- environments: module arguments and tfvars
    m(
        "env passes short retention",
        EUW,
        "environments/eu-west-1/main.tf",
        'source = "../../modules/redis"',
        'source = "../../modules/redis"\n  log_retention_in_days = 7',
        "L8",
        "module.redis.aws_cloudwatch_log_group.",
    ),
    m(
        "env policy wildcard",
        CI,
        "environments/ci-identity/main.tf",
        'actions   = ["rds:FailoverDBCluster"]',
        'actions   = ["rds:*"]',
        "I1",
        "aws_iam_role_policy.drill",
    ),
    Mutation(
        "tfvars backups 0",
        USW,
        (
            (
                "environments/us-west-2/main.tf",
                'source = "../../modules/aurora"',
                'source = "../../modules/aurora"\n  backup_retention_days = var.backup_days',
            ),
            ("environments/us-west-2/variables.tf", "", '\nvariable "backup_days" {\n  type = number\n}\n'),
            ("environments/us-west-2/terraform.tfvars", "", "\nbackup_days = 0\n"),
        ),
        "R2",
        "module.aurora.aws_rds_cluster.this",
    ),
]


def scratch(tmp_path: Path, mutation: Mutation) -> Path:
    """modules/ and one environment copied, then the mutation applied (each edit must match exactly once)."""
    ignore = shutil.ignore_patterns("examples", ".terraform", "README.md")
    shutil.copytree(ROOT / "modules", tmp_path / "modules", ignore=ignore)
    shutil.copytree(ROOT / "environments" / mutation.env, tmp_path / "environments" / mutation.env, ignore=ignore)
    for path, old, new in mutation.edits:
        target = tmp_path / path
        text = target.read_text()
        if old:
            assert text.count(old) >= 1, f"{mutation.name}: {old!r} not in {path}"
            text = text.replace(old, new, 1)
        else:
            text += new
        target.write_text(text)
    return tmp_path / "environments" / mutation.env


def outcome(tmp_path: Path, mutation: Mutation) -> tuple[str, list[engine.Finding]]:
    stack = scratch(tmp_path, mutation)
    plan, findings = precommit.hcl_findings(stack, tmp_path)
    mine = [f for f in findings if f.control == mutation.control and mutation.address in f.address]
    kinds = {precommit.classify(f, plan) for f in mine}
    kind = "caught" if precommit.FAIL in kinds else "needs plan" if precommit.NEEDS_PLAN in kinds else "missed"
    return kind, [f for f in mine if f.status != engine.PASS]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[x.name for x in MUTATIONS])
def test_literal_violation_caught_at_commit(tmp_path: Path, mutation: Mutation) -> None:
    kind, findings = outcome(tmp_path, mutation)
    assert kind == "caught", (mutation.name, kind, [f.describe() for f in findings])


@pytest.mark.parametrize("env", [USW, EUW, CI])
def test_unmutated_stacks_have_no_literal_failure(tmp_path: Path, env: str) -> None:
    stack = scratch(tmp_path, Mutation("none", env, (), "", ""))
    plan, findings = precommit.hcl_findings(stack, tmp_path)
    failing = [f.describe() for f in findings if precommit.classify(f, plan) == precommit.FAIL]
    assert failing == []
    # what a plan settles is reported as needing one, never dropped as a pass
    assert any(precommit.classify(f, plan) == precommit.NEEDS_PLAN for f in findings)


def test_table_covers_modules_variables_and_environments() -> None:
    assert len(MUTATIONS) >= 25
    places = {path.split("/")[0] + ("/variables" if path.endswith("variables.tf") else "") for x in MUTATIONS for path, _, _ in x.edits}
    assert {"modules", "modules/variables", "environments", "environments/variables"} <= places


def test_unknown_value_needs_a_plan_not_a_pass(tmp_path: Path) -> None:
    """storage_encrypted from a resource attribute: only a plan knows it, so E1 is `needs plan` for it."""
    mutation = m(
        "from a reference",
        USW,
        AURORA,
        "storage_encrypted                   = true",
        "storage_encrypted = aws_db_subnet_group.this.id != null",
        "E1",
        "aws_rds_cluster.this",
    )
    kind, findings = outcome(tmp_path, mutation)
    assert kind == "needs plan", [f.describe() for f in findings]


def test_references_as_terraform_lists_them() -> None:
    refs = hclplan.references('merge(var.tags, { Name = "x-${var.suffix}" }) + module.kms.key_arns["logs"] + aws_kms_key.this["a"].arn')
    assert {"var.tags", "var.suffix", 'module.kms.key_arns["logs"]', "module.kms.key_arns", "module.kms", 'aws_kms_key.this["a"]'} <= set(
        refs
    )
    assert not [r for r in hclplan.references('"aws_iam.not_a_ref"') if "aws_iam" in r]


def test_module_outside_the_project_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "main.tf").write_text('resource "aws_kms_key" "k" {\n  enable_key_rotation = false\n}\n')
    project = tmp_path / "project"
    (project / "stack").mkdir(parents=True)
    (project / "stack" / "main.tf").write_text('provider "aws" {\n  region = "us-west-2"\n}\nmodule "x" {\n  source = "../../outside"\n}\n')
    plan = hclplan.build(project / "stack", project)
    assert plan.resources == [] and hclplan.unresolved_modules(plan) == ["module.x (../../outside)"]


def test_a_changed_module_selects_every_stack_that_calls_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    chosen = precommit.stacks_to_check([], [ROOT / "modules/redis/main.tf"])
    assert {p.name for p in chosen} == {USW, EUW}
    assert precommit.stacks_to_check([], [ROOT / "environments/ci-identity/main.tf"]) == [(ROOT / "environments/ci-identity").resolve()]


def test_a_module_that_calls_itself_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "main.tf").write_text(
        'resource "aws_kms_key" "k" {\n  enable_key_rotation = false\n}\n'
        'module "a" {\n  source = "./"\n}\nmodule "b" {\n  source = "./"\n}\n'
    )
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "main.tf").write_text('module "x" {\n  source = "../loop"\n}\n')
    plan = hclplan.build(tmp_path / "stack", tmp_path)
    assert [r.address for r in plan.resources] == ["module.x.aws_kms_key.k"]
