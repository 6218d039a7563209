"""The command line: one line and a non-zero exit for bad input, never a traceback; --plan-json gives the same result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tapguard.cli import main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tapguard", *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "atlantis"], "unknown environment 'atlantis'"),
        (["check", "--plan-json", "nonsense"], "--plan-json takes ENV=PATH"),
        (["check", "--plan-json", "eu-west-1=/nonexistent.json"], "no such file"),
        (["check", "--waivers", "/nonexistent.yaml", "--plan-json", "x=/nonexistent.json"], "no such file"),
        (["evidence", "verify", "/nonexistent"], "not an evidence bundle directory"),
        (["drill", "--fault", "meteor", "--component", "redis"], "is not a lab fault"),
        (["drill", "--rate", "-5"], "--rate must be a positive finite number"),
        (["drill", "--rate", "nan"], "--rate must be a positive finite number (got nan)"),
        (["drill", "--max-downtime", "inf"], "--max-downtime must be a positive finite number (got inf)"),
        # no AWS call before --confirm: without credentials this was a NoCredentialsError traceback
        (["drill", "--target", "aws", "--component", "aurora", "--cluster-id", "X"], "add --confirm X to proceed"),
        (["drill", "--target", "aws", "--repeat", "3"], "--repeat is for the lab"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, root: Path) -> None:
    proc = run(*args, cwd=root)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len([ln for ln in proc.stderr.splitlines() if "error" in ln]) == 1


def test_outside_a_project(tmp_path: Path) -> None:
    proc = run("plan", cwd=tmp_path)
    assert proc.returncode == 2 and "no tapguard project found" in proc.stderr


def test_bad_plan_json_through_check(tmp_path: Path, root: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"format_version": "1.2", "resource_changes": [')
    proc = run("check", "--plan-json", f"eu-west-1={bad}", "--no-checkov", "--out", str(tmp_path / "ev"), cwd=root)
    assert proc.returncode == 2 and f"{bad}: truncated JSON" in proc.stderr
    assert not (tmp_path / "ev").exists() or not any((tmp_path / "ev").iterdir())


def test_plan_json_gives_the_same_results_as_planning(env_plans: dict[str, Path], tmp_path: Path, root: Path, capsys: Any) -> None:
    """--plan-json on a copy of the plan (as another CI would hand it over) equals the in-place result."""
    copy = tmp_path / "from-ci.json"
    copy.write_text(env_plans["us-west-2"].read_text())
    out = tmp_path / "ev"
    assert main(["check", "--plan-json", f"us-west-2={copy}", "--no-checkov", "--out", str(out)]) == 0
    given = json.loads(next(out.glob("*/controls.json")).read_text())
    from tapguard.controls import assessment
    from tapguard.planning import project

    run_ = assessment.assess(root, project.environments(root), {"us-west-2": env_plans["us-west-2"]}, None, use_checkov=False)
    direct = {c: run_.environments[0].status_of(c) for c in run_.catalogue}
    via_file = {cid: body["environments"]["us-west-2"]["status"] for req in given["requirements"].values() for cid, body in req.items()}
    assert via_file == direct


def test_check_exits_1_on_a_failing_control(fresh: Any, tmp_path: Path) -> None:
    from tests.conftest import set_after

    data = fresh("us-west-2")
    set_after(data, "module.aurora.aws_rds_cluster.this", "iam_database_authentication_enabled", False)
    plan = tmp_path / "p.json"
    plan.write_text(json.dumps(data))
    assert main(["check", "--plan-json", f"us-west-2={plan}", "--no-checkov", "--out", str(tmp_path / "ev")]) == 1


def test_doctor(root: Path) -> None:
    proc = run("doctor", cwd=root)
    assert proc.returncode == 0 and "hashicorp/aws 5.100.0" in proc.stdout
