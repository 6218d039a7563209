"""A plan read once: one object per plan from the command line to the bundle (planning/admitted.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tapguard.cli import main
from tapguard.foundation.digest import sha256
from tapguard.planning import intake
from tapguard.planning.admitted import AdmittedPlan

PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.11.0",
    "resource_changes": [
        {
            "address": "aws_s3_bucket.cards",
            "mode": "managed",
            "type": "aws_s3_bucket",
            "name": "cards",
            "change": {"actions": ["create"], "after": {"bucket": "s3-cards-dev"}, "after_unknown": {"arn": True}},
        }
    ],
}


@pytest.fixture
def given(tmp_path: Path) -> Path:
    path = tmp_path / "given.json"
    path.write_text(json.dumps(PLAN))
    return path


def test_check_reads_a_given_plan_once_and_parses_its_copy_once(
    given: Path, tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reads: Counter[str] = Counter()
    real_read = intake.read

    def counting_read(path: Path, label: str | None = None) -> tuple[dict[str, Any], set[str]]:
        reads[str(path)] += 1
        return real_read(path, label)

    def no_rehash(path: Path) -> str:
        raise AssertionError(f"{path} hashed again: its digest is known from its writing")

    monkeypatch.setattr(intake, "read", counting_read)
    monkeypatch.setattr(intake, "sha256", no_rehash)
    monkeypatch.chdir(root)
    out = tmp_path / "evidence"
    code = main(["check", "--plan-json", f"scratch={given}", "--no-checkov", "--out", str(out), "-q"])
    assert code in (0, 1), capsys.readouterr().err
    copies = [p for p in reads if p != str(given)]
    assert reads[str(given)] == 1 and len(copies) == 1 and reads[copies[0]] == 1, reads
    bundle = next(out.iterdir())
    recorded = json.loads((bundle / "controls.json").read_text())
    assert sha256(Path(copies[0])) in json.dumps(recorded)  # the digest known from the writing is the copy's own


def test_the_digest_comes_from_the_writing_until_the_copy_changes(given: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = AdmittedPlan.given("scratch", given)
    expected = sha256(plan.path)
    monkeypatch.setattr(intake, "sha256", lambda path: pytest.fail("read again"))
    assert plan.digest == expected
    monkeypatch.undo()
    other = AdmittedPlan("scratch", plan.path, "again")
    plan.path.write_text(plan.path.read_text() + " ")  # someone changed the copy: its identity no longer matches
    assert other.digest == sha256(plan.path) != expected


def test_the_model_is_parsed_once_and_released(given: Path) -> None:
    plan = AdmittedPlan.given("scratch", given)
    first = plan.model()
    assert plan.model() is first and plan.loads == 1
    assert plan.unknowns() == {"aws_s3_bucket.cards": {"arn": True}}
    plan.release()
    assert plan.model() is not first and plan.loads == 2
