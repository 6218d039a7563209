"""The plain install as a user makes it: a fresh virtualenv, `pip install .` with no extras, then plan, check and
evidence on our own stacks; the commands that need an extra name it in one line.

Slow (a fresh virtualenv and a real plan, ~2-3 min): marked `install`; `pytest -m install` selects it alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.install, pytest.mark.terraform]


def run(args: list[str | Path], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "TAPGUARD_ROOT"))}
    env["COLUMNS"] = "200"
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def tracked_copy(destination: Path) -> Path:
    """The repository as a clone has it: only tracked files, so nothing local leaks into the install."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def base_install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(tapguard executable, project copy) of `pip install .` with no extras in a fresh virtualenv."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to copy the tracked files")
    work = tmp_path_factory.mktemp("install")
    project = tracked_copy(work / "project")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    installed = run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "."], cwd=project)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return env_dir / "bin" / "tapguard", project


def test_base_install_leaves_the_extras_out(base_install: tuple[Path, Path]) -> None:
    tapguard, project = base_install
    probe = "import importlib.util as u; print(' '.join(m for m in ('checkov', 'hcl2', 'pytest', 'psycopg', 'redis') if u.find_spec(m)))"
    found = run([tapguard.parent / "python", "-c", probe], cwd=project)
    assert found.returncode == 0 and found.stdout.strip() == "", f"installed without asking: {found.stdout}"


def test_base_install_plans_checks_and_writes_evidence(base_install: tuple[Path, Path], tmp_path: Path) -> None:
    tapguard, project = base_install
    planned = run([tapguard, "plan", "us-west-2", "--no-cache"], cwd=project)
    assert planned.returncode == 0, planned.stdout[-2000:] + planned.stderr[-2000:]
    checked = run([tapguard, "check", "us-west-2", "--out", tmp_path / "evidence"], cwd=project)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]
    assert "verdict: PASS" in checked.stdout
    # checkov is an extra: the check says which one, and the evidence records the baseline as not run
    assert "pip install 'tapguard[scan]'" in checked.stdout
    bundle = next((tmp_path / "evidence").iterdir())
    for name in ("manifest.json", "results.sarif", "junit.xml", "report.md"):
        assert (bundle / name).is_file(), name
    verified = run([tapguard, "evidence", "verify", bundle], cwd=project)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.parametrize("command", [["drill", "--target", "lab", "--dry-run"], ["lab", "status"]])
def test_commands_that_need_an_extra_name_it(base_install: tuple[Path, Path], command: list[str]) -> None:
    tapguard, project = base_install
    done = run([tapguard, *command], cwd=project, timeout=120)
    assert done.returncode == 2
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    hint = "which the base install leaves out: pip install 'tapguard[drill]'"
    assert lines == [f"tapguard: error: tapguard {command[0]} needs psycopg, {hint}"]
