"""Availability — the stacks' 30 s failover and 99.99 % design (R)."""

from compliance_tests.conftest import assert_control
from tapguard.check import CheckRun

FAMILY = "availability"


def test_control(control_id: str, env: str, compliance_run: CheckRun) -> None:
    assert_control(compliance_run, control_id, env)
