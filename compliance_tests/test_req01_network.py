"""Requirement 1 — network security controls (N1-N6) and 6.4 (WAF)."""

from compliance_tests.conftest import assert_control
from tapguard.check import CheckRun

FAMILY = "network"


def test_control(control_id: str, env: str, compliance_run: CheckRun) -> None:
    assert_control(compliance_run, control_id, env)
