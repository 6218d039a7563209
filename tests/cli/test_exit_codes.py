"""The exit codes `tapguard --help` promises, each from the console script in a child process: 130 on Ctrl-C,
3 when the lab is down, 1 when the reader of a pipe leaves, 2 when a write fails (disk full)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tapguard.cli.parser import EXIT_CODES


def tapguard(*args: str) -> list[str]:
    return [sys.executable, "-m", "tapguard", *args]


def project(tmp_path: Path) -> Path:
    """A project of its own (its own lab state): environments/ and modules/ make a root."""
    root = tmp_path / "project"
    (root / "environments").mkdir(parents=True)
    (root / "modules").mkdir()
    return root


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TAPGUARD_ROOT")}


def test_every_code_tested_here_is_documented() -> None:
    for code in ("0", "1", "2", "3", "4", "130"):
        assert f"\n  {code} " in f"\n{EXIT_CODES}", code


def test_ctrl_c_while_the_commands_still_import_is_130_without_a_traceback() -> None:
    # on a loaded machine the commands take seconds to import; Ctrl-C then arrives before main()'s own handler: the
    # console script's run() still ends it as an interrupt (it once printed a traceback and died of SIGINT, -2)
    script = "import tapguard.cli as cli\ndef importing(argv=None):\n    raise KeyboardInterrupt\ncli.main = importing\ncli.run()\n"
    done = subprocess.run([sys.executable, "-c", script], env=child_env(), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "tapguard: interrupted\n"


def test_ctrl_c_is_130(env_plans: dict[str, Path], tmp_path: Path) -> None:
    # a cold plan of a real stack takes seconds: interrupted while terraform runs
    proc = subprocess.Popen(
        tapguard("plan", "us-west-2", "--local", "--no-cache"),
        cwd=Path(__file__).resolve().parents[2],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    assert proc.poll() is None, "the plan ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err


def test_lab_down_is_3(tmp_path: Path) -> None:
    done = subprocess.run(tapguard("lab", "status"), cwd=project(tmp_path), env=child_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def plan_json(env_plans: dict[str, Path]) -> Path:
    return env_plans["us-west-2"]


def test_a_reader_that_leaves_is_1_not_a_traceback(plan_json: Path, tmp_path: Path) -> None:
    # `tapguard check -o json | head -c 1`: the pipe closes long before the report is written
    args = tapguard("check", "--plan-json", f"us-west-2={plan_json}", "us-west-2", "--no-checkov", "--out", str(tmp_path / "ev"))
    proc = subprocess.Popen([*args, "-o", "json", "-o", "sarif"], env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert "Traceback" not in err and "BrokenPipeError" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_failed_write_is_2_with_the_reason(plan_json: Path, tmp_path: Path) -> None:
    args = tapguard(
        "check", "--plan-json", f"us-west-2={plan_json}", "us-west-2", "--no-checkov", "--out", str(tmp_path / "ev"), "-o", "json"
    )
    with open("/dev/full", "w") as full:
        done = subprocess.run(args, env=child_env(), stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr


def test_a_crash_is_4_never_1() -> None:
    # exit 1 means "controls failed" to CI (and a soft gate may let it pass): a bug in tapguard must not look like one
    crash = "import tapguard.cli as cli\ncli.main = lambda *a: 1 / 0\ncli.run()\n"
    done = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True, env=child_env(), timeout=120, check=False)
    assert done.returncode == 4, done.stderr
    assert "ZeroDivisionError" in done.stderr and "tapguard: internal error" in done.stderr
    assert "  4    internal error" in EXIT_CODES
