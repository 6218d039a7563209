"""The PCI suite through its pytest plugin goes red on a failing plan, names what fails, and stays green on a clean one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import set_after

ROOT = Path(__file__).resolve().parents[1]


def suite(tmp_path: Path, plan: Path, *select: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAPGUARD_ROOT", "PYTEST_XDIST", "PYTEST_ADDOPTS"))}
    args = [sys.executable, "-m", "pytest", "compliance_tests", "-p", "no:cacheprovider", "-q", "--plan-json", f"eu-west-1={plan}"]
    return subprocess.run([*args, *select], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_suite_fails_on_a_failing_plan_and_names_the_address(fresh: Any, tmp_path: Path) -> None:
    data = fresh("eu-west-1")
    set_after(data, "module.aurora.aws_rds_cluster.this", "storage_encrypted", False)
    plan = tmp_path / "failing.json"
    plan.write_text(json.dumps(data))
    done = suite(tmp_path, plan, "-k", "E1 or E2")
    assert done.returncode == 1, done.stdout[-2000:]
    assert "FAILED compliance_tests/test_pci.py::test_control[E1-eu-west-1]" in done.stdout
    assert "module.aurora.aws_rds_cluster.this" in done.stdout and "storage_encrypted" in done.stdout
    assert "PCI DSS 3.5.1" in done.stdout and "Remediation:" in done.stdout
    assert "1 failed, 1 passed" in done.stdout


def test_the_suite_passes_on_the_clean_plan(env_plans: dict[str, Path], tmp_path: Path) -> None:
    done = suite(tmp_path, env_plans["eu-west-1"], "-k", "E1 or E2")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "2 passed" in done.stdout
