"""Test-run wiring shared by every suite (tests/, compliance_tests/, chaos/).

The test command runs on every core (pytest-xdist, --dist loadgroup). A module's tests run on one worker, so
its module-scoped fixtures are built once. The drills of chaos/ share the project's lab, its processes and its
lock, so they form one group on one worker, whose time is mostly spent waiting for failovers while the other
workers take the CPU-bound tests; the verdict proofs and other lab tests start labs of their own (tmp directories,
free ports, a lock per lab) and run beside them.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest
from hypothesis import settings

# property tests: a fixed budget (each test's max_examples) and, under CI, a fixed seed, so a red run is reproducible
# and a green one is not luck; locally the search keeps exploring new inputs
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# the test modules whose behaviour differs in the base install (no checkov, no hcl2 library): `nox -s tests_base`
# runs these there, instead of the whole suite a second time (the fresh installs, marked `install`, build their own
# virtualenvs and run in `nox -s tests`)
BASE_MODULES = (
    "tests/cli/test_extras.py",  # a command that needs an extra names it
    "tests/evidence/test_evidence.py",  # the bundle and manifest say plainly that checkov was not installed
    "tests/planning/test_hcl.py",  # HCL is read the same with or without an hcl2 library
    "tests/controls/test_checkov_cache.py",  # a cached scan is read back without checkov
)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::")[0]
        if module in BASE_MODULES:
            item.add_marker(pytest.mark.base)
        if module.startswith("chaos/"):
            item.add_marker(pytest.mark.lab)
        # a module's tests stay on one worker, so its module-scoped fixtures (a deployment, a bundle, a lab) are built
        # once; the drills of chaos/ share the project's lab and its lock, so they are one group
        group = SHARED_GROUPS.get(module) or ("project-lab" if module.startswith("chaos/") else module)
        item.add_marker(pytest.mark.xdist_group(group))
    # the longest groups first, so no worker starts one of them when the others are nearly done (the run's tail)
    items.sort(key=lambda item: next((i for i, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST)))


# modules whose costly session fixture is the same (every module example planned for real): one worker builds it once
SHARED_GROUPS = {
    "tests/planning/test_inventory.py": "module-examples",
    "tests/planning/test_module_examples.py": "module-examples",
    # the verdict proofs drill a lab of their own (chaos/conftest.py proof_lab): another worker, beside the drills
    "chaos/test_verdict_can_fail.py": "proof-lab",
}

LONGEST_FIRST = ("chaos/", "tests/e2e/test_e2e.py", "tests/drill/targets/test_lab.py", "tests/lab/", "tests/pipeline/")

# a skip that says a tool is missing: under CI (the CI variable set, as GitHub, GitLab and .ci/run set it) that is a
# failure naming the install command, never a silent pass of what the test guards
MISSING_TOOL = ("not installed", "is not on PATH", "could not install", "needs ")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and os.environ.get("CI") and call.excinfo is not None:
        reason = str(call.excinfo.value)
        if any(marker in reason for marker in MISSING_TOOL):
            report.outcome = "failed"
            report.longrepr = f"under CI a missing tool is a failure, not a skip: {reason}"
    return report
