"""A fresh `pip install .` (no extras), shared by the install test and the adoption test of the action."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def outside_path() -> str:
    """PATH as a user of a fresh install has it: without the test session's own virtualenv (whose checkov, pytest and
    tapguard would otherwise be found by the install under test)."""
    own = {str(Path(sys.prefix) / "bin"), os.path.join(os.environ.get("VIRTUAL_ENV", sys.prefix), "bin")}
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in own)


def run(args: list[str | Path], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "TAPGUARD_ROOT"))}
    env["COLUMNS"] = "200"
    env["PATH"] = outside_path()
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


def _install_base(work: Path) -> None:
    """`pip install .` with no extras into work/venv, from a tracked copy of the project in work/project."""
    project = tracked_copy(work / "project")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # the locked versions first (hash-checked, no resolver backtracking over boto3 releases; not byte-compiled, as the
    # action installs them: botocore alone is ~10 s of CPU to compile), then the plain install as a user types it
    locked = run(
        [python, "-m", "pip", "install", "-q", "--no-compile", "--require-hashes", "--no-deps", "-r", "requirements/base.txt"],
        cwd=project,
        timeout=1800,
    )
    assert locked.returncode == 0, locked.stderr[-3000:]
    installed = run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "."], cwd=project, timeout=1800)
    assert installed.returncode == 0, installed.stderr[-3000:]


@pytest.fixture(scope="session")
def base_install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(tapguard executable, project copy) of `pip install .` with no extras in a fresh virtualenv.

    The virtualenv is made once per test run, not once per xdist worker: the first worker to need it installs under a
    lock in the directory the workers share; the others wait and use it (an install is ~45 s of CPU)."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to copy the tracked files")
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else tmp_path_factory.getbasetemp()
    work = shared / "base-install"
    with (shared / "base-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work / "installed").exists():
            shutil.rmtree(work, ignore_errors=True)  # a half-made install (a worker that failed mid-way) is made again
            _install_base(work)
            (work / "installed").touch()
    # the project copy is the worker's own: tests plan in it and the action builds from it (pip builds in the tree)
    return work / "venv" / "bin" / "tapguard", tracked_copy(tmp_path_factory.mktemp("project"))
