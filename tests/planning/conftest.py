"""Real plans of the module examples, planned with tftest (see examples.py), once per session."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tapguard.planning import localaws, project, toolchain
from tests.planning import examples

WORKERS_ENV = "TAPGUARD_EXAMPLE_WORKERS"


@pytest.fixture(scope="session")
def example_plans(root: Path, tools: toolchain.Toolchain, endpoint: localaws.LocalAWS) -> dict[str, Path]:
    """Example label (modules/<m>/examples/<name>) -> redacted plan JSON."""
    started = time.monotonic()
    found = examples.examples(root)
    workers = int(os.environ.get(WORKERS_ENV, "2"))
    plans = examples.plan_examples(found, tools, endpoint.env(), project.state_dir(root), endpoint.secret_strings(), workers)
    print(f"\n{len(plans)} module examples planned in {time.monotonic() - started:.1f} s ({workers} at a time)")
    return plans
