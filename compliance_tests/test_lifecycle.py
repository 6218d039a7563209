"""Destroyability and naming from the seeds (D, NM)."""

from compliance_tests.conftest import assert_control
from tapguard.check import CheckRun

FAMILY = "lifecycle"


def test_control(control_id: str, env: str, compliance_run: CheckRun) -> None:
    assert_control(compliance_run, control_id, env)
