"""The plain install as a user makes it: a fresh virtualenv, `pip install .` with no extras, then plan, check and
evidence on our own stacks; the commands that need an extra name it in one line.

Slow (a fresh virtualenv and a real plan, ~2-3 min): marked `install`; `pytest -m install` selects it alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.conftest import run

pytestmark = [pytest.mark.install, pytest.mark.terraform]


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
    # every hash and the file set match; no key was given, so it is integrity only (exit 4), not a signed pass
    assert verified.returncode == 4 and "INTEGRITY ONLY" in verified.stdout and "9 files match" in verified.stdout, (
        verified.stdout + verified.stderr
    )


@pytest.mark.parametrize("command", [["drill", "--target", "lab", "--dry-run"], ["lab", "status"]])
def test_commands_that_need_an_extra_name_it(base_install: tuple[Path, Path], command: list[str]) -> None:
    tapguard, project = base_install
    done = run([tapguard, *command], cwd=project, timeout=120)
    assert done.returncode == 2
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    hint = "which the base install leaves out: pip install 'tapguard[drill]'"
    assert lines == [f"tapguard: error: tapguard {command[0]} needs psycopg, {hint}"]
