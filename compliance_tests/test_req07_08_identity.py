"""Requirements 7 and 8 — least privilege and credentials (I, S)."""

from compliance_tests.conftest import assert_control
from tapguard.check import CheckRun

FAMILY = "identity"


def test_control(control_id: str, env: str, compliance_run: CheckRun) -> None:
    assert_control(compliance_run, control_id, env)
