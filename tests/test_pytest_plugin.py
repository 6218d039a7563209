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
    args = [sys.executable, "-m", "pytest", "compliance_tests", "-p", "no:cacheprovider", "-q", "--tapguard-plan-json", f"eu-west-1={plan}"]
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


def unrelated_suite(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Another project's suite in the same environment: its own --env and --aws, and one test that looks at what got imported."""
    (tmp_path / "conftest.py").write_text(
        "def pytest_addoption(parser):\n"
        "    parser.addoption('--env', default='dev')\n"
        "    parser.addoption('--aws', action='store_true')\n"
        "    parser.addoption('--plan-json', default=None)\n"
    )
    (tmp_path / "test_unrelated.py").write_text(
        "import sys\n\n"
        "def test_tapguard_stays_out(request):\n"
        "    assert request.config.getoption('--env') == 'dev'\n"
        "    heavy = ('tapguard.controls', 'tapguard.planning', 'tapguard.evidence', 'boto3', 'botocore')\n"
        "    assert not [m for m in sys.modules if m.startswith(heavy)], sorted(m for m in sys.modules if m.startswith(heavy))\n"
        "    assert 'tapguard.pytest_plugin' in sys.modules  # the plugin did load: the check above is about it\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAPGUARD_ROOT", "PYTEST_XDIST", "PYTEST_ADDOPTS"))}
    args_ = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(args_, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_plugins_options_are_namespaced_and_leave_other_suites_theirs(tmp_path: Path) -> None:
    from tapguard import pytest_plugin

    assert all(o.startswith("--tapguard-") for o in pytest_plugin.OPTIONS)
    done = unrelated_suite(tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    helped = unrelated_suite(tmp_path, "--help").stdout
    for option in pytest_plugin.OPTIONS:
        assert option in helped
    assert "--tapguard-env=ENV" in helped and "--tapguard-aws" in helped


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, pytest, tapguard.pytest_plugin\n"
        "heavy = [m for m in sys.modules if m.startswith(('tapguard.controls', 'tapguard.planning', 'tapguard.evidence', 'boto3'))]\n"
        "print(heavy)\n"
        "raise SystemExit(1 if heavy else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
