"""A scratch repository for the alert formats: a git root with the project under `infra/`, N environments calling one
module, and an assessment made of synthetic findings (fail, unknown, waived, a duplicate, a stack-wide one, checkov)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Finding, engine
from tapguard.controls.assessment import Assessment, EnvironmentResult
from tapguard.controls.checkov import CheckovResult
from tapguard.controls.waivers import WaiverSet

MODULE = """resource "aws_rds_cluster" "this" {
  cluster_identifier = "db"
  storage_encrypted  = false
}

resource "aws_security_group" "db" {
  name = "db"
}
"""
STACK = """module "db" {
  source = "../../modules/db"
}

resource "aws_s3_bucket" "logs" {
  bucket = "logs"
}
"""
CLUSTER = "module.db.aws_rds_cluster.this"


@dataclass
class Scratch:
    repo: Path  # the git root
    root: Path  # the project root, under infra/
    run: Assessment


def scratch(base: Path, environments: int = 25, checkov: bool = True) -> Scratch:
    repo = base / "repo"
    root = repo / "infra"
    (repo / ".git").mkdir(parents=True)
    (root / "modules" / "db").mkdir(parents=True)
    (root / "modules" / "db" / "main.tf").write_text(MODULE)
    catalogue = engine.catalogue()
    envs = []
    for n in range(environments):
        name = f"env{n:02d}"
        stack = root / "environments" / name
        stack.mkdir(parents=True)
        (stack / "main.tf").write_text(STACK)
        findings = [
            Finding("E1", name, CLUSTER, "storage_encrypted", FAIL, False, True, "storage is not encrypted"),
            Finding("E1", name, CLUSTER, "storage_encrypted", FAIL, False, True, "the class control says the same"),
            Finding("E8", name, CLUSTER, "storage_encrypted", FAIL, False, True, "class: encrypted at rest"),
            Finding("E1", name, "aws_s3_bucket.logs", "kms_key_id", UNKNOWN, "(known after apply)", "a CMK", "unknown at plan time"),
            Finding("L1", name, "(no aws_cloudtrail)", "", FAIL, None, "a trail", "no trail in this plan"),
            Finding("N1", name, "module.db.aws_security_group.db", "ingress", FAIL, "0.0.0.0/0", "no", "open", waiver={"reason": "r"}),
            Finding("N2", name, "module.db.aws_security_group.db", "egress", PASS, "x", "x", "as required"),
            Finding("R1", name, "(no aws_backup_plan)", "", NOT_APPLICABLE, None, "x", "n/a"),
        ]
        envs.append(
            EnvironmentResult(
                name=name,
                plan_path=stack / "plan.json",
                plan_sha256="0" * 64,
                terraform_version="1.11.0",
                region="eu-west-1",
                summary={"add": 3, "change": 0, "destroy": 0},
                findings=findings,
                hcl_dirs=[stack.resolve()],
                module_sources={"module.db": (root / "modules" / "db").resolve()},
            )
        )
    scans = []
    if checkov:
        item = {"check_name": "Ensure RDS is encrypted", "controls": ["E1"], "requirements": ["3.5.1"], "evaluated_keys": []}
        scans = [
            CheckovResult(
                "hcl",
                True,
                failed=[
                    {**item, "check_id": "CKV_AWS_96", "resource": "aws_rds_cluster.this", "file": "/modules/db/main.tf", "lines": [1, 4]}
                    | {"status": "failed"},
                ],
            ),
            CheckovResult(
                "plan:env00",
                True,
                failed=[
                    {**item, "check_id": "CKV_AWS_96", "resource": CLUSTER, "file": "/tmp/plan.json", "lines": [9, 12], "status": "failed"},
                    {**item, "check_id": "CKV_AWS_158", "resource": CLUSTER, "file": None, "lines": None, "status": "unverifiable_at_plan"},
                ],
            ),
        ]
    run = Assessment(
        started=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        environments=envs,
        catalogue=catalogue,
        waivers=WaiverSet(source=None, valid=[], problems=[]),
        checkov=scans,
        git_sha="abc123",
        finished=dt.datetime(2026, 1, 1, 0, 0, 3, tzinfo=dt.UTC),
    )
    return Scratch(repo.resolve(), root.resolve(), run)
