"""checkov results are cached by content (HCL, plan, checkov version), like plans: keys move with content only."""

from __future__ import annotations

import json
from pathlib import Path

from tapguard.controls import checkov


def project(tmp_path: Path) -> Path:
    (tmp_path / "environments" / "a").mkdir(parents=True)
    (tmp_path / "environments" / "a" / "main.tf").write_text('resource "aws_s3_bucket" "a" {}\n')
    (tmp_path / "README.md").write_text("words\n")
    return tmp_path


def test_hcl_digest_follows_terraform_sources_only(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = checkov.hcl_digest(root)
    (root / "README.md").write_text("other words\n")
    (root / ".tapguard").mkdir()
    (root / ".tapguard" / "x.tf").write_text("ignored")
    assert checkov.hcl_digest(root) == before
    (root / "environments" / "a" / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    assert checkov.hcl_digest(root) != before
    (root / ".checkov.yaml").write_text("skip-check: CKV_AWS_1\n")
    assert checkov.hcl_digest(root) != before


def test_cache_entries_are_keyed_by_scope_args_and_content(tmp_path: Path) -> None:
    one = checkov._cache_file(tmp_path, "plan", ["--framework", "terraform_plan"], "sha-a")
    assert one == checkov._cache_file(tmp_path, "plan", ["--framework", "terraform_plan"], "sha-a")
    assert one != checkov._cache_file(tmp_path, "plan", ["--framework", "terraform_plan"], "sha-b")
    assert one != checkov._cache_file(tmp_path, "hcl", ["--framework", "terraform_plan"], "sha-a")
    assert one.parent == tmp_path / ".tapguard" / "checkov"


def test_a_cached_entry_is_read_back_and_a_damaged_one_is_dropped(tmp_path: Path) -> None:
    entry = tmp_path / "entry.json"
    reports = [{"results": {"failed_checks": [{"check_id": "CKV_AWS_1"}]}, "summary": {"passed": 3}}]
    entry.write_text(json.dumps({"reports": reports}))
    assert checkov._run(["--never-run"], tmp_path, entry) == (reports, None)
    entry.write_text("{")
    if checkov.binary() is None:
        return
    found, _ = checkov._run(["-d", str(tmp_path), "--framework", "terraform"], tmp_path, entry)  # rescans with checkov
    assert isinstance(found, list) and json.loads(entry.read_text())["reports"] == found
