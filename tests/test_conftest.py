"""The test run's own wiring (conftest.py at the root): under CI a missing tool fails instead of skipping."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("ci", "code", "line"), [("true", 1, "1 failed"), (None, 0, "2 skipped")])
def test_a_skip_for_a_missing_tool_fails_under_ci(tmp_path: Path, ci: str | None, code: int, line: str) -> None:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_tool.py").write_text(
        "import pytest\n\n"
        "def test_needs_a_tool():\n    pytest.skip('frobnicate is not installed (apt-get install frobnicate)')\n\n"
        "def test_unrelated_skip():\n    pytest.skip('lab only')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS") and not k.startswith("PYTEST_XDIST")}
    if ci:
        env["CI"] = ci
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:tapguard", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stdout
    assert line in done.stdout
    if ci:
        assert "apt-get install frobnicate" in done.stdout and "1 skipped" in done.stdout  # the unrelated skip stays a skip
