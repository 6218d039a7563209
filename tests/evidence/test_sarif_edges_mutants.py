"""SARIF at its edges: the repository base at `/` or in a directory ending in X, a server URL ending in X, a checkov
check mapped to two requirements, and a configured help base reaching the `/unverified` rules as well.

The scratch repository and two-control catalogue are tests/evidence/test_sarif_mutants.py's and
tests/evidence/test_markdown_mutants.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tapguard.controls import FAIL, UNKNOWN, Finding
from tapguard.controls.checkov import CheckovResult
from tapguard.evidence import sarif
from tests.evidence.test_markdown_mutants import checkov_item, env, run
from tests.evidence.test_sarif_mutants import STACK


@pytest.fixture(autouse=True)
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)


def test_the_base_of_a_repository_in_a_directory_ending_in_x_keeps_its_name(tmp_path: Path) -> None:
    repo = tmp_path / "APEX"
    assert sarif._base_ids(repo) == {"%SRCROOT%": {"uri": repo.as_uri() + "/", "description": {"text": "the root of the git repository"}}}


def test_the_base_of_a_repository_at_the_filesystem_root_is_the_root_directory() -> None:
    uri = sarif._base_ids(Path("/"))["%SRCROOT%"]["uri"]
    assert urlsplit(uri)[:3] == ("file", "", "/") and uri.endswith("/")


@pytest.mark.parametrize("server", ["https://ghe.acme.TAX", "https://ghe.acme.TAX/"])
def test_a_server_url_ending_in_x_keeps_its_name(monkeypatch: pytest.MonkeyPatch, server: str) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", server)
    monkeypatch.setenv("GITHUB_REPOSITORY", "org/repo")
    monkeypatch.setenv("GITHUB_SHA", "abc")
    assert sarif._provenance() == [
        {"repositoryUri": "https://ghe.acme.TAX/org/repo", "revisionId": "abc", "mappedTo": {"uriBaseId": "%SRCROOT%"}}
    ]


def rendered(base: Path, help_base: str | None = None) -> dict[str, Any]:
    repo = base / "repo"
    (repo / ".git").mkdir(parents=True)
    stack = repo / "infra" / "environments" / "prod"
    stack.mkdir(parents=True)
    (stack / "main.tf").write_text(STACK)
    if help_base is not None:
        (repo / "infra" / "tapguard.toml").write_text(f'sarif_help_base = "{help_base}"\n')
    findings = [
        Finding("Z1", "prod", "aws_rds_cluster.db", "storage_encrypted", FAIL, False, True, "not encrypted"),
        Finding("Z1", "prod", "aws_s3_bucket.logs", "kms_key_id", UNKNOWN, "(known after apply)", "a CMK", "unknown at plan"),
    ]
    prod = env("prod", findings)
    prod.hcl_dirs = [stack.resolve()]
    two = checkov_item(1, resource="aws_rds_cluster.db", file="/main.tf", lines=[5, 7], requirements=["3.5.1", "10.2.1"], controls=["Z1"])
    return sarif.render(run([prod], checkov=[CheckovResult("plan:prod", True, failed=[two])]), repo / "infra")


def test_a_check_mapped_to_two_requirements_names_both(tmp_path: Path) -> None:
    checkov = rendered(tmp_path)["runs"][1]
    assert checkov["tool"]["driver"]["rules"][0]["help"] == {"text": "Ensure X (checkov CKV_1); PCI DSS 3.5.1, 10.2.1"}
    assert checkov["results"][0]["message"] == {"text": "[plan:prod] aws_rds_cluster.db: Ensure X (failed; PCI DSS 3.5.1, 10.2.1)"}


def test_the_configured_help_base_is_every_rules_help_uri_the_unverified_ones_too(tmp_path: Path) -> None:
    rules = rendered(tmp_path, "https://wiki.acme.example/pci/{id}.html")["runs"][0]["tool"]["driver"]["rules"]
    assert [(r["id"], r["helpUri"]) for r in rules] == [
        ("Z1", "https://wiki.acme.example/pci/z1.html"),
        ("Z2", "https://wiki.acme.example/pci/z2.html"),
        ("Z1/unverified", "https://wiki.acme.example/pci/z1.html"),
    ]
