"""A terraform that hangs (TAPGUARD_TERRAFORM naming any program) is killed with everything it started: one line, exit 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tapguard.cli import main
from tapguard.planning import toolchain


def test_a_hanging_terraform_is_one_line_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    marker = tmp_path / "grandchild-alive"
    hang = tmp_path / "terraform"
    # the script starts a grandchild that would outlive it and keep the pipes open
    hang.write_text(f"#!/bin/sh\n(sleep 30; touch {marker}) &\nsleep 30\n")
    hang.chmod(0o755)
    monkeypatch.chdir(root)
    monkeypatch.setenv("TAPGUARD_TERRAFORM", str(hang))
    monkeypatch.setattr(toolchain, "VERSION_TIMEOUT", 1.0)
    started = time.monotonic()
    code = main(["plan", "us-west-2"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert time.monotonic() - started < 10
    assert f"TAPGUARD_TERRAFORM={hang}" in err and "did not finish within 1 s" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    time.sleep(0.2)
    assert toolchain.run_bounded(["pgrep", "-f", str(marker)], 5, "pgrep").stdout == ""  # the grandchild was killed too
