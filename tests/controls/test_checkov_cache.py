"""checkov results are cached by content (HCL, plan, checkov version), like plans: keys move with content only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import checkov, waivers


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


def test_a_plan_scanned_early_is_not_scanned_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `tapguard check` starts checkov on each plan as soon as it is written; the assessment then takes that result
    root = project(tmp_path)
    plan = root / "a.plan.json"
    plan.write_text('{"format_version": "1.2", "resource_changes": []}')
    runs: list[list[str]] = []

    def counted(args: list[str], cwd: Path, enrich_after: bool = False) -> tuple[list[dict[str, Any]], str | None]:
        runs.append(args)
        return [{"results": {"failed_checks": []}, "summary": {"passed": 0, "failed": 0}}], None

    monkeypatch.setattr(checkov, "binary", lambda: "checkov")
    monkeypatch.setattr(checkov, "_run_checkov", counted)
    checkov.start_plan_scan(plan, root, enrich=False, use_cache=False)
    checkov.start_plan_scan(plan, root, enrich=False, use_cache=False)  # the same content: one scan
    copy = root / "elsewhere.plan.json"  # the assessment may read the plan from another path: same content, same scan
    copy.write_bytes(plan.read_bytes())
    result = checkov.scan_plan("a", copy, root, {}, waivers.WaiverSet(None, [], []), None, use_cache=False)
    assert len(runs) == 1 and not result.error
    checkov.scan_plan("a", copy, root, {}, waivers.WaiverSet(None, [], []), None, use_cache=False)
    assert len(runs) == 2  # taken once: a later check of the same plan scans again (or reads the cache)
