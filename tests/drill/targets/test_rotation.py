"""targets/rotation.py: the stacks' rotators are found from any install of tapguard (the project's copy first, else the shipped one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tapguard.drill.targets.rotation import ROTATORS, SHIPPED, rotator

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "tapguard"
NAMES = ("elasticache_auth.py", "postgres_single_user.py")
HEADER = (
    "# mypy: ignore-errors\n# fmt: off\n"
    "# A copy of modules/secrets/rotation/{name}, shipped with tapguard (tests/drill/targets/test_rotation.py keeps it equal).\n"
)


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_copy_is_the_stacks_rotator(name: str) -> None:
    # the source of truth stays modules/secrets/rotation (tools/rotation_zip.py builds the Lambda zips from it)
    source = (ROOT / ROTATORS / name).read_text()
    assert (SHIPPED / name).read_text() == HEADER.format(name=name) + source, f"copy {ROOT / ROTATORS / name} to {SHIPPED / name}"


def test_the_projects_rotator_first_else_the_shipped_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TAPGUARD_ROOT", str(ROOT))
    assert rotator("elasticache_auth.py") == ROOT / ROTATORS / "elasticache_auth.py"
    monkeypatch.setenv("TAPGUARD_ROOT", str(tmp_path))  # a project without the stacks' rotators
    assert rotator("postgres_single_user.py") == SHIPPED / "postgres_single_user.py"


def test_an_installed_copy_outside_the_source_tree_finds_and_loads_the_rotators(tmp_path: Path) -> None:
    # tapguard as pip puts it: a package directory in site-packages, no source tree above it, run outside any project
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "tapguard", ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sys, tapguard\n"
        "from tapguard.drill.targets.rotation import rotator\n"
        "from tapguard.lab.rotation import load_lambda\n"
        "assert tapguard.__file__.startswith(sys.argv[1]), tapguard.__file__\n"
        "for name in ('elasticache_auth.py', 'postgres_single_user.py'):\n"
        "    path = rotator(name)\n"
        "    assert hasattr(load_lambda(path), 'handler'), path\n"
        "    print(path)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TAPGUARD_ROOT"} | {"PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(site)], check=False, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(site / "tapguard" / "drill" / "rotators" / n) for n in NAMES]
