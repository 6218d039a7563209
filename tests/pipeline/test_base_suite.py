"""The base install ([drill,test]: no checkov, no hcl2 library) runs the tests whose behaviour differs there (marked
`base` in conftest.py), in a virtualenv of its own, beside the rest of the suite instead of after it."""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

from tests.pipeline.conftest import ROOT, outside_path


@pytest.mark.install
def test_the_base_install_passes_the_tests_whose_behaviour_differs_there(tmp_path: Path) -> None:
    env_dir = tmp_path / "base-venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "TAPGUARD_ROOT", "PYTEST_"))}
    env["PATH"] = outside_path()  # the session's own checkov must not be found by the install under test

    def pip(*args: str) -> None:
        done = subprocess.run(
            [str(python), "-m", "pip", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]

    # the locked test set (no scan extra), then tapguard itself without resolving anything again
    pip("install", "-q", "--require-hashes", "--no-deps", "-r", "requirements/test.txt")
    pip("install", "-q", "--no-deps", "-e", ".")
    probe = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('checkov'), u.find_spec('hcl2'))"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.stdout.split() == ["None", "None"], probe.stdout + probe.stderr  # truly the base install
    suite = subprocess.run(
        [str(python), "-m", "pytest", "tests", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-m", "base", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    tail = suite.stdout[-4000:] + suite.stderr[-2000:]
    assert suite.returncode == 0, tail
    assert " passed" in tail and "skipped" not in tail.splitlines()[-1], tail  # the base tests ran, none skipped
