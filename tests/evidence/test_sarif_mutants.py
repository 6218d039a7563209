"""SARIF pinned down where mutation testing found it loose: the whole document of a small run, rules and their helpers.

A two-control catalogue of its own (tests/evidence/test_markdown_mutants.py) in a scratch git repository with the
stacks under infra/: a failure placed at its resource block, an unknown (a note under the `/unverified` rule), a
waived finding (never published), checkov items; the repository path and tapguard's version are put back as
placeholders. The expected document was reviewed field by field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tapguard
from tapguard.controls import FAIL, UNKNOWN, Finding
from tapguard.controls.checkov import CheckovResult
from tapguard.controls.engine import Control
from tapguard.evidence import sarif
from tests.evidence.test_markdown_mutants import checkov_item, env, run

STACK = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n\nresource "aws_rds_cluster" "db" {\n  engine = "aurora"\n}\n'


def document(base: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> dict[str, Any]:
    repo = base / "repo"
    (repo / ".git").mkdir(parents=True)
    stack = repo / "infra" / "environments" / "prod"
    stack.mkdir(parents=True)
    (stack / "main.tf").write_text(STACK)
    findings = [
        Finding("Z1", "prod", "aws_rds_cluster.db", "storage_encrypted", FAIL, False, True, "not encrypted"),
        Finding("Z1", "prod", "aws_s3_bucket.logs", "kms_key_id", UNKNOWN, "(known after apply)", "a CMK", "unknown at plan"),
        Finding("Z2", "prod", "(no aws_cloudtrail)", "", FAIL, None, "a trail", "no trail"),
        Finding("Z2", "prod", "aws_s3_bucket.logs", "x", FAIL, 1, 2, "waived", waiver={"reason": "r"}),
    ]
    prod = env("prod", findings)
    prod.hcl_dirs = [stack.resolve()]
    scans = [
        CheckovResult(
            "plan:prod",
            True,
            failed=[
                checkov_item(1, resource="aws_rds_cluster.db", file="/main.tf", lines=[5, 7], requirements=["3.5.1"], controls=["Z1"]),
                checkov_item(2, resource="aws_s3_bucket.logs", status="unverifiable_at_plan", file=None),
            ],
        )
    ]
    made = run([prod], checkov=scans)
    text = json.dumps(sarif.render(made, repo / "infra"))
    return json.loads(text.replace(repo.resolve().as_uri(), "file:///REPO").replace(json.dumps(tapguard.__version__)[1:-1], "VERSION"))


EXPECTED = Path(__file__).with_name("sarif_mutants_expected.json")


def test_the_whole_document_of_a_small_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)
    assert document(tmp_path) == json.loads(EXPECTED.read_text())


def test_provenance_only_when_the_ci_names_server_repository_and_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example/")
    monkeypatch.setenv("GITHUB_REPOSITORY", "org/repo")
    monkeypatch.setenv("GITHUB_SHA", "abc")
    assert sarif._provenance() == [
        {"repositoryUri": "https://github.example/org/repo", "revisionId": "abc", "mappedTo": {"uriBaseId": "%SRCROOT%"}}
    ]
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        with monkeypatch.context() as scoped:
            scoped.delenv(name)
            assert sarif._provenance() == []


def test_help_uri_with_and_without_a_base() -> None:
    assert sarif.help_uri("E1", None) == f"{sarif.documentation()}/blob/main/docs/controls.md#control-e1"
    assert sarif.help_uri("E1", "https://docs.example/controls/{id}.html") == "https://docs.example/controls/e1.html"
    assert sarif.help_uri("E1", "https://docs.example/page#old") == "https://docs.example/page#control-e1"


def control(severity: str, requirements: int) -> Control:
    return Control("Q9", "A b-c  d", "fam", tuple(f"1.{n}" for n in range(requirements)), severity, "risk", " fix \n", {})


def test_tags_stop_at_ten() -> None:
    assert sarif.tags(control("high", 7)) == ["security", "PCI-DSS", "fam", *(f"PCI-DSS-1.{n}" for n in range(7))]
    assert sarif.tags(control("high", 9)) == ["security", "PCI-DSS", "fam", *(f"PCI-DSS-1.{n}" for n in range(7))]


@pytest.mark.parametrize(
    ("severity", "score", "problem"),
    [
        ("critical", "9.5", "error"),
        ("high", "8.0", "error"),
        ("medium", "5.5", "warning"),
        ("low", "3.0", "recommendation"),
        ("odd", "5.0", "warning"),
    ],
)
def test_severity_scores_and_problem_levels(severity: str, score: str, problem: str) -> None:
    made = sarif.rule(control(severity, 1), None)
    assert (made["properties"]["security-severity"], made["properties"]["problem.severity"]) == (score, problem)
    assert made["name"] == "ABCD" and made["help"]["text"] == "PCI DSS 1.0. Risk: risk Remediation: fix"
    assert sarif.unverified_rule(control(severity, 1), None)["name"] == "ABCDUnverified"


def test_locations_start_at_line_one_and_need_a_file() -> None:
    assert sarif._location("a.tf", 0, "x")["physicalLocation"]["region"] == {"startLine": 1}
    assert sarif._location("a.tf", 7, "x")["physicalLocation"] == {
        "artifactLocation": {"uri": "a.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7},
    }
    assert sarif._location(None, 7, "x") == {"logicalLocations": [{"fullyQualifiedName": "x", "kind": "resource"}]}
    assert "physicalLocation" not in sarif._location("", 7, "x")


def test_checkov_rules_are_shared_by_check_id_and_their_tags_capped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    many = [f"9.{n}" for n in range(9)]
    scans = [
        CheckovResult("hcl", True, failed=[checkov_item(1, requirements=many), checkov_item(1, resource="aws_x.z", requirements=many)])
    ]
    made = sarif.render(run([env("prod", [])], checkov=scans), tmp_path)
    checkov = made["runs"][1]
    [only] = checkov["tool"]["driver"]["rules"]
    assert only["properties"]["tags"] == ["security", "checkov", "PCI-DSS", *(f"PCI-DSS-9.{n}" for n in range(7))]
    assert [r["ruleIndex"] for r in checkov["results"]] == [0, 0]
    assert len(made["runs"]) == 2 and len(sarif.render(run([env("prod", [])]), tmp_path)["runs"]) == 1
