"""terraform apply against the embedded endpoint, bounded in time: past its budget the error names what is pending."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tapguard.e2e.deploy import Workspace
from tapguard.e2e.endpoint import DeployEndpoint
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project, toolchain

pytestmark = pytest.mark.terraform
ROOT = Path(__file__).resolve().parents[2]


def test_apply_past_its_budget_names_what_is_pending(endpoint: DeployEndpoint, tmp_path: Path) -> None:
    """An endpoint that stops answering (SIGSTOP) during the apply: the budget runs out and the error names
    the resources terraform was still creating; once it answers again, destroy empties the state."""
    env = project.load_environment(ROOT / "tests" / "fixtures" / "small", "small")
    tools = toolchain.discover(project.state_dir(ROOT))
    ws = Workspace(env, tmp_path / "small", tools, endpoint.env(), [], {"db_password": "fixture-only-value"})
    ws.init()
    assert endpoint.process is not None
    pid = endpoint.process.pid

    # 30 s: terraform reaches "Creating..." in ~5 s here, under a loaded test run in ~15 s; every second past that is
    # spent waiting for the budget to run out
    def freeze_when_waiting() -> None:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and "Creating..." not in ws.log.read_text():
            time.sleep(0.02)
        os.kill(pid, signal.SIGSTOP)

    freezer = threading.Thread(target=freeze_when_waiting, daemon=True)
    freezer.start()
    try:
        with pytest.raises(TapguardError, match=r"did not finish within 30 s; still pending: .*aws_kms_key\.this"):
            ws.apply([], 30)
    finally:
        freezer.join(timeout=1)
        os.kill(pid, signal.SIGCONT)
    ws.destroy(180)
    assert ws.state_addresses() == []
