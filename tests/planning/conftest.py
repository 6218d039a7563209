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
def example_scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the hermetic copies (and their binary plans) live while an example is planned."""
    return tmp_path_factory.mktemp("example-plans")


@pytest.fixture(scope="session")
def example_plans(root: Path, tools: toolchain.Toolchain, endpoint: localaws.LocalAWS, example_scratch: Path) -> dict[str, Path]:
    """Example label (modules/<m>/examples/<name>) -> redacted plan JSON."""
    started = time.monotonic()
    found = examples.examples(root)
    workers = int(os.environ.get(WORKERS_ENV, "2"))
    state = project.state_dir(root)
    plans = examples.plan_examples(found, tools, endpoint.env(), state, endpoint.secret_strings(), workers, example_scratch)
    print(f"\n{len(plans)} module examples planned in {time.monotonic() - started:.1f} s ({workers} at a time)")
    return plans
